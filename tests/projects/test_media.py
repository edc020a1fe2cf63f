"""Media are checked when the folder is scanned: the real type from the bytes, X's size
and length limits, and what one post may carry. A bad file is an error on its item,
never a task that fails at posting time."""

import os
import shutil
from pathlib import Path

import pytest

from projects import media
from projects.media import MediaError, inspect_media, sniff, validate_media
from projects.models import ContentSource
from projects.services import project_create, project_scan
from publishing.models import PublishingTask
from publishing.services.ingest import project_ingest
from tests.fixtures.content import (
    TINY_GIF,
    TINY_JPEG,
    TINY_MOV,
    TINY_MP4,
    TINY_PNG,
    TINY_WEBP,
    batch_path,
    box,
    make_uploader_json_project,
    metadata_entry,
    mp4_bytes,
    mvhd,
    write,
    write_json,
    write_media,
    write_mp4,
)

DEMO_VIDEOS = Path(__file__).resolve().parents[2] / "demo" / "content" / "demo-videos" / "videos"
MB = 1024 * 1024


def sparse(path: Path, header: bytes, size: int) -> Path:
    """A file of `size` bytes that starts with `header`, without writing them all."""
    write(path, header)
    with path.open("r+b") as file:
        file.seek(size - 1)
        file.write(b"\0")
    return path


def sparse_video(path: Path, size: int, seconds: float = 30.0, *, moov_last=False) -> Path:
    """A valid video of `size` bytes whose mdat fills what ftyp and moov leave; moov
    before it (faststart) or after it (as ffmpeg writes by default)."""
    whole = mp4_bytes(seconds)
    ftyp, moov = whole[: whole.index(b"moov") - 4], box(b"moov", mvhd(seconds))
    mdat = (size - len(ftyp) - len(moov)).to_bytes(4, "big") + b"mdat"
    if not moov_last:
        return sparse(path, ftyp + moov + mdat, size)
    sparse(path, ftyp + mdat, size - len(moov))
    with path.open("ab") as file:
        file.write(moov)
    return path


def images(folder: Path, count: int, stem: str = "pic") -> list[Path]:
    return [write(folder / f"{stem}.{n}.jpg", TINY_JPEG) for n in range(1, count + 1)]


# --- what a file is -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind", "mime", "dimensions"),
    [
        ("a.jpg", TINY_JPEG, "image", "image/jpeg", (None, None)),
        ("a.png", TINY_PNG, "image", "image/png", (1, 1)),
        ("a.webp", TINY_WEBP, "image", "image/webp", (1, 1)),
        ("a.gif", TINY_GIF, "gif", "image/gif", (1, 1)),
        ("a.gif", b"GIF87a\x02\x00\x03\x00" + bytes(8), "gif", "image/gif", (2, 3)),
        ("a.mp4", TINY_MP4, "video", "video/mp4", (None, None)),
        ("a.mov", TINY_MOV, "video", "video/quicktime", (None, None)),
    ],
)
def test_each_format_is_recognised_by_its_magic_number(
    tmp_path, name, data, kind, mime, dimensions
):
    info = sniff(write(tmp_path / name, data))

    assert (info.kind, info.mime, info.size) == (kind, mime, len(data))
    assert (info.width, info.height) == dimensions


def test_the_type_comes_from_the_bytes_not_the_extension(tmp_path):
    path = write(tmp_path / "a.mp4", TINY_PNG)

    assert sniff(path).kind == "image"
    assert validate_media([path], names=["a.mp4"]) == [
        "a.mp4 is a PNG image, not a video: rename it or fix the file."
    ]


def test_a_gif_named_like_a_jpeg_is_an_error_but_a_jpeg_named_png_is_just_an_image(tmp_path):
    gif = write(tmp_path / "loop.jpg", TINY_GIF)
    jpeg = write(tmp_path / "photo.png", TINY_JPEG)

    assert validate_media([gif], names=["loop.jpg"]) == [
        "loop.jpg is a GIF, not an image: rename it or fix the file."
    ]
    assert validate_media([jpeg]) == []
    assert sniff(jpeg).mime == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, world\n", "is not a file X can post: its bytes match no JPEG, PNG, GIF, WebP"),
        (b"%PDF-1.7\n", "is not a file X can post"),
        (b"BM" + bytes(40), "is not a file X can post"),
        (mp4_bytes(brand=b"M4A "), "is an audio file (brand 'M4A'), not a video."),
        (mp4_bytes(brand=b"heic"), "is a HEIF or AVIF image (brand 'heic'), which X does not"),
        (
            box(b"ftyp", b"crx \0\0\0\0crx "),
            "is an ISO media file of brand 'crx', not an MP4 or MOV",
        ),
    ],
    ids=["text", "pdf", "bmp", "m4a-audio", "heic-photo", "unknown-brand"],
)
def test_a_file_x_cannot_post_is_refused_with_a_sentence_naming_it(tmp_path, data, message):
    path = write(tmp_path / "clip.mp4", data)

    with pytest.raises(MediaError) as caught:
        sniff(path, name="clip.mp4")

    assert str(caught.value).startswith(f"clip.mp4 {message}")
    assert str(caught.value).endswith(".")


def test_a_fifo_is_refused_instead_of_hanging_the_scan(tmp_path):
    os.mkfifo(tmp_path / "clip.mp4")

    with pytest.raises(MediaError, match=r"^clip\.mp4 is not a regular file\.$"):
        sniff(tmp_path / "clip.mp4", name="clip.mp4")


# --- video duration and truncation -------------------------------------------------


def test_the_duration_of_a_real_ffmpeg_video_is_read_from_its_moov_box():
    info = sniff(DEMO_VIDEOS / "demo_001.mp4")

    assert (info.kind, info.mime) == ("video", "video/mp4")
    assert info.duration == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"version": 1},
        {"moov_first": False},
        {"timescale": 90_000},
        {"brand": b"qt  "},
        {"brand": b"mp42"},
        {"brand": b"M4V "},
    ],
    ids=["v0", "v1", "moov-last", "timescale-90k", "mov", "mp42", "m4v"],
)
def test_the_duration_is_read_whatever_the_mvhd_version_and_box_order(tmp_path, options):
    info = sniff(write_mp4(tmp_path / "clip.mp4", 12.5, **options))

    assert info.duration == pytest.approx(12.5)


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1])
def test_a_truncated_real_video_is_a_truncated_or_unreadable_video(tmp_path, keep):
    data = (DEMO_VIDEOS / "demo_004.mp4").read_bytes()
    path = write(tmp_path / "cut.mp4", data[: int(len(data) * keep)])

    with pytest.raises(MediaError, match=r"^cut\.mp4 is a truncated or unreadable video \("):
        sniff(path, name="cut.mp4")


def test_a_video_cut_before_its_moov_box_is_a_truncated_video(tmp_path):
    data = mp4_bytes(3.0, moov_first=False)
    path = write(tmp_path / "cut.mp4", data[: data.index(b"moov") - 4])

    with pytest.raises(MediaError) as caught:
        sniff(path, name="cut.mp4")

    assert str(caught.value) == "cut.mp4 is a truncated or unreadable video (it has no moov box)."


def test_a_box_whose_size_runs_past_the_end_of_the_file_is_a_truncated_video(tmp_path):
    path = write(tmp_path / "cut.mp4", TINY_MP4[:-10])

    with pytest.raises(MediaError) as caught:
        sniff(path, name="cut.mp4")

    assert str(caught.value) == (
        "cut.mp4 is a truncated or unreadable video (its mdat box runs past the end of the file)."
    )


def test_a_huge_video_is_sniffed_from_a_few_box_headers(tmp_path, monkeypatch):
    size = 600 * MB
    path = sparse_video(tmp_path / "huge.mp4", size, moov_last=True)
    read = []
    real_pread = os.pread
    monkeypatch.setattr(os, "pread", lambda fd, n, at: read.append(n) or real_pread(fd, n, at))

    info = sniff(path)

    assert (info.size, info.duration) == (size, pytest.approx(30.0))
    assert len(read) <= 4 and sum(read) <= media.READ_AHEAD + 64
    assert validate_media([path], names=["huge.mp4"]) == [
        "huge.mp4 is 629,145,600 bytes; X takes videos up to 512 MB (536,870,912 bytes)."
    ]


# --- X's rules ----------------------------------------------------------------------


def test_seven_images_are_too_many_for_one_post(tmp_path):
    assert validate_media(images(tmp_path, 7), post="hello.md") == [
        "hello.md has 7 images; a post carries at most 4."
    ]


def test_up_to_four_images_make_one_post(tmp_path):
    report = inspect_media(images(tmp_path, 4))

    assert (report.errors, report.kind) == ([], "image")


def test_a_20_mb_image_is_over_the_5_mb_limit(tmp_path):
    path = sparse(tmp_path / "big.png", TINY_PNG, 20 * MB)

    assert validate_media([path], names=["big.png"]) == [
        "big.png is 20,971,520 bytes; X takes images up to 5 MB (5,242,880 bytes)."
    ]


@pytest.mark.parametrize(
    ("name", "header", "limit"),
    [("a.png", TINY_PNG, 5 * MB), ("a.gif", TINY_GIF, 15 * MB), ("a.mp4", TINY_MP4, 512 * MB)],
)
def test_each_kind_may_reach_its_size_limit_but_not_pass_it(tmp_path, name, header, limit):
    if name.endswith(".mp4"):
        at_limit = sparse_video(tmp_path / "ok" / name, limit)
        over = sparse_video(tmp_path / "over" / name, limit + 1)
    else:
        at_limit = sparse(tmp_path / "ok" / name, header, limit)
        over = sparse(tmp_path / "over" / name, header, limit + 1)

    assert validate_media([at_limit]) == []
    assert len(validate_media([over])) == 1


def test_a_gif_and_an_image_cannot_share_a_post(tmp_path):
    paths = [write(tmp_path / "a.1.gif", TINY_GIF), write(tmp_path / "a.2.jpg", TINY_JPEG)]

    assert validate_media(paths, post="a.md") == [
        "a.md mixes a video or GIF with other media; "
        "a post carries one video, one GIF, or up to 4 images."
    ]


def test_two_videos_cannot_share_a_post(tmp_path):
    paths = [write_mp4(tmp_path / "a.1.mp4"), write_mp4(tmp_path / "a.2.mp4")]

    assert validate_media(paths, post="a.md") == [
        "a.md has 2 videos; a post carries one video, one GIF, or up to 4 images."
    ]


def test_a_video_over_140_seconds_is_refused_for_most_accounts(tmp_path):
    ok = write_mp4(tmp_path / "ok.mp4", media.MAX_VIDEO_SECONDS)
    long = write_mp4(tmp_path / "long.mp4", 140.5)

    assert validate_media([ok]) == []
    assert validate_media([long], names=["long.mp4"]) == [
        "long.mp4 runs 140.5 s; most accounts can post videos of up to 140 s."
    ]


def test_the_video_length_limit_is_a_setting_of_the_module(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "MAX_VIDEO_SECONDS", 600)

    assert validate_media([write_mp4(tmp_path / "long.mp4", 300)]) == []


# --- the scan -----------------------------------------------------------------------


@pytest.fixture
def blog(content_root):
    """A plain project: one good post, and one post for each kind of bad media."""
    folder = content_root / "blog"
    for stem in ("good", "renamed", "truncated", "seven", "big", "mixed", "videos", "long"):
        write(folder / f"{stem}.md", f"The {stem} post.\n")
    write_media(folder / "good.jpg")
    write(folder / "renamed.mp4", TINY_PNG)
    write(folder / "truncated.mp4", (DEMO_VIDEOS / "demo_001.mp4").read_bytes()[:1000])
    images(folder, 7, "seven")
    sparse(folder / "big.png", TINY_PNG, 20 * MB)
    write_media(folder / "mixed.1.gif")
    write_media(folder / "mixed.2.jpg")
    write_mp4(folder / "videos.1.mp4")
    write_mp4(folder / "videos.2.mov", brand=b"qt  ")
    write_mp4(folder / "long.mp4", 141)
    return folder


@pytest.mark.django_db
def test_bad_media_become_errors_on_their_items_and_never_tasks(owner, blog):
    project = project_create(owner=owner, name="Blog", path=str(blog), layout="plain")

    ingest = project_ingest(project=project)

    rows = {row.key: row for row in ContentSource.objects.filter(project=project)}
    assert {key for key, row in rows.items() if row.status == "active"} == {"good.md"}
    assert rows["renamed.md"].error == (
        "renamed.mp4 is a PNG image, not a video: rename it or fix the file."
    )
    assert rows["truncated.md"].error.startswith(
        "truncated.mp4 is a truncated or unreadable video ("
    )
    assert rows["seven.md"].error == "seven.md has 7 images; a post carries at most 4."
    assert rows["big.md"].error == (
        "big.png is 20,971,520 bytes; X takes images up to 5 MB (5,242,880 bytes)."
    )
    assert rows["mixed.md"].error.startswith("mixed.md mixes a video or GIF with other media;")
    assert rows["videos.md"].error.startswith("videos.md has 2 videos;")
    assert rows["long.md"].error == (
        "long.mp4 runs 141.0 s; most accounts can post videos of up to 140 s."
    )
    report_errors = {error["path"]: error["error"] for error in ingest["errors"]}
    assert report_errors == {key: row.error for key, row in rows.items() if row.error}
    tasks = PublishingTask.objects.filter(project=project)
    assert [task.content_path for task in tasks] == ["good.md"]


@pytest.mark.django_db
def test_an_items_kind_comes_from_its_bytes(owner, content_root):
    folder = make_uploader_json_project(content_root, "maker", n_videos=0)
    write(folder / "clip.mp4", TINY_PNG)
    write(folder / "loop.jpg", TINY_GIF)
    write_mp4(folder / "movie.mov")  # an MP4 named .mov: still a video, no error
    entries = {name: metadata_entry() for name in ("clip.mp4", "loop.jpg", "movie.mov")}
    write_json(batch_path(folder), entries)
    project = project_create(owner=owner, name="Maker", path=str(folder))

    outcome = project_scan(project=project)

    rows = {row.key: row for row in ContentSource.objects.filter(project=project)}
    assert {key: (row.kind, row.status) for key, row in rows.items()} == {
        "clip.mp4": ("image", "error"),
        "loop.jpg": ("gif", "error"),
        "movie.mov": ("video", "active"),
    }
    assert [error["path"] for error in outcome.report.errors] == ["clip.mp4", "loop.jpg"]
    assert outcome.report.error_count == 2


@pytest.mark.django_db
def test_a_repaired_video_is_active_again_at_the_next_scan(owner, content_root):
    folder = make_uploader_json_project(content_root, "maker", n_videos=1)
    video = folder / "videos" / "maker_001.mp4"
    write(video, TINY_MP4[:-10])
    project = project_create(owner=owner, name="Maker", path=str(folder))
    project_scan(project=project)
    assert ContentSource.objects.get(project=project).status == "error"

    shutil.copyfile(DEMO_VIDEOS / "demo_001.mp4", video)
    outcome = project_scan(project=project)

    source = ContentSource.objects.get(project=project)
    assert (source.status, source.error, source.kind) == ("active", "", "video")
    assert outcome.updated == [source.pk]
    assert outcome.report.errors == []
