"""The scanner: turns a project folder into ScannedItems and per-item errors.

Pure: it reads the disk and nothing else; projects.services.project_scan stores the
result. One module per layout; the rules are documented in docs/content-layouts.md."""

import os
from pathlib import Path

from projects.media import MAX_IMAGES, video_limit
from projects.models import ContentSource, Layout

from . import plain, uploader_json
from .base import (
    MAX_JSON_BYTES,
    MAX_TEXT_BYTES,
    MEDIA_KINDS,
    ScannedItem,
    ScanResult,
    normalize_language,
    problem,
)
from .files import walk

__all__ = [
    "MAX_IMAGES",
    "MAX_JSON_BYTES",
    "MAX_TEXT_BYTES",
    "MEDIA_KINDS",
    "ScanResult",
    "ScannedItem",
    "detect_layout",
    "scan_tree",
]

_LAYOUTS = {Layout.UPLOADER_JSON: uploader_json, Layout.PLAIN: plain}
MAX_KEY_LENGTH = ContentSource._meta.get_field("key").max_length


def detect_layout(path: str | Path) -> Layout:
    if Path(path, uploader_json.METADATA_DIR).is_dir():
        return Layout.UPLOADER_JSON
    return Layout.PLAIN


def scan_tree(
    root: Path, layout: str, default_language: str, *, max_video_seconds: int | None = None
) -> ScanResult:
    """Everything publishable under `root`, and a problem for everything that is not.
    Videos longer than `max_video_seconds` (the posting account's limit; X's 140 s for
    most accounts by default) are errors.

    Raises ValueError only for an unknown layout or language (a bug, not content)."""
    if layout not in _LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}; expected one of {Layout.values}.")
    language = normalize_language(default_language)
    real_root = Path(os.path.realpath(root))
    if not real_root.is_dir():
        return _folder_missing(real_root)
    module = _LAYOUTS[layout]
    with video_limit(max_video_seconds):
        result = _without_long_keys(module.scan(walk(real_root, module.prune), language))
    result.errors.sort(key=lambda error: (error["path"], error["error"]))
    return result


def _without_long_keys(result: ScanResult) -> ScanResult:
    """A key must fit ContentSource.key: a longer path is an error without a row."""
    long = [item for item in result.items if len(item.key) > MAX_KEY_LENGTH]
    for item in long:
        message = f"The path is {len(item.key):,} characters long; at most {MAX_KEY_LENGTH:,} fit."
        result.errors.append(problem(item.key, message))
    result.items = [item for item in result.items if len(item.key) <= MAX_KEY_LENGTH]
    return result


def _folder_missing(root: Path) -> ScanResult:
    state = "is not a folder" if root.exists() else "does not exist"
    return ScanResult(errors=[problem(".", f"The project folder {root} {state}.")], unscanned=["."])
