import json
import os

import pytest

from projects.scanning import MAX_JSON_BYTES, scan_tree
from tests.fixtures.content import (
    batch_path,
    make_uploader_json_project,
    metadata_entry,
    write,
    write_json,
    write_media,
)


def scan(project, language="en"):
    return scan_tree(project, "uploader_json", language)


def by_key(result):
    return {item.key: item for item in result.items}


def messages(result, path):
    return [error["error"] for error in result.errors if error["path"] == path]


@pytest.fixture
def project(tmp_path):
    """A project with one video and no metadata yet."""
    project = tmp_path / "clips"
    write_media(project / "videos" / "clip.mp4")
    (project / "uploader_json").mkdir()
    return project


def test_each_media_file_is_one_item_keyed_by_its_path_with_its_metadata(tmp_path):
    project = make_uploader_json_project(tmp_path, "maker", n_videos=3)

    result = scan(project)

    assert result.errors == []
    assert [item.key for item in result.items] == [
        "videos/maker_001.mp4",
        "videos/maker_002.mp4",
        "videos/maker_003.mp4",
    ]
    first = result.items[0]
    assert first.kind == "video"
    assert first.media_paths == ["videos/maker_001.mp4"]
    assert first.metadata == {"en": metadata_entry(1, "en")}
    assert first.error == ""


def test_metadata_in_every_language_is_kept_on_one_item(tmp_path):
    project = make_uploader_json_project(tmp_path, "maker", 2, languages=("en", "cn", "ja"))

    item = scan(project).items[0]

    assert item.metadata == {
        "en": metadata_entry(1, "en"),
        "cn": metadata_entry(1, "cn"),
        "ja": metadata_entry(1, "ja"),
    }


def test_zh_in_a_file_name_means_chinese_stored_as_cn(project):
    write_json(batch_path(project, "zh"), {"clip.mp4": metadata_entry(1, "cn")})

    assert scan(project).items[0].metadata == {"cn": metadata_entry(1, "cn")}


def test_extra_keys_such_as_alt_text_are_kept(project):
    entry = metadata_entry(alt="A paper airplane over a field.", model="gemini")
    write_json(batch_path(project), {"clip.mp4": entry})

    assert scan(project).items[0].metadata["en"] == entry


def test_media_anywhere_outside_uploader_json_is_found_including_the_project_folder(project):
    for path in ("top.mov", "deep/er/still.JPEG", "loop.gif", "pic.png", "pic2.webp"):
        write_media(project / path)
    names = ["top.mov", "still.JPEG", "loop.gif", "pic.png", "pic2.webp", "clip.mp4"]
    write_json(batch_path(project), {name: metadata_entry() for name in names})

    items = by_key(scan(project))

    assert {key: item.kind for key, item in items.items()} == {
        "top.mov": "video",
        "deep/er/still.JPEG": "image",
        "loop.gif": "gif",
        "pic.png": "image",
        "pic2.webp": "image",
        "videos/clip.mp4": "video",
    }


def test_the_newest_batch_wins_for_each_language_separately(project):
    write_json(batch_path(project, "en", "20250101_000000"), {"clip.mp4": metadata_entry(1)})
    write_json(batch_path(project, "en", "20250719_144048"), {"clip.mp4": metadata_entry(2)})
    write_json(batch_path(project, "en", "20250301_120000"), {"clip.mp4": metadata_entry(3)})
    write_json(batch_path(project, "cn", "20240101_000000"), {"clip.mp4": metadata_entry(4, "cn")})

    item = scan(project).items[0]

    assert item.metadata == {"en": metadata_entry(2), "cn": metadata_entry(4, "cn")}
    assert item.error == ""


def test_an_older_batch_still_describes_media_the_newest_one_leaves_out(project):
    write_media(project / "videos" / "other.mp4")
    old = {"clip.mp4": metadata_entry(1), "other.mp4": metadata_entry(2)}
    write_json(batch_path(project, "en", "20250101_000000"), old)
    write_json(batch_path(project, "en", "20250719_144048"), {"clip.mp4": metadata_entry(3)})

    items = by_key(scan(project))

    assert items["videos/clip.mp4"].metadata == {"en": metadata_entry(3)}
    assert items["videos/other.mp4"].metadata == {"en": metadata_entry(2)}


@pytest.mark.parametrize(
    ("single", "language"),
    [
        ("videos/clip_en.json", "en"),
        ("videos/clip.en.json", "en"),
        ("videos/clip.json", "en"),
        ("uploader_json/clip_en.json", "en"),
        ("uploader_json/clip.en.json", "en"),
        ("uploader_json/clip.json", "en"),
        ("videos/clip.cn.json", "cn"),
        ("videos/clip_zh.json", "cn"),
    ],
)
def test_a_single_file_overrides_the_batch_for_its_language(project, single, language):
    write_json(batch_path(project, "en"), {"clip.mp4": metadata_entry(1)})
    write_json(batch_path(project, "cn"), {"clip.mp4": metadata_entry(1, "cn")})
    write_json(project / single, metadata_entry(9, language))

    item = scan(project).items[0]

    assert item.metadata[language] == metadata_entry(9, language)
    other = "cn" if language == "en" else "en"
    assert item.metadata[other] == metadata_entry(1, other)


def test_a_bare_single_file_is_in_the_projects_language(project):
    write_json(project / "videos" / "clip.json", metadata_entry(1, "ja"))

    assert scan(project, language="ja").items[0].metadata == {"ja": metadata_entry(1, "ja")}


def test_a_single_file_may_use_the_batch_shape_with_one_entry(project):
    write_json(project / "videos" / "clip.json", {"clip.mp4": metadata_entry(5)})

    assert scan(project).items[0].metadata == {"en": metadata_entry(5)}


def test_media_without_metadata_in_any_language_is_an_error_item(project):
    result = scan(project)

    item = result.items[0]
    assert item.key == "videos/clip.mp4"
    assert item.error == "No metadata for clip.mp4 in any language."
    assert result.errors == [{"path": "videos/clip.mp4", "error": item.error}]


def test_metadata_for_a_missing_media_file_is_reported_once_on_the_newest_batch(project):
    old = batch_path(project, "en", "20250101_000000")
    new = batch_path(project, "cn", "20250719_144048")
    for path in (old, new):
        write_json(path, {"clip.mp4": metadata_entry(), "gone.mp4": metadata_entry()})

    result = scan(project)

    assert result.errors == [
        {
            "path": "uploader_json/cn_prompt_results_20250719_144048.json",
            "error": "uploader_json/cn_prompt_results_20250719_144048.json has metadata for "
            "gone.mp4, but no media file has that name.",
        }
    ]
    assert [item.key for item in result.items] == ["videos/clip.mp4"]


@pytest.mark.parametrize("single", ["videos/gone.json", "uploader_json/gone_cn.json"])
def test_a_single_file_with_no_media_file_is_reported(project, single):
    write_json(project / "videos" / "clip.json", metadata_entry())
    write_json(project / single, metadata_entry())

    [message] = messages(scan(project), single)

    assert message.startswith(f"{single} describes no media file: there is no gone.*")


def test_invalid_json_is_reported_with_its_line_and_column(project):
    path = batch_path(project)
    write(path, '{\n  "clip.mp4": {"title": "x",}\n}')

    result = scan(project)

    assert messages(result, "uploader_json/en_prompt_results_20250719_144048.json") == [
        "uploader_json/en_prompt_results_20250719_144048.json is not valid JSON: "
        "Expecting property name enclosed in double quotes at line 2, column 29."
    ]
    assert result.items[0].error == "No metadata for clip.mp4 in any language."


def test_a_batch_that_is_not_an_object_is_reported(project):
    write_json(batch_path(project), [metadata_entry()])

    [message] = messages(scan(project), "uploader_json/en_prompt_results_20250719_144048.json")

    assert message.endswith("must hold a JSON object keyed by media file name, not a list.")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("Paper airplane", "must be a JSON object, not a string."),
        (metadata_entry(hashtags="#a #b"), "is invalid: 'hashtags' must be a list of strings."),
        (metadata_entry(keywords=["a", 2]), "is invalid: 'keywords' must be a list of strings."),
        (metadata_entry(title=5), "is invalid: 'title' must be a string, not a number."),
        (metadata_entry(summary=None), "is invalid: 'summary' must be a string, not null."),
        ({"title": " ", "hashtags": []}, "has neither a title nor a description."),
    ],
)
def test_metadata_of_the_wrong_shape_makes_the_item_an_error(project, entry, reason):
    write_json(batch_path(project), {"clip.mp4": entry})

    item = scan(project).items[0]

    source = "uploader_json/en_prompt_results_20250719_144048.json"
    assert item.error == f"The en metadata for clip.mp4 in {source} {reason}"
    assert item.metadata == {}


def test_a_broken_newest_entry_is_an_error_not_a_silent_fallback_to_an_older_one(project):
    write_json(batch_path(project, "en", "20250101_000000"), {"clip.mp4": metadata_entry(1)})
    write_json(batch_path(project, "en", "20250719_144048"), {"clip.mp4": {"title": 1}})

    assert "'title' must be a string" in scan(project).items[0].error


def test_other_languages_stay_when_one_is_broken_but_the_item_is_in_error(project):
    write_json(batch_path(project, "en"), {"clip.mp4": metadata_entry(1)})
    write_json(batch_path(project, "cn"), {"clip.mp4": []})

    item = scan(project).items[0]

    assert item.metadata == {"en": metadata_entry(1)}
    assert item.error.startswith("The cn metadata for clip.mp4")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'\xef\xbb\xbf{"clip.mp4": \xff}', "is not valid UTF-8 (byte 0xff at offset 16)."),
        (b"", "is empty."),
        (b"  \n", "is empty."),
    ],
)
def test_an_unreadable_batch_file_is_reported(project, content, reason):
    path = write(batch_path(project), content)

    result = scan(project)

    rel = "uploader_json/" + path.name
    assert messages(result, rel) == [f"{rel} {reason}"]


def test_a_json_file_over_the_size_limit_is_reported_without_being_read(project):
    path = batch_path(project)
    with open(path, "wb") as file:
        file.truncate(MAX_JSON_BYTES + 1)  # sparse: no 20 MiB written

    rel = "uploader_json/" + path.name
    assert messages(scan(project), rel) == [
        f"{rel} is 20,971,521 bytes; JSON files are limited to 20 MiB."
    ]


def test_an_unreadable_single_file_makes_its_media_an_error(project):
    write(project / "videos" / "clip.json", "{oops")

    item = scan(project).items[0]

    assert item.error == (
        "The en metadata for clip.mp4 cannot be used: videos/clip.json is not valid JSON: "
        "Expecting property name enclosed in double quotes at line 1, column 2."
    )


def test_text_files_are_refused_because_this_layout_needs_media(project):
    write(project / "videos" / "notes.md", "A post without media.")

    [message] = messages(scan(project), "videos/notes.md")

    assert "every post is a media file with JSON metadata" in message


def test_unsupported_files_are_reported(project):
    write(project / "videos" / "cover.psd", b"8BPS")
    write(project / "uploader_json" / "README.txt", "notes")

    result = scan(project)

    assert messages(result, "videos/cover.psd") == [
        "videos/cover.psd has an unsupported file type (.psd); media files are "
        ".mp4, .mov, .gif, .jpg, .jpeg, .png, .webp."
    ]
    assert messages(result, "uploader_json/README.txt") == [
        "uploader_json/README.txt is not JSON; only metadata belongs in uploader_json/."
    ]


def test_hidden_files_and_folders_are_ignored(project):
    write(project / "videos" / ".DS_Store", b"\x00")
    write(project / "videos" / "._clip.mp4", b"\x00")
    write_media(project / ".trash" / "old.mp4")
    write_json(batch_path(project), {"clip.mp4": metadata_entry()})

    result = scan(project)

    assert result.errors == []
    assert [item.key for item in result.items] == ["videos/clip.mp4"]


def test_subfolders_of_uploader_json_are_not_read(project):
    write_json(batch_path(project), {"clip.mp4": metadata_entry(1)})
    archived = project / "uploader_json" / "old" / "en_prompt_results_20990101_000000.json"
    write_json(archived, {"clip.mp4": metadata_entry(2), "gone.mp4": metadata_entry()})

    result = scan(project)

    assert result.errors == []
    assert result.items[0].metadata == {"en": metadata_entry(1)}


def test_an_empty_media_file_is_an_error(project):
    write(project / "videos" / "clip.mp4", b"")
    write_json(batch_path(project), {"clip.mp4": metadata_entry()})

    assert scan(project).items[0].error == "videos/clip.mp4 is empty."


def test_two_single_files_for_one_language_conflict(project):
    write_json(project / "videos" / "clip.cn.json", metadata_entry(1, "cn"))
    write_json(project / "uploader_json" / "clip_cn.json", metadata_entry(2, "cn"))

    item = scan(project).items[0]

    assert item.error.startswith(
        "videos/clip.cn.json and uploader_json/clip_cn.json each give the cn metadata for "
        "clip.mp4; keep one."
    )


def test_same_named_media_in_two_folders_cannot_share_batch_metadata(project):
    write_media(project / "other" / "clip.mp4")
    write_json(batch_path(project), {"clip.mp4": metadata_entry()})

    items = by_key(scan(project))

    assert items["other/clip.mp4"].error.startswith(
        "No metadata for other/clip.mp4: 2 media files are named clip.mp4"
    )
    assert items["videos/clip.mp4"].error


def test_same_named_media_can_each_have_a_single_file_next_to_them(project):
    write_media(project / "other" / "clip.mp4")
    write_json(batch_path(project), {"clip.mp4": metadata_entry(1)})
    write_json(project / "videos" / "clip.json", metadata_entry(2))
    write_json(project / "other" / "clip.json", metadata_entry(3))

    result = scan(project)

    assert result.errors == []
    assert by_key(result)["other/clip.mp4"].metadata == {"en": metadata_entry(3)}


def test_a_single_file_in_uploader_json_matching_two_media_is_reported(project):
    write_media(project / "videos" / "clip.mov")
    write_json(project / "uploader_json" / "clip.json", metadata_entry())

    result = scan(project)

    assert messages(result, "uploader_json/clip.json") == [
        "uploader_json/clip.json matches several media files (videos/clip.mov, "
        "videos/clip.mp4); rename so that only one matches."
    ]
    assert all(item.error.startswith("No metadata") for item in result.items)


def test_a_media_symlink_that_leaves_the_project_is_an_error_item(project, tmp_path):
    outside = write_media(tmp_path / "elsewhere" / "secret.mp4")
    os.symlink(outside, project / "videos" / "secret.mp4")
    write_json(batch_path(project), {"clip.mp4": metadata_entry(), "secret.mp4": metadata_entry()})

    item = by_key(scan(project))["videos/secret.mp4"]

    assert item.error == (
        "videos/secret.mp4 is a symlink that leads outside the project folder; it was not followed."
    )
    assert item.metadata == {}


def test_a_metadata_symlink_that_leaves_the_project_is_not_read(project, tmp_path):
    outside = write_json(tmp_path / "elsewhere" / "x.json", {"clip.mp4": metadata_entry()})
    os.symlink(outside, batch_path(project))

    result = scan(project)

    rel = "uploader_json/" + batch_path(project).name
    assert messages(result, rel) == [
        f"{rel} is a symlink that leads outside the project folder; it was not followed."
    ]
    assert result.items[0].metadata == {}


def test_a_folder_symlink_that_leaves_the_project_is_reported(project, tmp_path):
    write_media(tmp_path / "elsewhere" / "x.mp4")
    os.symlink(tmp_path / "elsewhere", project / "more")
    write_json(batch_path(project), {"clip.mp4": metadata_entry()})

    result = scan(project)

    assert [error["path"] for error in result.errors] == ["more"]
    assert [item.key for item in result.items] == ["videos/clip.mp4"]


def test_a_symlink_inside_the_project_is_followed(project):
    os.symlink("clip.mp4", project / "videos" / "alias.mp4")
    write_json(batch_path(project), {name: metadata_entry() for name in ("clip.mp4", "alias.mp4")})

    result = scan(project)

    assert result.errors == []
    assert sorted(by_key(result)) == ["videos/alias.mp4", "videos/clip.mp4"]


def test_a_broken_symlink_is_reported(project):
    os.symlink("missing.mp4", project / "videos" / "broken.mp4")
    write_json(batch_path(project), {"clip.mp4": metadata_entry()})

    assert (
        by_key(scan(project))["videos/broken.mp4"].error == "videos/broken.mp4 is a broken symlink."
    )


def test_a_real_uploader_batch_file_round_trips_unchanged(project):
    """The shape of a real project's batch file: UTF-8, unescaped, lists of hashtags."""
    entry = json.loads(
        '{"title": "City\'s End #UrbanExploration", "description": "At the edge of the city",'
        ' "keywords": ["art", "decay"], "hashtags": ["#UrbanExploration", "#Decay"],'
        ' "summary": "城市衰败、末日感。"}'
    )
    write_json(batch_path(project), {"clip.mp4": entry})

    assert scan(project).items[0].metadata == {"en": entry}
