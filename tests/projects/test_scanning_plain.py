import os

import pytest

from projects.scanning import MAX_TEXT_BYTES, scan_tree
from tests.fixtures.content import make_plain_project, write, write_media


def scan(project, language="en"):
    return scan_tree(project, "plain", language)


def by_key(result):
    return {item.key: item for item in result.items}


@pytest.fixture
def project(tmp_path):
    project = tmp_path / "blog"
    project.mkdir()
    return project


def test_each_text_file_is_a_text_post_in_the_projects_language(tmp_path):
    project = make_plain_project(tmp_path, "blog", n_posts=2)

    result = scan(project)

    assert result.errors == []
    assert [(item.key, item.kind, item.media_paths) for item in result.items] == [
        ("posts/post_001.md", "text", []),
        ("posts/post_002.md", "text", []),
    ]
    assert result.items[0].metadata == {"en": {"text": "Post 1 in en."}}


def test_surrounding_whitespace_and_a_byte_order_mark_are_not_part_of_the_text(project):
    write(project / "hello.txt", b"\xef\xbb\xbf\n  Hello, world!\n\n")

    assert scan(project).items[0].metadata == {"en": {"text": "Hello, world!"}}


def test_language_variants_join_the_post_of_their_stem(project):
    write(project / "hello.md", "Hello")
    write(project / "hello.cn.md", "你好")
    write(project / "hello.ja.txt", "こんにちは")

    [item] = scan(project).items

    assert item.key == "hello.md"
    assert item.metadata == {
        "en": {"text": "Hello"},
        "cn": {"text": "你好"},
        "ja": {"text": "こんにちは"},
    }


def test_the_bare_file_is_in_the_projects_language(project):
    write(project / "hello.md", "こんにちは")

    assert scan(project, language="ja").items[0].metadata == {"ja": {"text": "こんにちは"}}


def test_zh_in_a_file_name_is_stored_as_cn(project):
    write(project / "hello.zh.md", "你好")

    assert scan(project).items[0].metadata == {"cn": {"text": "你好"}}


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["hello.ja.md", "hello.cn.md"], "hello.cn.md"),
        (["hello.ja.md", "hello.en.txt", "hello.cn.md"], "hello.en.txt"),
        (["hello.ja.txt", "hello.ja.md"], "hello.ja.md"),
        (["hello.zh.md", "hello.ja.md"], "hello.zh.md"),
        (["hello.cn.md", "hello.txt"], "hello.txt"),
    ],
)
def test_the_key_is_the_bare_file_else_the_first_language_in_en_cn_ja_order(project, names, key):
    for name in names:
        write(project / name, "text")

    assert [item.key for item in scan(project).items] == [key]


def test_dots_that_are_not_a_language_stay_in_the_stem(project):
    write(project / "notes.draft.md", "Draft")

    assert scan(project).items[0].key == "notes.draft.md"


@pytest.mark.parametrize(
    ("media", "kind"),
    [("hello.jpg", "image"), ("hello.mp4", "video"), ("hello.mov", "video"), ("hello.gif", "gif")],
)
def test_media_with_the_same_stem_is_attached(project, media, kind):
    write(project / "posts" / "hello.md", "Hello")
    write_media(project / "posts" / media)

    [item] = scan(project).items

    assert (item.kind, item.media_paths, item.error) == (kind, [f"posts/{media}"], "")


def test_numbered_images_are_kept_in_number_order(project):
    write(project / "hello.md", "Hello")
    for name in ("hello.3.png", "hello.1.jpg", "hello.4.webp", "hello.2.jpeg"):
        write_media(project / name)

    [item] = scan(project).items

    assert item.media_paths == ["hello.1.jpg", "hello.2.jpeg", "hello.3.png", "hello.4.webp"]
    assert item.kind == "image"
    assert item.error == ""


def test_more_than_four_images_is_an_error(tmp_path):
    project = make_plain_project(tmp_path, "blog", n_posts=1, images=5)

    [item] = scan(project).items

    assert item.error == "posts/post_001.md has 5 images; a post carries at most 4."


def test_a_video_with_images_is_an_error(project):
    write(project / "hello.md", "Hello")
    write_media(project / "hello.1.jpg")
    write_media(project / "hello.2.mp4")

    assert scan(project).items[0].error == (
        "hello.md mixes a video or GIF with other media; a post carries one video, one GIF, "
        "or up to 4 images."
    )


def test_unnumbered_and_numbered_images_together_are_an_error(project):
    write(project / "hello.md", "Hello")
    write_media(project / "hello.jpg")
    write_media(project / "hello.1.jpg")

    assert "number them all" in scan(project).items[0].error


def test_two_images_with_the_same_number_are_an_error(project):
    write(project / "hello.md", "Hello")
    write_media(project / "hello.1.jpg")
    write_media(project / "hello.1.png")

    assert scan(project).items[0].error == (
        "hello.1.jpg and hello.1.png have the same number; give each image its own."
    )


def test_media_without_a_text_file_is_reported_without_an_item(project):
    write_media(project / "posts" / "lonely.2.jpg")

    result = scan(project)

    assert result.items == []
    assert result.errors == [
        {
            "path": "posts/lonely.2.jpg",
            "error": "posts/lonely.2.jpg has no text file; a post needs lonely.md or "
            "lonely.txt next to it.",
        }
    ]


def test_media_only_joins_a_text_file_in_its_own_folder(project):
    write(project / "a" / "hello.md", "Hello")
    write_media(project / "b" / "hello.jpg")

    result = scan(project)

    assert result.items[0].media_paths == []
    assert [error["path"] for error in result.errors] == ["b/hello.jpg"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "hello.md is empty."),
        (b" \n\t\n", "hello.md is empty."),
        (b"caf\xe9", "hello.md is not valid UTF-8 (byte 0xe9 at offset 3)."),
        (
            b"x" * (MAX_TEXT_BYTES + 1),
            "hello.md is 65,537 bytes; text files are limited to 64 KiB.",
        ),
    ],
)
def test_an_unreadable_text_file_makes_its_post_an_error(project, content, reason):
    write(project / "hello.md", content)

    result = scan(project)

    assert result.items[0].error == reason
    assert result.errors == [{"path": "hello.md", "error": reason}]


def test_a_text_file_of_exactly_the_limit_is_accepted(project):
    write(project / "hello.md", "x" * MAX_TEXT_BYTES)

    assert scan(project).items[0].error == ""


def test_two_files_for_the_same_language_are_an_error(project):
    write(project / "hello.md", "Hello")
    write(project / "hello.txt", "Hello again")

    [item] = scan(project).items

    assert item.key == "hello.md"
    assert item.error == "hello.md and hello.txt each hold the en text; keep one."


def test_subfolders_are_scanned_but_hidden_ones_and_uploader_json_are_not(project):
    write(project / "2025" / "06" / "hello.md", "Hello")
    write(project / ".drafts" / "secret.md", "Not yet")
    write(project / ".hidden.md", "Not yet")
    write(project / "uploader_json" / "notes.md", "Not a post")

    result = scan(project)

    assert [item.key for item in result.items] == ["2025/06/hello.md"]
    assert result.errors == []


def test_unsupported_files_are_reported(project):
    write(project / "hello.md", "Hello")
    write(project / "hello.json", "{}")

    assert scan(project).errors == [
        {
            "path": "hello.json",
            "error": "hello.json has an unsupported file type (.json); the plain layout uses "
            ".md, .txt, .mp4, .mov, .gif, .jpg, .jpeg, .png, .webp.",
        }
    ]


def test_a_text_symlink_that_leaves_the_project_is_an_error_item(project, tmp_path):
    outside = write(tmp_path / "elsewhere" / "passwd.md", "root:x:0:0")
    os.symlink(outside, project / "hello.md")

    [item] = scan(project).items

    assert item.key == "hello.md"
    assert item.metadata == {}
    assert "leads outside the project folder" in item.error


def test_an_image_symlink_that_leaves_the_project_makes_the_post_an_error(project, tmp_path):
    write(project / "hello.md", "Hello")
    os.symlink(write_media(tmp_path / "elsewhere" / "x.jpg"), project / "hello.jpg")

    [item] = scan(project).items

    assert item.error == (
        "hello.jpg is a symlink that leads outside the project folder; it was not followed."
    )
