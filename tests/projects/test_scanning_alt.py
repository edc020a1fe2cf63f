"""Alt text from `<stem>.alt.txt` files and the JSON `alt` field, checked at scan time;
videos checked against the posting account's length limit."""

import pytest

from projects.scanning import scan_tree
from tests.fixtures.content import (
    batch_path,
    make_plain_project,
    make_uploader_json_project,
    metadata_entry,
    video_name,
    write,
    write_json,
    write_media,
    write_mp4,
)


def scan(project, layout="uploader_json", **options):
    return scan_tree(project, layout, "en", **options)


def by_key(result):
    return {item.key: item for item in result.items}


@pytest.fixture
def videos(tmp_path):
    return make_uploader_json_project(tmp_path, "maker", n_videos=2, languages=("en", "ja"))


def test_an_alt_file_gives_every_language_the_alt_text(videos):
    write(videos / "videos" / "maker_001.alt.txt", "A paper plane\nover a city.\n")

    result = scan(videos)

    item = by_key(result)["videos/maker_001.mp4"]
    assert result.errors == []
    assert {lang: meta["alt"] for lang, meta in item.metadata.items()} == {
        "en": "A paper plane over a city.",
        "ja": "A paper plane over a city.",
    }
    assert "alt" not in by_key(result)["videos/maker_002.mp4"].metadata["en"]


def test_the_json_alt_field_wins_over_the_alt_file_for_its_language(videos):
    name = video_name(videos, 1)
    write_json(batch_path(videos, "ja"), {name: metadata_entry(1, "ja", alt="紙飛行機")})
    write(videos / "videos" / "maker_001.alt.txt", "A paper plane")

    item = by_key(scan(videos))["videos/maker_001.mp4"]

    assert item.metadata["ja"]["alt"] == "紙飛行機"
    assert item.metadata["en"]["alt"] == "A paper plane"


def test_an_alt_file_over_xs_limit_is_an_error_of_its_item(videos):
    write(videos / "videos" / "maker_001.alt.txt", "a" * 1001)

    result = scan(videos)

    assert result.errors == [
        {
            "path": "videos/maker_001.mp4",
            "error": "videos/maker_001.alt.txt is 1,001 characters; X takes alt text up to 1,000.",
        }
    ]


def test_an_alt_file_of_exactly_1000_characters_is_fine(videos):
    write(videos / "videos" / "maker_001.alt.txt", "a" * 1000)

    assert scan(videos).errors == []


def test_an_alt_file_without_its_media_file_is_reported(videos):
    write(videos / "videos" / "maker_009.alt.txt", "nothing here")

    assert scan(videos).errors == [
        {
            "path": "videos/maker_009.alt.txt",
            "error": "videos/maker_009.alt.txt describes no media file: "
            "there is no maker_009.* next to it.",
        }
    ]


@pytest.mark.parametrize(
    ("alt", "error"),
    [
        (["ok", 3], "'alt' must be a string or a list of strings"),
        ("x" * 1001, "its alt text is 1,001 characters; X takes up to 1,000"),
    ],
)
def test_a_bad_json_alt_field_is_refused_with_its_reason(videos, alt, error):
    name = video_name(videos, 1)
    write_json(batch_path(videos, "en"), {name: metadata_entry(1, "en", alt=alt)})

    item = by_key(scan(videos))["videos/maker_001.mp4"]

    assert error in item.error and "en_prompt_results" in item.error


def test_in_the_plain_layout_each_numbered_image_takes_its_own_alt_file(tmp_path):
    blog = make_plain_project(tmp_path, "blog", n_posts=1, images=2)
    write(blog / "posts" / "post_001.2.alt.txt", "The second image")

    result = scan(blog, "plain")

    [item] = result.items  # the alt file is not a text post of its own
    assert result.errors == []
    assert item.metadata["en"] == {"text": "Post 1 in en.", "alt": ["", "The second image"]}


def test_a_video_is_checked_against_the_accounts_limit(tmp_path):
    project = tmp_path / "clips"
    write_mp4(project / "long.mp4", 300)
    write_json(project / "long.json", metadata_entry(1))
    write_media(project / "short.mp4")
    write_json(project / "short.json", metadata_entry(2))
    (project / "uploader_json").mkdir()

    most = by_key(scan(project))
    paid = by_key(scan(project, max_video_seconds=600))
    tight = by_key(scan(project, max_video_seconds=1))

    assert most["long.mp4"].error == (
        "long.mp4 runs 300.0 s; most accounts can post videos of up to 140 s."
    )
    assert paid["long.mp4"].error == ""
    assert tight["short.mp4"].error == (
        "short.mp4 runs 2.0 s; the project's X account can post videos of up to 1 s."
    )
