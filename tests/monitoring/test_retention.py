"""Downsampling and retention: a year of minutely samples stays small, and the means
survive the raw data."""

from datetime import UTC, datetime, timedelta

from monitoring.models import PerformanceMetric
from monitoring.services.retention import metrics_prune, metrics_rollup

R = PerformanceMetric.Resolution
DAY0 = datetime(2026, 3, 2, tzinfo=UTC)


def raw(name: str, value: float, at: datetime) -> None:
    PerformanceMetric.objects.create(name=name, value=value, timestamp=at)


def test_an_hour_of_samples_becomes_one_row_with_mean_min_and_max(db):
    for minute, value in enumerate([10, 20, 30, 40]):
        raw("cpu_percent", value, DAY0 + timedelta(minutes=minute * 15))
    metrics_rollup(now=DAY0 + timedelta(hours=1, minutes=10))
    hour = PerformanceMetric.objects.get(resolution=R.HOUR)
    assert (hour.timestamp, hour.value, hour.value_min, hour.value_max, hour.samples) == (
        DAY0,
        25.0,
        10.0,
        40.0,
        4,
    )


def test_the_current_hour_is_left_until_it_has_settled(db):
    raw("cpu_percent", 10, DAY0 + timedelta(minutes=59))
    assert metrics_rollup(now=DAY0 + timedelta(hours=1, minutes=2))["hourly"] == 0
    assert metrics_rollup(now=DAY0 + timedelta(hours=1, minutes=6))["hourly"] == 1


def test_a_second_rollup_writes_nothing(db):
    raw("cpu_percent", 10, DAY0)
    now = DAY0 + timedelta(hours=2)
    metrics_rollup(now=now)
    assert metrics_rollup(now=now) == {"hourly": 0, "daily": 0}
    assert PerformanceMetric.objects.filter(resolution=R.HOUR).count() == 1


def test_daily_means_weigh_each_hour_by_its_samples(db):
    raw("memory_percent", 10, DAY0)  # one sample at 10
    for minute in range(3):
        raw("memory_percent", 50, DAY0 + timedelta(hours=5, minutes=minute))  # three at 50
    metrics_rollup(now=DAY0 + timedelta(days=1, hours=1))
    day = PerformanceMetric.objects.get(resolution=R.DAY)
    assert (day.value, day.samples, day.value_min, day.value_max) == (40.0, 4, 10.0, 50.0)


def test_each_resolution_is_pruned_after_its_own_retention(db, settings):
    settings.MONITORING_RETENTION = {"raw_days": 7, "hour_days": 90, "day_days": 365}
    now = DAY0 + timedelta(days=400)
    for resolution, age_days in [
        (R.RAW, 8),
        (R.RAW, 6),
        (R.HOUR, 91),
        (R.HOUR, 89),
        (R.DAY, 366),
        (R.DAY, 300),
    ]:
        PerformanceMetric.objects.create(
            name="cpu_percent",
            value=1,
            resolution=resolution,
            timestamp=now - timedelta(days=age_days),
        )
    assert metrics_prune(now=now) == 3
    kept = sorted(PerformanceMetric.objects.values_list("resolution", flat=True))
    assert kept == sorted([R.RAW, R.HOUR, R.DAY])


def test_rollup_and_pruning_bound_the_rows_a_series_keeps(db, settings):
    """Fifteen days of one series, rolled up and pruned as the hourly task does, with
    retention scaled down (2 days raw, 5 hourly, 10 daily) to keep the test quick.
    The last hour and day are still settling at `now`, so one of each is not yet
    rolled up."""
    settings.MONITORING_RETENTION = {"raw_days": 2, "hour_days": 5, "day_days": 10}
    rows = [
        PerformanceMetric(
            name="cpu_percent", value=minute % 100, timestamp=DAY0 + timedelta(minutes=minute)
        )
        for minute in range(15 * 24 * 60)
    ]
    PerformanceMetric.objects.bulk_create(rows, batch_size=5000)
    now = DAY0 + timedelta(days=15)
    metrics_rollup(now=now)
    metrics_prune(now=now)
    counts = {r: PerformanceMetric.objects.filter(resolution=r).count() for r in R.values}
    assert counts == {R.RAW: 2 * 24 * 60, R.HOUR: 5 * 24 - 1, R.DAY: 10 - 1}


def test_resolved_alerts_are_kept_for_their_retention_and_firing_ones_always(db, settings):
    from monitoring.models import Alert, AlertRule
    from monitoring.services.retention import alerts_prune

    settings.MONITORING_RETENTION = {**settings.MONITORING_RETENTION, "alerts_days": 90}
    rule = AlertRule.objects.get(name="CPU high")
    now = DAY0 + timedelta(days=200)
    long_ago = DAY0
    for status, resolved_at in [("resolved", long_ago), ("resolved", now), ("firing", None)]:
        Alert.objects.create(
            rule=rule,
            subject=status + str(resolved_at),
            status=status,
            message="m",
            started_at=long_ago,
            last_seen_at=long_ago,
            resolved_at=resolved_at,
        )
    assert alerts_prune(now=now) == 1
    assert sorted(Alert.objects.values_list("status", flat=True)) == ["firing", "resolved"]


def test_the_hourly_schedule_rolls_up_and_prunes(db, settings, time_machine):
    """What the worker runs (the `monitoring.hourly` schedule's function), not only the
    services it calls."""
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    settings.MONITORING_RETENTION = {**settings.MONITORING_RETENTION, "raw_days": 1}
    raw("cpu_percent", 50, DAY0)
    raw("cpu_percent", 70, DAY0 + timedelta(days=2))
    time_machine.move_to(DAY0 + timedelta(days=2, hours=1, minutes=10), tick=False)

    import_string(Schedule.objects.get(name="monitoring.hourly").func)()

    rows = PerformanceMetric.objects.values_list("resolution", "value")
    # The old raw sample is gone, its hour and day remain; the new one is kept raw too.
    assert sorted(rows) == sorted([(R.HOUR, 50.0), (R.DAY, 50.0), (R.HOUR, 70.0), (R.RAW, 70.0)])
