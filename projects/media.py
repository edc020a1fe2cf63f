"""What a media file really is, and whether X would take it: checked at scan time so
that a bad file becomes a per-item error, never a task that fails at posting time.

The type is sniffed from the first bytes, never trusted from the extension. A video's
duration comes from its moov/mvhd box, found by walking the top-level boxes with
seeks: a 512 MB video costs a few small reads. The limits are X's (see
/work/shared/X_API.md): up to 4 images, or one GIF, or one video per post."""

import os
import stat
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NamedTuple

IMAGE, GIF, VIDEO = "image", "gif", "video"  # the values of ContentSource.Kind

MIB = 1024 * 1024
MAX_BYTES = {IMAGE: 5 * MIB, GIF: 15 * MIB, VIDEO: 512 * MIB}
MAX_IMAGES = 4
# Most accounts. Paid accounts may post longer videos: the X account's limit (a
# publishing setting, which projects cannot import) is set for a scan by video_limit().
MAX_VIDEO_SECONDS = 140
_video_limit: ContextVar[int | None] = ContextVar("video_limit", default=None)

# Extension -> the kind its name promises.
EXTENSION_KINDS: dict[str, str] = {
    ".mp4": VIDEO,
    ".mov": VIDEO,
    ".gif": GIF,
    ".jpg": IMAGE,
    ".jpeg": IMAGE,
    ".png": IMAGE,
    ".webp": IMAGE,
}

HEAD_BYTES = 64  # enough for every magic number, PNG/GIF/WebP sizes and ftyp brands
# Read in the first system call: the kernel reads a whole page anyway, and it usually
# holds a video's ftyp box, the moov header and mvhd (and all of a tiny file).
READ_AHEAD = 4096
# Fragmented MP4s have a moof/mdat pair per fragment; past this many boxes the rest of
# the file is not checked.
MAX_TOP_LEVEL_BOXES = 100_000
# ISO-BMFF brands of files that hold video X can take (MP4, QuickTime, M4V, 3GPP...).
VIDEO_BRANDS = frozenset(
    {
        b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9",
        b"mp41", b"mp42", b"mp71", b"avc1", b"hvc1", b"dash", b"mmp4", b"msnv",
        b"qt  ", b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"XAVC", b"MSNV", b"ndas",
        b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3g2a", b"3g2b", b"3g2c",
    }
)  # fmt: skip
# Major brands that say "not a video" even when video brands are listed as compatible
# (an iTunes M4A lists mp42 and isom).
AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "})
STILL_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif"})
# Old QuickTime files may start without an ftyp box.
_QUICKTIME_FIRST_BOXES = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
# O_NOFOLLOW: a file swapped for a symlink since the walk is refused; O_NONBLOCK: one
# swapped for a FIFO cannot hang the scan.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)
)
_LABELS = {
    "image/jpeg": "a JPEG image",
    "image/png": "a PNG image",
    "image/webp": "a WebP image",
    "image/gif": "a GIF",
    "video/mp4": "an MP4 video",
    "video/quicktime": "a QuickTime video",
}
_EXPECTED = {IMAGE: "an image", GIF: "a GIF", VIDEO: "a video"}
_PLURALS = {IMAGE: "images", GIF: "GIFs", VIDEO: "videos"}


class MediaError(Exception):
    """A media file that cannot be posted; the message is one sentence naming it."""


class MediaInfo(NamedTuple):
    kind: str  # image, gif or video
    mime: str
    size: int
    duration: float | None = None  # seconds, videos only, when the file says
    width: int | None = None  # when the header gives it cheaply (PNG, GIF, WebP)
    height: int | None = None


@dataclass(slots=True)
class MediaReport:
    """What inspect_media found: one MediaInfo per file (None where it could not be
    sniffed), the errors, and the post's kind when every file could be sniffed."""

    infos: list[MediaInfo | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        if not self.infos or None in self.infos:
            return None
        return self.infos[0].kind  # type: ignore[union-attr]


# --- sniffing ----------------------------------------------------------------------


def sniff(path: str | os.PathLike, *, name: str | None = None) -> MediaInfo:
    """The real type of the file at `path`, from its bytes. Raises MediaError, whose
    message names the file as `name` (the path itself by default)."""
    shown = name or os.fspath(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise MediaError(f"{shown} could not be read ({exc.strerror}).") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MediaError(f"{shown} is not a regular file.")
        return _sniff(_Source(fd, os.pread(fd, READ_AHEAD, 0), info.st_size, shown))
    except OSError as exc:
        raise MediaError(f"{shown} could not be read ({exc.strerror}).") from None
    finally:
        os.close(fd)


class _Source:
    """An open media file and its first bytes: reads inside them cost no system call."""

    __slots__ = ("fd", "head", "shown", "size")

    def __init__(self, fd: int, head: bytes, size: int, shown: str):
        self.fd, self.head, self.size = fd, head, size
        self.shown = shown  # the file's name in error messages

    def read(self, offset: int, length: int) -> bytes:
        if offset + length <= len(self.head):
            return self.head[offset : offset + length]
        return os.pread(self.fd, length, offset)


def _sniff(source: _Source) -> MediaInfo:
    head = source.head[:HEAD_BYTES]
    if not head:
        raise MediaError(f"{source.shown} is empty.")
    if info := _sniff_image(head, source.size):
        return info
    if _is_iso_media(head):
        return _sniff_video(source)
    raise MediaError(
        f"{source.shown} is not a file X can post: its bytes match no JPEG, PNG, GIF, WebP, "
        "MP4 or MOV header."
    )


def _sniff_image(head: bytes, size: int) -> MediaInfo | None:
    if head.startswith(b"\xff\xd8\xff"):
        return MediaInfo(IMAGE, "image/jpeg", size)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = _dimensions(">II", head, 16) if head[12:16] == b"IHDR" else (None, None)
        return MediaInfo(IMAGE, "image/png", size, width=width, height=height)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = _dimensions("<HH", head, 6)
        return MediaInfo(GIF, "image/gif", size, width=width, height=height)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        width, height = _webp_dimensions(head)
        return MediaInfo(IMAGE, "image/webp", size, width=width, height=height)
    return None


def _dimensions(fmt: str, head: bytes, offset: int) -> tuple[int | None, int | None]:
    if len(head) < offset + struct.calcsize(fmt):
        return None, None
    width, height = struct.unpack_from(fmt, head, offset)
    return width, height


def _webp_dimensions(head: bytes) -> tuple[int | None, int | None]:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", head, 26)
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        return width, int.from_bytes(head[27:30], "little") + 1
    return None, None


def _is_iso_media(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head[4:8] in _QUICKTIME_FIRST_BOXES


# --- ISO base media (MP4, MOV) -----------------------------------------------------


def _sniff_video(source: _Source) -> MediaInfo:
    mime = _video_mime(source.head[:HEAD_BYTES], source.shown)
    boxes = _top_level_boxes(source)
    if b"moov" not in boxes:
        raise _truncated(source.shown, "it has no moov box")
    if b"mdat" not in boxes:
        raise _truncated(source.shown, "it has no mdat box")
    start, end = boxes[b"moov"]
    return MediaInfo(VIDEO, mime, source.size, duration=_moov_duration(source, start, end))


def _video_mime(head: bytes, shown: str) -> str:
    if head[4:8] != b"ftyp":
        return "video/quicktime"
    major = head[8:12]
    if major in VIDEO_BRANDS:
        return "video/quicktime" if major == b"qt  " else "video/mp4"
    brand = repr(major.decode("latin-1").strip())
    if major in AUDIO_BRANDS:
        raise MediaError(f"{shown} is an audio file (brand {brand}), not a video.")
    if major in STILL_IMAGE_BRANDS:
        raise MediaError(
            f"{shown} is a HEIF or AVIF image (brand {brand}), which X does not take: "
            "convert it to JPEG or PNG."
        )
    box_size = int.from_bytes(head[:4], "big")
    compatible = [head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)]
    if not any(each in VIDEO_BRANDS for each in compatible):
        raise MediaError(f"{shown} is an ISO media file of brand {brand}, not an MP4 or MOV video.")
    return "video/mp4"


def _top_level_boxes(source: _Source) -> dict[bytes, tuple[int, int]]:
    """type -> (start of the body, end) of the first box of each type, walking the
    file's top level by seeking from header to header. Every box must end inside the
    file: that is how a cut-off download shows."""
    boxes: dict[bytes, tuple[int, int]] = {}
    offset = 0
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if offset >= source.size:
            break
        kind, body, end = _box_at(source, offset, source.size)
        boxes.setdefault(kind, (body, end))
        offset = end
    return boxes


def _box_at(source: _Source, offset: int, limit: int) -> tuple[bytes, int, int]:
    header = source.read(offset, 16)
    if len(header) < 8:
        raise _truncated(source.shown, f"a box header at byte {offset:,} is cut short")
    box_size, kind = struct.unpack_from(">I4s", header)
    body = offset + 8
    if box_size == 1:  # a 64-bit size follows the type
        if len(header) < 16:
            raise _truncated(source.shown, f"a box header at byte {offset:,} is cut short")
        box_size, body = struct.unpack_from(">Q", header, 8)[0], offset + 16
    elif box_size == 0:  # the box runs to the end of the file
        box_size = limit - offset
    if box_size < body - offset:
        message = f"the {_box_name(kind)} box at byte {offset:,} has a bad size"
        raise _truncated(source.shown, message)
    if offset + box_size > limit:
        message = f"its {_box_name(kind)} box runs past the end of the file"
        raise _truncated(source.shown, message)
    return kind, body, offset + box_size


def _moov_duration(source: _Source, start: int, end: int) -> float | None:
    offset = start
    while offset < end:
        kind, body, offset = _box_at(source, offset, end)
        if kind == b"mvhd":
            return _mvhd_duration(source.read(body, min(32, offset - body)), source.shown)
    raise _truncated(source.shown, "its moov box has no mvhd box")


def _mvhd_duration(data: bytes, shown: str) -> float | None:
    version = data[0] if data else None
    if version == 0 and len(data) >= 20:
        timescale, duration = struct.unpack_from(">II", data, 12)
        unknown = duration == 0xFFFFFFFF
    elif version == 1 and len(data) >= 32:
        timescale, duration = struct.unpack_from(">IQ", data, 20)
        unknown = duration == 0xFFFFFFFFFFFFFFFF
    else:
        raise _truncated(shown, "its mvhd box is cut short or of an unknown version")
    if timescale == 0:
        raise _truncated(shown, "its mvhd box has a time scale of 0")
    # Fragmented MP4s may leave the duration at 0 or all ones: not known, not an error.
    return None if unknown or duration == 0 else duration / timescale


def _box_name(kind: bytes) -> str:
    return kind.decode("latin-1") if kind.isascii() and kind.isalnum() else repr(kind)


def _truncated(shown: str, reason: str) -> MediaError:
    return MediaError(f"{shown} is a truncated or unreadable video ({reason}).")


# --- validation --------------------------------------------------------------------


def inspect_media(
    paths: Sequence[str | os.PathLike],
    *,
    names: Sequence[str] | None = None,
    post: str = "The post",
) -> MediaReport:
    """Sniffs every file of one post and applies X's rules: the type behind each
    extension, the size limit of its kind, the video length, and what one post may
    carry. Files are named `names` in the errors (their paths by default); rules about
    the whole post name it `post`."""
    shown = list(names) if names is not None else [os.fspath(path) for path in paths]
    report = MediaReport()
    kinds = []
    for path, name in zip(paths, shown, strict=True):
        try:
            info = sniff(path, name=name)
        except MediaError as exc:
            info = None
            report.errors.append(str(exc))
        else:
            report.errors += media_problems(name, info)
        report.infos.append(info)
        # A file that could not be sniffed still counts, as its name says.
        if kind := info.kind if info else _extension_kind(name):
            kinds.append(kind)
    if problem := combination_problem(post, kinds):
        report.errors.append(problem)
    return report


def validate_media(
    paths: Sequence[str | os.PathLike],
    *,
    names: Sequence[str] | None = None,
    post: str = "The post",
) -> list[str]:
    """The errors inspect_media finds, one sentence each; empty when X would take them."""
    return inspect_media(paths, names=names, post=post).errors


def media_problems(name: str, info: MediaInfo) -> list[str]:
    """What is wrong with one sniffed file on its own."""
    problems = []
    expected = _extension_kind(name)
    if expected and expected != info.kind:
        label = _LABELS[info.mime]
        problems.append(f"{name} is {label}, not {_EXPECTED[expected]}: rename it or fix the file.")
    if info.size > MAX_BYTES[info.kind]:
        limit = MAX_BYTES[info.kind]
        problems.append(
            f"{name} is {info.size:,} bytes; X takes {_PLURALS[info.kind]} up to "
            f"{limit // MIB} MB ({limit:,} bytes)."
        )
    limit = _video_limit.get() or MAX_VIDEO_SECONDS
    if info.duration is not None and info.duration > limit:
        who = "most accounts" if limit == MAX_VIDEO_SECONDS else "the project's X account"
        problems.append(
            f"{name} runs {info.duration:,.1f} s; {who} can post videos of up to {limit} s."
        )
    return problems


@contextmanager
def video_limit(seconds: int | None) -> Iterator[None]:
    """Check videos against `seconds` (the posting account's limit) in this block;
    None keeps MAX_VIDEO_SECONDS."""
    token = _video_limit.set(seconds)
    try:
        yield
    finally:
        _video_limit.reset(token)


def combination_problem(post: str, kinds: Sequence[str]) -> str:
    """Empty if one post may carry media of these kinds, else the sentence saying why not."""
    rule = f"a post carries one video, one GIF, or up to {MAX_IMAGES} images"
    distinct = set(kinds)
    if len(distinct) > 1:
        return f"{post} mixes a video or GIF with other media; {rule}."
    if distinct == {IMAGE} and len(kinds) > MAX_IMAGES:
        return f"{post} has {len(kinds)} images; a post carries at most {MAX_IMAGES}."
    if distinct and distinct != {IMAGE} and len(kinds) > 1:
        return f"{post} has {len(kinds)} {_PLURALS[kinds[0]]}; {rule}."
    return ""


def _extension_kind(name: str) -> str | None:
    # Not Path(name).suffix: this runs for every media file of every scan.
    _stem, dot, suffix = name.rpartition(".")
    return EXTENSION_KINDS.get("." + suffix.lower()) if dot else None
