"""Differences between two configuration documents, as dotted paths. Lists are values:
a changed hour list is one change, shown whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MISSING = "(absent)"


def flatten(document: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from flatten(value, f"{path}.")
        else:
            yield path, value


def config_diff(old: dict, new: dict) -> list[dict]:
    """[{"path", "old", "new"}] for every leaf that differs, in the new document's order."""
    before, after = dict(flatten(old)), dict(flatten(new))
    paths = list(after) + [path for path in before if path not in after]
    return [
        {"path": path, "old": before.get(path, MISSING), "new": after.get(path, MISSING)}
        for path in paths
        if before.get(path, MISSING) != after.get(path, MISSING)
    ]


def diff_lines(changes: list[dict]) -> list[str]:
    return [f"{c['path']}: {_show(c['old'])} → {_show(c['new'])}" for c in changes]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return str(value)
