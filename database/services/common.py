"""Shared by the backup engines. Long work reports `progress(phase, done, total)`:
commands print it, tests and the worker pass nothing."""

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    return None


class BackupError(Exception):
    """A backup, verification or restore step failed; the message says which and why."""
