"""Downsampling and retention of PerformanceMetric: raw samples become hourly means,
hourly means become daily ones, and each resolution is kept for its own time
(MONITORING_RETENTION). About 15 series sampled each minute come to ~150,000 raw rows
(7 days), ~32,000 hourly rows (90 days) and ~5,500 daily rows per year kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import F, FloatField, Max, Min, Sum
from django.db.models.functions import Coalesce, Trunc

from configuration.selectors import config_dict, config_value
from monitoring.models import Alert, PerformanceMetric

R = PerformanceMetric.Resolution
# A sample stamped just before the hour may commit just after it: wait this long
# before an hour counts as complete.
SETTLE = timedelta(minutes=5)
STEP = {R.HOUR: timedelta(hours=1), R.DAY: timedelta(days=1)}


def metrics_rollup(*, now: datetime) -> dict[str, int]:
    """Roll up every complete hour and day not rolled up yet; returns rows written."""
    settled = now - SETTLE
    hour_start = settled.replace(minute=0, second=0, microsecond=0)
    day_start = hour_start.replace(hour=0)
    return {
        "hourly": _rollup(source=R.RAW, target=R.HOUR, until=hour_start),
        "daily": _rollup(source=R.HOUR, target=R.DAY, until=day_start),
    }


def metrics_prune(*, now: datetime) -> int:
    """Delete rows past their resolution's retention; returns how many."""
    days = config_dict("performance.retention")
    deleted = 0
    for resolution, key in ((R.RAW, "raw_days"), (R.HOUR, "hour_days"), (R.DAY, "day_days")):
        old = PerformanceMetric.objects.filter(
            resolution=resolution, timestamp__lt=now - timedelta(days=days[key])
        )
        deleted += old.delete()[0]
    return deleted


def alerts_prune(*, now: datetime) -> int:
    """Delete resolved alerts (and their notifications) past their retention."""
    keep = timedelta(days=config_value("performance.retention.alerts_days"))
    old = Alert.objects.filter(status=Alert.Status.RESOLVED, resolved_at__lt=now - keep)
    return old.delete()[0]


def _rollup(*, source: str, target: str, until: datetime) -> int:
    rows = PerformanceMetric.objects.filter(resolution=source, timestamp__lt=until)
    last = PerformanceMetric.objects.filter(resolution=target).aggregate(t=Max("timestamp"))["t"]
    if last is not None:
        rows = rows.filter(timestamp__gte=last + STEP[target])
    periods = (
        rows.annotate(period=Trunc("timestamp", target, tzinfo=UTC))
        .values("name", "period")
        .annotate(
            # A mean of means weighs each by its samples.
            total=Sum(F("value") * F("samples"), output_field=FloatField()),
            count=Sum("samples"),
            low=Min(Coalesce("value_min", "value")),
            high=Max(Coalesce("value_max", "value")),
        )
    )
    created = PerformanceMetric.objects.bulk_create(
        (_period_row(target, p) for p in periods if p["count"]), ignore_conflicts=True
    )
    return len(created)


def _period_row(resolution: str, period: dict) -> PerformanceMetric:
    return PerformanceMetric(
        timestamp=period["period"],
        name=period["name"],
        resolution=resolution,
        value=period["total"] / period["count"],
        value_min=period["low"],
        value_max=period["high"],
        samples=period["count"],
    )
