"""Path confinement: every path the app reads must really be inside a content root.

"Really" means after following symlinks and resolving `..`, so a link inside a
project that points at /etc is caught. These checks are pure (roots are passed in)
and are repeated at the moment of use, because the disk can change between a check
and a read."""

import os
from collections.abc import Sequence
from pathlib import Path


class PathNotAllowed(ValueError):
    """A path is malformed or its real location is outside the allowed folders."""


def resolve_inside_roots(path: str | Path, roots: Sequence[Path]) -> Path:
    """The real path of `path` (absolute) if it lies inside one of `roots`."""
    raw = _checked(path)
    if not os.path.isabs(raw):
        # Relative paths would depend on the process's working directory.
        raise PathNotAllowed(f"The path {raw!r} must be absolute.")
    real = _realpath(raw)
    real_roots = [_realpath(os.fspath(root)) for root in roots]
    if any(real.is_relative_to(root) for root in real_roots):
        return real
    raise PathNotAllowed(_outside_roots_message(raw, real, real_roots))


def resolve_inside(base: str | Path, relative: str | Path) -> Path:
    """The real path of `base / relative` if it stays inside `base` (itself included)."""
    raw = _checked(relative)
    real_base = _realpath(os.fspath(base))
    real = _realpath(os.path.join(real_base, raw))
    if real.is_relative_to(real_base):
        return real
    raise PathNotAllowed(f"{raw!r} leads outside the folder {os.fspath(real_base)!r}.")


def _checked(path: str | Path) -> str:
    raw = os.fspath(path)
    if not raw:
        raise PathNotAllowed("The path is empty.")
    if "\x00" in raw:
        raise PathNotAllowed(f"The path {raw!r} contains a NUL byte.")
    return raw


def _realpath(raw: str) -> Path:
    try:
        return Path(os.path.realpath(raw))
    except ValueError as exc:  # lone surrogates cannot be encoded for the OS
        raise PathNotAllowed(f"The path {raw!r} cannot be used: {exc}.") from exc


def _outside_roots_message(raw: str, real: Path, roots: list[Path]) -> str:
    if not roots:
        return f"{raw!r} cannot be used: no content roots are configured (CONTENT_ROOTS)."
    allowed = ", ".join(os.fspath(root) for root in roots)
    shown = raw if os.fspath(real) == raw else f"{raw} (real path {real})"
    return f"{shown} is outside the allowed content roots: {allowed}."
