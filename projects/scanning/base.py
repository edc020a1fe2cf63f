"""What every layout shares: the scan's result types, limits, file kinds and the
fingerprint."""

import hashlib
import json
import re
from dataclasses import dataclass, field

from projects.media import (
    EXTENSION_KINDS,
    MediaError,
    combination_problem,
    media_problems,
    sniff,
)
from projects.models import ContentSource, Language

# Limits on what the scanner reads into memory. Media files are only sniffed (their
# first bytes, and a video's box headers: videos run to 512 MB); only their size and
# mtime enter the fingerprint.
MAX_TEXT_BYTES = 64 * 1024
MAX_JSON_BYTES = 20 * 1024 * 1024

Kind = ContentSource.Kind

# Which files are media, by extension; what they are comes from their bytes.
MEDIA_KINDS: dict[str, str] = {suffix: Kind(kind) for suffix, kind in EXTENSION_KINDS.items()}
_SNIFFED_KINDS = {kind.value: kind for kind in (Kind.IMAGE, Kind.GIF, Kind.VIDEO)}
TEXT_SUFFIXES = (".md", ".txt")

# File names may say "zh" for Chinese; the app stores "cn" (see Language).
LANGUAGE_TAGS: dict[str, str] = {"en": "en", "cn": "cn", "zh": "cn", "ja": "ja"}
LANGUAGE_ORDER = ("en", "cn", "zh", "ja")
_TAGGED_STEM = re.compile(r"(?s)(.+)\.(en|cn|zh|ja)")


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A file found on disk. `problem` is set when it must not be read (an escaping
    or broken symlink, a device...)."""

    rel: str
    path: str
    size: int = 0
    mtime_ns: int = 0
    problem: str = ""

    @property
    def folder(self) -> str:
        return self.rel.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.rel.rpartition("/")[2]

    @property
    def stem(self) -> str:
        return split_suffix(self.name)[0]

    @property
    def suffix(self) -> str:
        return split_suffix(self.name)[1]


@dataclass(frozen=True, slots=True)
class ScannedItem:
    key: str
    kind: str
    media_paths: list[str]
    metadata: dict[str, dict]
    fingerprint: str
    error: str = ""


@dataclass(slots=True)
class ScanResult:
    items: list[ScannedItem] = field(default_factory=list)
    # [{"path": relative path, "error": one sentence}], items in error included.
    errors: list[dict[str, str]] = field(default_factory=list)
    # Folders whose files are unknown this time ("." for the whole project): the
    # service must not mark rows under them as removed.
    unscanned: list[str] = field(default_factory=list)


def problem(path: str, error: str) -> dict[str, str]:
    return {"path": path, "error": error}


def split_suffix(name: str) -> tuple[str, str]:
    """("clip", ".mp4") for "clip.MP4": suffixes compare in lower case."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, "." + suffix.lower()


def split_language(stem: str, default_language: str) -> tuple[str, str, str]:
    """(base stem, language, tag as written): "a.cn" -> ("a", "cn", "cn")."""
    match = _TAGGED_STEM.fullmatch(stem)
    if match:
        return match[1], LANGUAGE_TAGS[match[2]], match[2]
    return stem, default_language, ""


def normalize_language(language: str) -> str:
    if language not in LANGUAGE_TAGS:
        raise ValueError(f"Unknown language {language!r}; expected one of {Language.values}.")
    return LANGUAGE_TAGS[language]


def fingerprint(kind: str, metadata: dict, media: list[FileEntry], error: str = "") -> str:
    """Changes whenever the post would: its text, media list, or any media file's
    size or mtime (a cheap stand-in for the bytes)."""
    payload = {
        "kind": kind,
        "metadata": metadata,
        "media": [[entry.rel, entry.size, entry.mtime_ns] for entry in media],
        "error": error,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def item(
    key: str, kind: str, metadata: dict, media: list[FileEntry], errors: list[str]
) -> ScannedItem:
    error = " ".join(errors)
    return ScannedItem(
        key=key,
        kind=kind,
        media_paths=[entry.rel for entry in media],
        metadata=metadata,
        fingerprint=fingerprint(kind, metadata, media, error),
        error=error,
    )


def check_media(key: str, media: list[FileEntry], errors: list[str]) -> str:
    """Sniffs a post's media files, adds what X would refuse to `errors` (one sentence
    each), and returns the post's kind: from the bytes where they could be read, else
    from the extension; text without media."""
    kinds = []
    for entry in media:
        kind = MEDIA_KINDS[entry.suffix]
        if entry.problem or entry.size == 0:
            errors.append(entry.problem or f"{entry.rel} is empty.")
        else:
            try:
                info = sniff(entry.path, name=entry.rel)
            except MediaError as exc:
                errors.append(str(exc))
            else:
                errors += media_problems(entry.rel, info)
                kind = _SNIFFED_KINDS[info.kind]
        kinds.append(kind)
    if combined := combination_problem(key, kinds):
        errors.append(combined)
    return kinds[0] if kinds else Kind.TEXT
