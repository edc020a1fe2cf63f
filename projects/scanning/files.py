"""Walking a project folder and reading its small files. Every failure becomes a
problem attached to one path; nothing here raises past its caller."""

import codecs
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from projects.paths import PathNotAllowed, resolve_inside

from .base import MAX_JSON_BYTES, MAX_TEXT_BYTES, FileEntry, problem

# O_NOFOLLOW: a file swapped for a symlink between the walk and the read is refused.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class Unreadable(Exception):
    """A file that cannot be used; the message is one sentence naming it."""


@dataclass(slots=True)
class Tree:
    files: list[FileEntry] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    unscanned: list[str] = field(default_factory=list)


def walk(root: Path, prune: Callable[[str], bool]) -> Tree:
    """Every file under `root` (a real path), hidden names skipped, sorted by path.

    Folders for which `prune(relative path)` is true are not entered."""
    tree = Tree()
    pending = [("", os.fspath(root))]
    while pending:
        rel_dir, abs_dir = pending.pop()
        _walk_folder(root, rel_dir, abs_dir, tree, pending, prune)
    tree.files.sort(key=lambda entry: entry.rel)
    return tree


def _walk_folder(root, rel_dir, abs_dir, tree, pending, prune) -> None:
    try:
        with os.scandir(abs_dir) as entries:
            for entry in entries:
                _visit(root, rel_dir, entry, tree, pending, prune)
    except OSError as exc:
        tree.unscanned.append(rel_dir or ".")
        tree.errors.append(problem(rel_dir or ".", _folder_message(root, rel_dir, exc)))


def _folder_message(root: Path, rel_dir: str, exc: OSError) -> str:
    if not rel_dir:
        return f"The project folder {root} could not be read ({exc.strerror})."
    return (
        f"The folder {rel_dir} could not be read ({exc.strerror}); "
        "its files were left as they were."
    )


def _visit(root, rel_dir, entry, tree, pending, prune) -> None:
    # .DS_Store, ._clip.mp4 (macOS resource forks), .git, editor swap files.
    if entry.name.startswith("."):
        return
    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
    if not _is_utf8(entry.name):
        # The database cannot store such a name (and X could not show it).
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        tree.errors.append(problem(shown, f"{shown} has a name that is not UTF-8; rename it."))
    elif entry.is_symlink():
        _visit_link(root, rel, entry, tree)
    elif entry.is_dir(follow_symlinks=False):
        if not prune(rel):
            pending.append((rel, entry.path))
    else:
        tree.files.append(_file_entry(rel, entry.path, follow=False))


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _visit_link(root: Path, rel: str, entry: os.DirEntry, tree: Tree) -> None:
    try:
        real = resolve_inside(root, rel)
    except PathNotAllowed:
        message = f"{rel} is a symlink that leads outside the project folder; it was not followed."
        tree.files.append(FileEntry(rel, entry.path, problem=message))
        return
    if real.is_dir():
        return  # folders reached through links are not entered: no loops, no duplicates
    if not real.exists():
        tree.files.append(FileEntry(rel, entry.path, problem=f"{rel} is a broken symlink."))
        return
    tree.files.append(_file_entry(rel, os.fspath(real), follow=True))


def _file_entry(rel: str, path: str, *, follow: bool) -> FileEntry:
    try:
        info = os.stat(path, follow_symlinks=follow)
    except OSError as exc:
        return FileEntry(rel, path, problem=f"{rel} could not be read ({exc.strerror}).")
    if not stat.S_ISREG(info.st_mode):
        return FileEntry(rel, path, problem=f"{rel} is not a regular file.")
    return FileEntry(rel, path, info.st_size, info.st_mtime_ns)


def read_text(entry: FileEntry, *, limit: int = MAX_TEXT_BYTES, label: str = "text") -> str:
    data = _read_bytes(entry, limit, label)
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0  # editors on Windows add one
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise Unreadable(
            f"{entry.rel} is not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset})."
        ) from None
    if not text.strip():
        raise Unreadable(f"{entry.rel} is empty.")
    if "\x00" in text:
        raise Unreadable(f"{entry.rel} contains a NUL character, which cannot be stored.")
    return text


def read_json(entry: FileEntry) -> object:
    text = read_text(entry, limit=MAX_JSON_BYTES, label="JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            f"{entry.rel} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    # Escapes can make strings the database refuses (\u0000, a lone \ud800); only
    # escapes can, so files without any skip the walk.
    if "\\u" in text and (bad := _unstorable(data)):
        raise Unreadable(f"{entry.rel} contains {bad}, which cannot be stored.")
    return data


def _unstorable(data: object) -> str:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value
        elif isinstance(value, str) and (reason := _unstorable_text(value)):
            return reason
    return ""


def _unstorable_text(text: str) -> str:
    if "\x00" in text:
        return "a NUL character (\\u0000)"
    return "" if _is_utf8(text) else "an unpaired surrogate (\\ud800-\\udfff)"


def _read_bytes(entry: FileEntry, limit: int, label: str) -> bytes:
    if entry.problem:
        raise Unreadable(entry.problem)
    if entry.size > limit:
        raise Unreadable(_too_big(entry.rel, entry.size, limit, label))
    try:
        with os.fdopen(os.open(entry.path, _OPEN_FLAGS), "rb") as file:
            data = file.read(limit + 1)  # +1: a file that grew since the walk
    except OSError as exc:
        raise Unreadable(f"{entry.rel} could not be read ({exc.strerror}).") from None
    if len(data) > limit:
        raise Unreadable(_too_big(entry.rel, len(data), limit, label))
    return data


def _too_big(rel: str, size: int, limit: int, label: str) -> str:
    shown = f"{limit // 1024 // 1024} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
    return f"{rel} is {size:,} bytes; {label} files are limited to {shown}."
