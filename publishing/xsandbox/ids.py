"""Snowflake-like ids: milliseconds since X's epoch in the high bits, so ids grow with time."""

from __future__ import annotations

TWITTER_EPOCH_MS = 1288834974657
_SEQUENCE_BITS = 22


class SnowflakeIds:
    def __init__(self, last: int = 0):
        self._last = last
        self._backdated = 0

    def next(self, now: float) -> int:
        """A fresh id, strictly greater than every id handed out before."""
        self._last = max(self._stamp(now), self._last + 1)
        return self._last

    def at(self, moment: float) -> int:
        """An id for a post seeded in the past; ordered by time like real ones."""
        self._backdated = (self._backdated + 1) % (1 << _SEQUENCE_BITS)
        return self._stamp(moment) | self._backdated

    @staticmethod
    def _stamp(moment: float) -> int:
        return (int(moment * 1000) - TWITTER_EPOCH_MS) << _SEQUENCE_BITS
