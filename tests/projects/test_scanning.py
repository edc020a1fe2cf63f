"""What the scanner does for every layout: folder problems, fingerprints, speed."""

import json
import os

import pytest

from projects.models import Layout
from projects.scanning import detect_layout, scan_tree
from tests.fixtures.content import (
    batch_path,
    make_plain_project,
    make_uploader_json_project,
    metadata_entry,
    write,
    write_json,
    write_media,
)


def test_a_folder_named_uploader_json_means_the_uploader_json_layout(tmp_path):
    assert detect_layout(make_uploader_json_project(tmp_path, n_videos=0)) == Layout.UPLOADER_JSON
    assert detect_layout(make_plain_project(tmp_path)) == Layout.PLAIN
    write(tmp_path / "odd" / "uploader_json", "a file, not a folder")
    assert detect_layout(tmp_path / "odd") == Layout.PLAIN


@pytest.mark.parametrize("layout", ["uploader_json", "plain"])
def test_a_missing_project_folder_gives_one_error_and_no_items(tmp_path, layout):
    result = scan_tree(tmp_path / "gone", layout, "en")

    assert result.items == []
    assert result.errors == [
        {"path": ".", "error": f"The project folder {tmp_path / 'gone'} does not exist."}
    ]
    assert result.unscanned == ["."]


def test_a_file_instead_of_a_project_folder_gives_one_error(tmp_path):
    write(tmp_path / "file", "x")

    result = scan_tree(tmp_path / "file", "plain", "en")

    assert result.errors == [
        {"path": ".", "error": f"The project folder {tmp_path / 'file'} is not a folder."}
    ]


@pytest.fixture
def unreadable(monkeypatch):
    """Makes os.scandir fail on chosen folders (tests may run as root, which reads
    everything whatever the mode bits say)."""
    folders: set[str] = set()
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) in folders:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return folders


def test_an_unreadable_subfolder_is_reported_and_listed_as_unscanned(tmp_path, unreadable):
    project = make_plain_project(tmp_path, n_posts=1)
    write(project / "locked" / "hello.md", "Hello")
    unreadable.add(str(project / "locked"))

    result = scan_tree(project, "plain", "en")

    assert [item.key for item in result.items] == ["posts/post_001.md"]
    assert result.errors == [
        {
            "path": "locked",
            "error": "The folder locked could not be read (Permission denied); "
            "its files were left as they were.",
        }
    ]
    assert result.unscanned == ["locked"]


def test_an_unreadable_project_folder_is_one_error(tmp_path, unreadable):
    project = make_plain_project(tmp_path, n_posts=1)
    unreadable.add(str(project))

    result = scan_tree(project, "plain", "en")

    assert result.items == []
    assert result.unscanned == ["."]
    assert result.errors[0]["error"].endswith("could not be read (Permission denied).")


def test_an_unknown_layout_or_language_is_a_bug_not_a_content_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown layout"):
        scan_tree(tmp_path, "zip", "en")
    with pytest.raises(ValueError, match="Unknown language"):
        scan_tree(tmp_path, "plain", "fr")


def test_rescanning_an_unchanged_tree_gives_the_same_fingerprints(tmp_path):
    project = make_uploader_json_project(tmp_path, n_videos=3, languages=("en", "cn"))

    first = scan_tree(project, "uploader_json", "en")
    second = scan_tree(project, "uploader_json", "en")

    assert first == second


def fingerprints(project, layout="uploader_json"):
    return {item.key: item.fingerprint for item in scan_tree(project, layout, "en").items}


def test_the_fingerprint_changes_with_the_metadata_and_only_for_that_item(tmp_path):
    project = make_uploader_json_project(tmp_path, "maker", n_videos=2)
    before = fingerprints(project)
    entries = {
        "maker_001.mp4": metadata_entry(1, title="A new title"),
        "maker_002.mp4": metadata_entry(2),
    }

    write_json(batch_path(project), entries)
    after = fingerprints(project)

    assert after["videos/maker_001.mp4"] != before["videos/maker_001.mp4"]
    assert after["videos/maker_002.mp4"] == before["videos/maker_002.mp4"]


def test_the_fingerprint_changes_when_a_media_file_is_rewritten_or_touched(tmp_path):
    project = make_uploader_json_project(tmp_path, "maker", n_videos=1)
    video = project / "videos" / "maker_001.mp4"
    before = fingerprints(project)

    os.utime(video, ns=(1, 1_000_000_000))
    touched = fingerprints(project)
    write(video, b"different bytes, different size")
    rewritten = fingerprints(project)

    assert len({before["videos/maker_001.mp4"], touched["videos/maker_001.mp4"]}) == 2
    assert rewritten["videos/maker_001.mp4"] != touched["videos/maker_001.mp4"]


def test_the_fingerprint_changes_when_a_posts_images_are_reordered(tmp_path):
    project = tmp_path / "blog"
    write(project / "hello.md", "Hello")
    write_media(project / "hello.1.jpg")
    write_media(project / "hello.2.png")
    before = fingerprints(project, "plain")

    os.rename(project / "hello.1.jpg", project / "hello.3.jpg")

    assert fingerprints(project, "plain") != before


def test_ten_thousand_media_files_with_batch_metadata_all_become_items(tmp_path):
    # Speed is measured by bench/scan.py, not here: tests check behaviour only.
    project = make_uploader_json_project(tmp_path, "bulk", n_videos=10_000, languages=("en", "cn"))

    result = scan_tree(project, "uploader_json", "en")

    assert len(result.items) == 10_000
    assert result.errors == []
    assert {tuple(sorted(item.metadata)) for item in result.items} == {("cn", "en")}


def test_a_file_name_that_is_not_utf8_is_reported_instead_of_stored(tmp_path):
    project = make_plain_project(tmp_path, n_posts=1)
    with open(os.path.join(os.fsencode(project / "posts"), b"caf\xe9.md"), "wb") as file:
        file.write(b"Bonjour")

    result = scan_tree(project, "plain", "en")

    assert [item.key for item in result.items] == ["posts/post_001.md"]
    assert result.errors == [
        {
            "path": "posts/caf\ufffd.md",
            "error": "posts/caf\ufffd.md has a name that is not UTF-8; rename it.",
        }
    ]


def test_text_with_a_nul_character_is_refused_because_no_database_stores_it(tmp_path):
    write(tmp_path / "blog" / "hello.md", "Hello\x00world")

    [item] = scan_tree(tmp_path / "blog", "plain", "en").items

    assert item.error == "hello.md contains a NUL character, which cannot be stored."


@pytest.mark.parametrize(
    ("escaped", "what"),
    [("nul \\u0000 here", "a NUL character (\\u0000)"), ("\\ud800", "an unpaired surrogate")],
)
def test_json_escapes_the_database_cannot_store_are_refused(tmp_path, escaped, what):
    project = make_uploader_json_project(tmp_path, "maker", n_videos=1)
    path = write(batch_path(project), '{"maker_001.mp4": {"title": "' + escaped + '"}}')

    result = scan_tree(project, "uploader_json", "en")

    rel = f"uploader_json/{path.name}"
    [message] = [error["error"] for error in result.errors if error["path"] == rel]
    assert message.startswith(f"{rel} contains {what}")


def test_escaped_non_ascii_json_is_read_normally(tmp_path):
    project = make_uploader_json_project(tmp_path, "maker", n_videos=1)
    entry = metadata_entry(1, "cn")
    write(batch_path(project), json.dumps({"maker_001.mp4": entry}, ensure_ascii=True))

    assert scan_tree(project, "uploader_json", "en").items[0].metadata == {"en": entry}


def test_a_path_too_long_to_store_is_an_error_without_an_item(tmp_path):
    project = tmp_path / "blog"
    deep = project.joinpath(*["d" * 200] * 6)
    write(deep / "hello.md", "Hello")

    result = scan_tree(project, "plain", "en")

    assert result.items == []
    [error] = result.errors
    assert error["error"] == "The path is 1,214 characters long; at most 1,024 fit."
