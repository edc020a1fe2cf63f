from bisect import bisect_left
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projects.models import Project
from publishing.scheduling import SlotPolicy, is_blackout, lateness_status, next_slots

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
DEFAULT_HOURS = (9, 12, 15, 18, 21)


def make_policy(tz=TOKYO, *, daily_max=5, preferred=DEFAULT_HOURS, blackout=(), interval=60):
    return SlotPolicy(
        tz=tz,
        daily_max=daily_max,
        preferred_hours=tuple(preferred),
        blackout_hours=frozenset(blackout),
        min_interval=timedelta(minutes=interval),
    )


def at(tz, *fields):
    return datetime(*fields, tzinfo=tz)


def utc(*fields):
    return datetime(*fields, tzinfo=UTC)


def walls(slots, tz=TOKYO):
    return [slot.astimezone(tz).strftime("%m-%d %H:%M") for slot in slots]


# --- Preferred hours ------------------------------------------------------------------


def test_it_schedules_the_default_hours_in_the_project_zone():
    slots = next_slots(make_policy(), taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=5)

    assert slots == [utc(2024, 5, 1, h) for h in (0, 3, 6, 9, 12)]
    assert all(slot.tzinfo is UTC for slot in slots)


def test_it_skips_hours_already_past_today():
    slots = next_slots(make_policy(), taken=[], now=at(TOKYO, 2024, 5, 1, 13, 30), count=4)

    assert walls(slots) == ["05-01 15:00", "05-01 18:00", "05-01 21:00", "05-02 09:00"]


def test_a_slot_exactly_at_now_is_used():
    slots = next_slots(make_policy(), taken=[], now=at(TOKYO, 2024, 5, 1, 12, 0), count=1)

    assert walls(slots) == ["05-01 12:00"]


def test_it_overflows_to_the_next_day_when_daily_max_is_below_the_preferred_hours():
    policy = make_policy(daily_max=2)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=5)

    assert walls(slots) == [
        "05-01 09:00",
        "05-01 12:00",
        "05-02 09:00",
        "05-02 12:00",
        "05-03 09:00",
    ]


def test_it_gives_each_preferred_hour_one_slot_when_daily_max_does_not_exceed_them():
    # Room for 15:30 and 18:30 today, but 5 hours cover a budget of 5: the rest waits.
    policy = make_policy(daily_max=5, interval=30)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 13, 0), count=5)

    assert walls(slots) == [
        "05-01 15:00",
        "05-01 18:00",
        "05-01 21:00",
        "05-02 09:00",
        "05-02 12:00",
    ]


def test_it_adds_slots_inside_preferred_hours_when_daily_max_exceeds_them():
    policy = make_policy(daily_max=7, interval=20)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=8)

    assert walls(slots) == [
        "05-01 09:00",
        "05-01 09:20",
        "05-01 12:00",
        "05-01 12:20",
        "05-01 15:00",
        "05-01 18:00",
        "05-01 21:00",
        "05-02 09:00",
    ]


def test_extra_slots_stay_inside_their_hour():
    policy = make_policy(daily_max=5, preferred=(9,), interval=25)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=5)

    assert walls(slots) == [
        "05-01 09:00",
        "05-01 09:25",
        "05-01 09:50",
        "05-02 09:00",
        "05-02 09:25",
    ]


def test_slots_keep_the_minimum_interval_from_each_other():
    policy = make_policy(daily_max=3, preferred=(9, 10, 11), interval=90)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=3)

    assert walls(slots) == ["05-01 09:00", "05-01 11:00", "05-02 09:00"]


def test_slots_keep_the_minimum_interval_from_taken_times():
    taken = [at(TOKYO, 2024, 5, 1, 12, 10)]

    slots = next_slots(make_policy(), taken=taken, now=at(TOKYO, 2024, 5, 1, 8, 0), count=4)

    assert walls(slots) == ["05-01 09:00", "05-01 15:00", "05-01 18:00", "05-01 21:00"]


def test_taken_times_use_up_the_days_budget():
    # Far from every preferred hour, so only the budget, not the spacing, is at stake.
    taken = [at(TOKYO, 2024, 5, 1, 3, 0), at(TOKYO, 2024, 5, 1, 4, 0)]

    slots = next_slots(make_policy(), taken=taken, now=at(TOKYO, 2024, 5, 1, 8, 0), count=4)

    assert walls(slots) == ["05-01 09:00", "05-01 12:00", "05-01 15:00", "05-02 09:00"]


def test_it_never_uses_a_blackout_hour():
    policy = make_policy(daily_max=3, preferred=(9, 12, 15), blackout=(12,))

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=3)

    assert walls(slots) == ["05-01 09:00", "05-01 15:00", "05-02 09:00"]


def test_an_interval_of_days_spaces_slots_days_apart():
    policy = make_policy(interval=3 * 24 * 60)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=3)

    assert walls(slots) == ["05-01 09:00", "05-04 09:00", "05-07 09:00"]


def test_batches_get_the_same_slots_as_one_call():
    policy = make_policy(daily_max=7, interval=20)
    now = at(TOKYO, 2024, 5, 1, 8, 0)

    first = next_slots(policy, taken=[], now=now, count=4)
    second = next_slots(policy, taken=first, now=now, count=6)

    assert sorted(first + second) == next_slots(policy, taken=[], now=now, count=10)


def test_count_zero_gives_no_slots():
    assert next_slots(make_policy(), taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=0) == []


def test_a_negative_count_is_rejected():
    with pytest.raises(ValueError, match="count"):
        next_slots(make_policy(), taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=-1)


def test_a_naive_now_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_slots(make_policy(), taken=[], now=datetime(2024, 5, 1, 8, 0), count=1)


# --- Any hour -----------------------------------------------------------------------------


def test_any_hour_mode_starts_at_now_rounded_up_to_the_minute():
    policy = make_policy(preferred=(), interval=45)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 10, 7, 30), count=3)

    assert walls(slots) == ["05-01 10:08", "05-01 10:53", "05-01 11:38"]


def test_any_hour_mode_starts_at_now_when_it_is_on_the_minute():
    policy = make_policy(preferred=(), interval=45)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 10, 7), count=1)

    assert walls(slots) == ["05-01 10:07"]


def test_any_hour_mode_steps_past_taken_times():
    policy = make_policy(preferred=())
    taken = [at(TOKYO, 2024, 5, 1, 10, 30)]

    slots = next_slots(policy, taken=taken, now=at(TOKYO, 2024, 5, 1, 10, 0), count=2)

    assert walls(slots) == ["05-01 11:30", "05-01 12:30"]


def test_any_hour_mode_skips_blackout_hours():
    policy = make_policy(preferred=(), daily_max=10, blackout=range(7))

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 22, 30), count=4)

    assert walls(slots) == ["05-01 22:30", "05-01 23:30", "05-02 07:00", "05-02 08:00"]


def test_any_hour_mode_moves_to_the_next_local_day_when_the_day_is_full():
    policy = make_policy(preferred=(), daily_max=3)

    slots = next_slots(policy, taken=[], now=at(TOKYO, 2024, 5, 1, 8, 0), count=5)

    assert walls(slots) == [
        "05-01 08:00",
        "05-01 09:00",
        "05-01 10:00",
        "05-02 00:00",
        "05-02 01:00",
    ]


# --- Daylight saving ---------------------------------------------------------------------


def test_spring_forward_moves_a_missing_hour_to_the_end_of_the_gap_in_new_york():
    # 2024-03-10 02:00 EST never happens: the clocks jump to 03:00 EDT (07:00 UTC).
    policy = make_policy(NEW_YORK, daily_max=1, preferred=(2,))

    slots = next_slots(policy, taken=[], now=at(NEW_YORK, 2024, 3, 9, 0, 0), count=3)

    assert slots == [utc(2024, 3, 9, 7), utc(2024, 3, 10, 7), utc(2024, 3, 11, 6)]


def test_spring_forward_merges_the_missing_hour_with_the_hour_after_the_gap():
    policy = make_policy(NEW_YORK, daily_max=3, preferred=(1, 2, 3))

    slots = next_slots(policy, taken=[], now=at(NEW_YORK, 2024, 3, 10, 0, 0), count=3)

    # 01:00 EST, then 02:00 and 03:00 are one instant (03:00 EDT); the third waits a day.
    assert slots == [utc(2024, 3, 10, 6), utc(2024, 3, 10, 7), utc(2024, 3, 11, 5)]


def test_spring_forward_moves_a_missing_hour_to_the_end_of_the_gap_in_london():
    # 2024-03-31 01:00 GMT never happens: the clocks jump to 02:00 BST (01:00 UTC).
    policy = make_policy(LONDON, daily_max=1, preferred=(1,))

    slots = next_slots(policy, taken=[], now=at(LONDON, 2024, 3, 30, 0, 0), count=3)

    assert slots == [utc(2024, 3, 30, 1), utc(2024, 3, 31, 1), utc(2024, 4, 1, 0)]


def test_a_moved_slot_that_lands_in_a_blackout_hour_is_dropped():
    policy = make_policy(NEW_YORK, daily_max=1, preferred=(2,), blackout=(3,))

    slots = next_slots(policy, taken=[], now=at(NEW_YORK, 2024, 3, 10, 0, 0), count=2)

    assert slots == [utc(2024, 3, 11, 6), utc(2024, 3, 12, 6)]


def test_extra_slots_inside_a_missing_hour_become_one_slot():
    policy = make_policy(NEW_YORK, daily_max=3, preferred=(2,), interval=20)

    slots = next_slots(policy, taken=[], now=at(NEW_YORK, 2024, 3, 10, 0, 0), count=2)

    # 02:00, 02:20 and 02:40 all become 03:00 EDT; the day has room for no more.
    assert slots == [utc(2024, 3, 10, 7), utc(2024, 3, 11, 6)]


def test_fall_back_uses_the_repeated_hour_once_in_new_york():
    # 01:00-02:00 happens twice on 2024-11-03 (EDT, then EST); only the first is used.
    policy = make_policy(NEW_YORK, daily_max=2, preferred=(1,), interval=30)

    slots = next_slots(policy, taken=[], now=at(NEW_YORK, 2024, 11, 3, 0, 0), count=4)

    assert slots == [
        utc(2024, 11, 3, 5, 0),
        utc(2024, 11, 3, 5, 30),
        utc(2024, 11, 4, 6, 0),
        utc(2024, 11, 4, 6, 30),
    ]


def test_fall_back_uses_the_repeated_hour_once_in_london():
    policy = make_policy(LONDON, daily_max=1, preferred=(1,))

    slots = next_slots(policy, taken=[], now=at(LONDON, 2024, 10, 27, 0, 0), count=2)

    assert slots == [utc(2024, 10, 27, 0), utc(2024, 10, 28, 1)]


def test_any_hour_mode_counts_the_25_hour_fall_back_day_as_one_local_date():
    policy = make_policy(NEW_YORK, preferred=(), daily_max=24)

    slots = next_slots(policy, taken=[], now=at(NEW_YORK, 2024, 11, 3, 0, 0), count=25)

    # Elapsed-time spacing: 01:00 EDT and 01:00 EST both get a slot.
    assert slots[:24] == [utc(2024, 11, 3, 4) + timedelta(hours=k) for k in range(24)]
    assert slots[24] == utc(2024, 11, 4, 5)  # midnight EST: the 3rd had its 24


def test_a_day_that_never_happens_moves_its_slots_to_the_day_after():
    # Samoa skipped 2011-12-30 when it crossed the date line.
    apia = ZoneInfo("Pacific/Apia")
    policy = make_policy(apia, daily_max=1, preferred=(9,))

    slots = next_slots(policy, taken=[], now=at(apia, 2011, 12, 29, 10, 0), count=2)

    # 30th 09:00 becomes the 31st 00:00; that fills the 31st, so next is 1 January.
    assert slots == [utc(2011, 12, 30, 10), utc(2011, 12, 31, 19)]


# --- Policy -------------------------------------------------------------------------------


def test_policy_from_project_reads_its_scheduling_fields():
    project = Project(
        timezone="Asia/Tokyo",
        daily_max=3,
        preferred_hours=[21, 9],
        blackout_hours=[2],
        min_interval_minutes=45,
    )

    assert SlotPolicy.from_project(project) == make_policy(
        daily_max=3, preferred=(9, 21), blackout=(2,), interval=45
    )


def test_policy_from_a_new_project_uses_the_default_hours_in_utc():
    policy = SlotPolicy.from_project(Project())

    assert policy == make_policy(ZoneInfo("UTC"), daily_max=5, interval=60)


def test_a_zero_minimum_interval_means_one_minute():
    policy = SlotPolicy.from_project(Project(min_interval_minutes=0))

    assert policy.min_interval == timedelta(minutes=1)


def test_an_unknown_time_zone_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown time zone 'Mars/Olympus'"):
        SlotPolicy.from_project(Project(timezone="Mars/Olympus"))


def test_preferred_hours_that_are_all_blacked_out_are_rejected():
    with pytest.raises(ValueError, match=r"Every preferred hour \[9, 12\] is also a blackout"):
        make_policy(preferred=(9, 12), blackout=(9, 12, 3))


def test_blacking_out_every_hour_is_rejected():
    with pytest.raises(ValueError, match="All 24 hours"):
        make_policy(preferred=(), blackout=range(24))


@pytest.mark.parametrize(
    ("preferred", "blackout"), [((24,), ()), ((-1,), ()), ((9,), (25,)), (("9",), ())]
)
def test_hours_outside_0_to_23_are_rejected(preferred, blackout):
    with pytest.raises(ValueError, match="0-23"):
        make_policy(preferred=preferred, blackout=blackout)


def test_a_daily_max_below_one_is_rejected():
    with pytest.raises(ValueError, match="daily_max"):
        make_policy(daily_max=0)


def test_a_zone_given_as_text_is_rejected():
    with pytest.raises(TypeError, match="ZoneInfo"):
        make_policy(tz="Asia/Tokyo")


# --- Dispatcher helpers -------------------------------------------------------------------


def test_is_blackout_reads_the_hour_in_the_project_zone():
    policy = make_policy(blackout=(2,))

    assert is_blackout(policy, at(TOKYO, 2024, 5, 1, 2, 59))
    assert is_blackout(policy, utc(2024, 4, 30, 17, 30))  # 02:30 in Tokyo
    assert not is_blackout(policy, at(TOKYO, 2024, 5, 1, 3, 0))


@pytest.mark.parametrize(
    ("minutes_late", "policy", "expected"),
    [
        (-10, "skip", "on_time"),
        (0, "skip", "on_time"),
        (120, "skip", "on_time"),
        (121, "skip", "missed"),
        (121, "publish_late", "late_ok"),
        (121, Project.MissedPolicy.SKIP, "missed"),
    ],
)
def test_lateness_follows_the_missed_policy_after_the_grace_period(minutes_late, policy, expected):
    scheduled = utc(2024, 5, 1, 9)
    now = scheduled + timedelta(minutes=minutes_late)

    assert lateness_status(scheduled, now, timedelta(minutes=120), policy) == expected


def test_an_unknown_missed_policy_is_rejected():
    with pytest.raises(ValueError, match="missed policy"):
        lateness_status(utc(2024, 5, 1, 9), utc(2024, 5, 1, 12), timedelta(hours=2), "retry")


# --- Every rule, checked over many slots ----------------------------------------------------


def assert_slots_obey(policy, slots, *, taken, now, count):
    """Check every scheduling rule on `slots`, independently of how they were made."""
    assert len(slots) == count
    assert all(slot.utcoffset() == timedelta(0) for slot in slots)
    assert all(a < b for a, b in pairwise(slots)), "not strictly ascending"
    assert all(slot >= now for slot in slots)
    assert all(b - a >= policy.min_interval for a, b in pairwise(slots))
    booked = sorted(taken)
    assert all(spaced_from(slot, booked, policy.min_interval) for slot in slots)
    assert_daily_max_kept(policy, slots, taken)
    assert all(slot.astimezone(policy.tz).hour not in policy.blackout_hours for slot in slots)
    if policy.preferred_hours:
        assert all(at_preferred_hour(policy, slot) for slot in slots)


def spaced_from(slot, booked, gap):
    i = bisect_left(booked, slot)
    after_ok = i == len(booked) or booked[i] - slot >= gap
    return after_ok and (i == 0 or slot - booked[i - 1] >= gap)


def assert_daily_max_kept(policy, slots, taken):
    per_day = Counter(t.astimezone(policy.tz).date() for t in [*taken, *slots])
    slot_days = {slot.astimezone(policy.tz).date() for slot in slots}
    assert all(per_day[day] <= policy.daily_max for day in slot_days)


def at_preferred_hour(policy, slot):
    local = slot.astimezone(policy.tz)
    if local.hour in policy.preferred_hours:
        return True
    # A slot moved out of a spring-forward gap sits where the wall clock jumps: the
    # skipped wall times must include a preferred hour.
    gap_end = local.replace(tzinfo=None)
    gap_start = (slot - timedelta(seconds=1)).astimezone(policy.tz).replace(tzinfo=None)
    gap_start += timedelta(seconds=1)
    hours = [
        datetime.combine(day, time(h))
        for day in {gap_start.date(), gap_end.date()}
        for h in policy.preferred_hours
    ]
    return gap_start < gap_end and any(
        gap_start < h + timedelta(hours=1) and h < gap_end for h in hours
    )


def test_ten_thousand_slots_keep_every_rule_around_thousands_of_taken_times():
    policy = make_policy(NEW_YORK, daily_max=7, interval=25, blackout=(12,))
    now = at(NEW_YORK, 2024, 1, 1, 10, 17)
    taken = [now + k * timedelta(hours=7, minutes=13) for k in range(-10, 3000)]

    slots = next_slots(policy, taken=taken, now=now, count=10_000)

    assert_slots_obey(policy, slots, taken=taken, now=now, count=10_000)


def test_ten_thousand_any_hour_slots_keep_every_rule():
    policy = make_policy(LONDON, preferred=(), daily_max=20, interval=35, blackout=range(6))
    now = at(LONDON, 2024, 1, 1, 10, 17, 45)
    taken = [now + k * timedelta(hours=5, minutes=11) for k in range(3000)]

    slots = next_slots(policy, taken=taken, now=now, count=10_000)

    assert_slots_obey(policy, slots, taken=taken, now=now, count=10_000)


ZONES = [
    "UTC",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "America/New_York",
    "Europe/London",
    "America/Santiago",  # changes at midnight: some days have no 00:00
    "Australia/Lord_Howe",  # half-hour daylight saving
    "Pacific/Apia",  # skipped 2011-12-30 entirely
]


@st.composite
def policies(draw):
    preferred = draw(st.lists(st.integers(0, 23), max_size=6, unique=True))
    blackout = draw(st.lists(st.integers(0, 23), max_size=10, unique=True))
    # Keep one hour usable, or the policy is (rightly) rejected.
    keep = preferred[:1] or [draw(st.integers(0, 23))]
    return SlotPolicy(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))),
        daily_max=draw(st.integers(1, 8)),
        preferred_hours=tuple(preferred),
        blackout_hours=frozenset(blackout) - set(keep),
        min_interval=timedelta(minutes=draw(st.sampled_from([1, 7, 20, 30, 60, 90, 1440]))),
    )


@settings(max_examples=300, deadline=None, database=None)
@given(
    policy=policies(),
    now=st.datetimes(datetime(2011, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),
    offsets=st.lists(st.integers(-3 * 24 * 60, 20 * 24 * 60), max_size=40),
    count=st.integers(0, 40),
)
def test_slots_keep_every_rule_for_any_policy(policy, now, offsets, count):
    taken = [now + timedelta(minutes=m) for m in offsets]

    slots = next_slots(policy, taken=taken, now=now, count=count)

    assert_slots_obey(policy, slots, taken=taken, now=now, count=count)
