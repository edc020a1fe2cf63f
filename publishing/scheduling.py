"""When each new task of a project publishes: its slot scheduler and time rules.

Pure functions over aware datetimes; no database access. docs/scheduling.md
explains the algorithm and its daylight-saving rules with a worked example.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Lateness = Literal["on_time", "late_ok", "missed"]

# The values of Project.MissedPolicy, spelled out so this module needs no models.
SKIP = "skip"
PUBLISH_LATE = "publish_late"

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class ProjectRules(Protocol):
    """The Project fields a SlotPolicy is read from."""

    @property
    def timezone(self) -> str: ...
    @property
    def daily_max(self) -> int: ...
    @property
    def preferred_hours(self) -> Iterable[int]: ...
    @property
    def blackout_hours(self) -> Iterable[int]: ...
    @property
    def min_interval_minutes(self) -> int: ...


@dataclass(frozen=True)
class SlotPolicy:
    """A project's posting rules. Hours are local to `tz`; empty preferred_hours means any hour."""

    tz: ZoneInfo
    daily_max: int
    preferred_hours: tuple[int, ...]
    blackout_hours: frozenset[int]
    min_interval: timedelta

    def __post_init__(self) -> None:
        _check_rules(self)
        # Sorted and deduplicated, so equal rules compare equal and hours iterate in order.
        object.__setattr__(self, "preferred_hours", _hours(self.preferred_hours, "preferred_hours"))
        object.__setattr__(
            self, "blackout_hours", frozenset(_hours(self.blackout_hours, "blackout_hours"))
        )
        _check_some_hour_usable(self)

    @classmethod
    def from_project(cls, project: ProjectRules) -> SlotPolicy:
        return cls(
            tz=_zone(project.timezone),
            daily_max=project.daily_max,
            preferred_hours=tuple(project.preferred_hours or ()),
            blackout_hours=frozenset(project.blackout_hours or ()),
            # The form allows 0 ("no spacing"), but two posts still need distinct
            # instants, and a zero step would never move past a taken time.
            min_interval=timedelta(minutes=max(project.min_interval_minutes, 1)),
        )

    @property
    def usable_hours(self) -> tuple[int, ...]:
        """Preferred hours that are not blacked out."""
        return tuple(h for h in self.preferred_hours if h not in self.blackout_hours)


def next_slots(
    policy: SlotPolicy, *, taken: Iterable[datetime], now: datetime, count: int
) -> list[datetime]:
    """`count` aware UTC datetimes, ascending, each >= now, that obey `policy` given the
    times already `taken` (spacing and daily budget both count them)."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    start = _utc(now, "now")
    if count == 0:
        return []
    ledger = _Ledger(policy, taken)
    fill = _fill_preferred if policy.preferred_hours else _fill_any_hour
    fill(policy, ledger, start, count)
    return ledger.picked


def is_blackout(policy: SlotPolicy, when: datetime) -> bool:
    return _utc(when, "when").astimezone(policy.tz).hour in policy.blackout_hours


def lateness_status(
    scheduled_at: datetime, now: datetime, missed_after: timedelta, policy: str
) -> Lateness:
    """How the dispatcher treats a due task: up to `missed_after` late is on time; later
    than that, the project's missed policy ("skip" or "publish_late") decides."""
    if policy not in (SKIP, PUBLISH_LATE):
        raise ValueError(f"missed policy must be {SKIP!r} or {PUBLISH_LATE!r}, got {policy!r}")
    if now - scheduled_at <= missed_after:
        return "on_time"
    return "missed" if policy == SKIP else "late_ok"


# --- Validation -------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(
            f"Unknown time zone {name!r}: use an IANA name such as 'Asia/Tokyo' or 'UTC'"
        ) from exc


def _check_rules(policy: SlotPolicy) -> None:
    if not isinstance(policy.tz, ZoneInfo):
        raise TypeError(f"tz must be a zoneinfo.ZoneInfo, got {policy.tz!r}")
    if isinstance(policy.daily_max, bool) or not isinstance(policy.daily_max, int):
        raise TypeError(f"daily_max must be an int, got {policy.daily_max!r}")
    if policy.daily_max < 1:
        raise ValueError(f"daily_max must be at least 1, got {policy.daily_max}")
    if policy.min_interval <= timedelta(0):
        raise ValueError(f"min_interval must be positive, got {policy.min_interval}")


def _hours(values: Iterable[int], name: str) -> tuple[int, ...]:
    hours = tuple(values)
    bad = [h for h in hours if isinstance(h, bool) or not isinstance(h, int) or not 0 <= h <= 23]
    if bad:
        raise ValueError(f"{name} must be whole local hours 0-23, got {bad}")
    return tuple(sorted(set(hours)))


def _check_some_hour_usable(policy: SlotPolicy) -> None:
    if policy.preferred_hours and not policy.usable_hours:
        raise ValueError(
            f"Every preferred hour {list(policy.preferred_hours)} is also a blackout hour, "
            "so nothing could ever be scheduled: remove one from blackout_hours"
        )
    if len(policy.blackout_hours) == 24:
        raise ValueError("All 24 hours are blackout hours, so nothing could ever be scheduled")


# --- Bookkeeping ------------------------------------------------------------


def _utc(when: datetime, name: str) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {when!r}")
    return when.astimezone(UTC)


def _local_date(policy: SlotPolicy, when: datetime) -> date:
    return when.astimezone(policy.tz).date()


class _Ledger:
    """Every time spoken for (taken, and picked so far) for spacing and daily counts.

    Both lists stay sorted so that a conflict check is two bisects, not a scan:
    `taken` may hold thousands of waiting tasks."""

    def __init__(self, policy: SlotPolicy, taken: Iterable[datetime]) -> None:
        self.policy = policy
        self.taken = sorted(_utc(t, "taken") for t in taken)
        self.picked: list[datetime] = []
        self.per_day = Counter(_local_date(policy, t) for t in self.taken)

    def day_full(self, day: date) -> bool:
        return self.per_day[day] >= self.policy.daily_max

    def clash_end(self, when: datetime) -> datetime | None:
        """None if `when` is far enough from every booking, else the first time that is
        far enough from all the bookings too close to it."""
        gap = self.policy.min_interval
        near = [_latest_near(times, when, gap) for times in (self.taken, self.picked)]
        latest = max((t for t in near if t is not None), default=None)
        return None if latest is None else latest + gap

    def offer(self, when: datetime) -> None:
        """Book `when` unless it breaks a rule."""
        local = when.astimezone(self.policy.tz)
        day = local.date()
        blocked = local.hour in self.policy.blackout_hours or self.day_full(day)
        if not blocked and self.clash_end(when) is None:
            self.add(when, day)

    def add(self, when: datetime, day: date) -> None:
        # Preferred mode picks a day's slots out of time order; they land near the end.
        insort(self.picked, when)
        self.per_day[day] += 1


def _latest_near(times: list[datetime], when: datetime, gap: timedelta) -> datetime | None:
    """The latest of the sorted `times` strictly closer than `gap` to `when`, if any."""
    lo = bisect_right(times, when - gap)
    hi = bisect_left(times, when + gap)
    return times[hi - 1] if lo < hi else None


# --- Preferred hours ----------------------------------------------------------


def _fill_preferred(policy: SlotPolicy, ledger: _Ledger, now: datetime, count: int) -> None:
    day = _local_date(policy, now)
    while len(ledger.picked) < count:
        _fill_day(policy, ledger, day, now, count)
        day += DAY
        if ledger.picked:
            # With an interval of days, skip the days it rules out instead of trying each.
            day = max(day, _local_date(policy, ledger.picked[-1] + policy.min_interval))


def _fill_day(policy: SlotPolicy, ledger: _Ledger, day: date, now: datetime, count: int) -> None:
    """Offer the day's candidates rank by rank (every hour's h:00 before any h:00+interval),
    each rank in time order, keeping those that fit."""
    for rank in range(_ranks(policy)):
        for slot in _rank_candidates(policy, day, rank):
            if len(ledger.picked) == count or ledger.day_full(day):
                return
            if slot >= now:
                ledger.offer(slot)


def _ranks(policy: SlotPolicy) -> int:
    """How many candidates each preferred hour offers a day: h:00, h:00+interval, ..."""
    if policy.daily_max <= len(policy.usable_hours):
        return 1  # one per hour covers the budget; the rest waits for tomorrow
    return math.ceil(HOUR / policy.min_interval)


def _rank_candidates(policy: SlotPolicy, day: date, rank: int) -> list[datetime]:
    offset = rank * policy.min_interval  # < 1 hour, by _ranks
    walls = (datetime.combine(day, time(h)) + offset for h in policy.usable_hours)
    # A set: walls inside one spring-forward gap all resolve to the same instant.
    return sorted({_instant(policy.tz, wall) for wall in walls})


# --- Any hour -------------------------------------------------------------------


def _fill_any_hour(policy: SlotPolicy, ledger: _Ledger, now: datetime, count: int) -> None:
    when = now
    while len(ledger.picked) < count:
        when = _ceil_minute(when)
        retry_at = _blocked_until(policy, ledger, when)
        if retry_at is None:
            ledger.add(when, _local_date(policy, when))
            retry_at = when + policy.min_interval
        # Never backwards, even in a zone whose clocks fall back across midnight.
        when = max(retry_at, when + MINUTE)


def _blocked_until(policy: SlotPolicy, ledger: _Ledger, when: datetime) -> datetime | None:
    """None if a slot at `when` is allowed, else the earliest later time worth trying.

    Jumping past the whole obstacle (not minute by minute) keeps long runs fast."""
    if is_blackout(policy, when):
        return _next_hour(policy.tz, when)
    day = _local_date(policy, when)
    if ledger.day_full(day):
        return _instant(policy.tz, datetime.combine(day + DAY, time()))
    return ledger.clash_end(when)


def _ceil_minute(when: datetime) -> datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + MINUTE


def _next_hour(tz: ZoneInfo, when: datetime) -> datetime:
    local = when.astimezone(tz).replace(tzinfo=None, minute=0, second=0, microsecond=0, fold=0)
    return _instant(tz, local + HOUR)


# --- Wall time to instant ---------------------------------------------------------


def _instant(tz: ZoneInfo, wall: datetime) -> datetime:
    """The UTC instant of a naive local wall time: its first occurrence when the clocks
    fall back (fold=0), the end of the gap when they spring forward past it."""
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # A wall time inside a gap does not survive the round trip.
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    return _gap_end(tz, wall)


def _gap_end(tz: ZoneInfo, wall: datetime) -> datetime:
    """The first instant after the spring-forward gap that swallowed `wall`."""
    # The two readings of a missing wall time (old and new offset) fall either side of
    # the jump; bisect between them, to the second, for the first instant past `wall`.
    readings = [wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    lo, hi = (int(t.timestamp()) for t in sorted(readings))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
