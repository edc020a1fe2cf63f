"""/metrics in Prometheus' text format.

Request counters and latency histograms live in each web process; under gunicorn with
several workers they are kept in prometheus-client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py, which also marks dead workers'
files) and summed at scrape time. Everything else is a gauge computed from the
database when Prometheus scrapes, so every worker answers the same, and no gauge
needs a multiprocess mode."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from datetime import timedelta

from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from monitoring import selectors
from monitoring.models import Alert, ErrorGroup, Notification, WorkerHeartbeat
from publishing.models import PublishingTask

logger = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CACHE_KEY = "monitoring:prometheus:database"
PREFIX = "twitterpub"

REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests by endpoint (URL name), method and status class.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint (URL name).",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def process_registry() -> CollectorRegistry:
    """The request metrics of every web process (or just this one without gunicorn)."""
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_render(*, cache_seconds: int) -> bytes:
    """The whole exposition. The database part is cached briefly: a scrape every few
    seconds from several Prometheus servers must not each cost the queue's pricing."""
    database = cache.get(CACHE_KEY)
    if database is None:
        registry = CollectorRegistry()
        registry.register(DatabaseCollector())
        database = generate_latest(registry)
        if cache_seconds:
            cache.set(CACHE_KEY, database, timeout=cache_seconds)
    return generate_latest(process_registry()) + database


def endpoint_stats() -> list[dict]:
    """Requests, server errors and mean latency per endpoint since the web processes
    started (the dashboard's view; Prometheus computes rates from the counters)."""
    stats: dict[str, dict] = defaultdict(lambda: {"requests": 0, "errors": 0, "seconds": 0.0})
    for family in process_registry().collect():
        for sample in family.samples:
            endpoint = sample.labels.get("endpoint")
            if endpoint is None:
                continue
            if sample.name == f"{PREFIX}_http_requests_total":
                stats[endpoint]["requests"] += sample.value
                if sample.labels.get("status") == "5xx":
                    stats[endpoint]["errors"] += sample.value
            elif sample.name == f"{PREFIX}_http_request_duration_seconds_sum":
                stats[endpoint]["seconds"] += sample.value
    return [_endpoint_row(name, row) for name, row in sorted(stats.items())]


def _endpoint_row(name: str, row: dict) -> dict:
    requests = row["requests"]
    return {
        "endpoint": name,
        "requests": int(requests),
        "errors": int(row["errors"]),
        "error_rate": row["errors"] / requests if requests else 0.0,
        "mean_seconds": row["seconds"] / requests if requests else 0.0,
    }


class DatabaseCollector:
    """Gauges read from the database at scrape time. When the database fails, the
    scrape still answers (with the request metrics) and says so in `database_up`."""

    def collect(self):
        now = timezone.now()
        try:
            families = [
                *_samples(),
                *_tasks(),
                *_publishing(now),
                *_rate_limits(now),
                *_costs(now),
                *_alerts_and_errors(now),
            ]
        except DatabaseError:
            logger.exception("/metrics could not read the database")
            families = []
        yield _gauge("database_up", "1 when /metrics could read the database.", int(bool(families)))
        yield from families


def _gauge(name: str, doc: str, value: float | None = None, labels=()) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=list(labels) or None)
    if value is not None:
        family.add_metric([], value)
    return family


def _samples():
    latest = selectors.metrics_latest()
    for name, row in sorted(latest.items()):
        yield _gauge(name, f"Last sampled {name} (sampled every minute by the worker).", row.value)
    if latest:
        stamp = next(iter(latest.values())).timestamp.timestamp()
        yield _gauge("sample_timestamp_seconds", "When the worker last sampled.", stamp)


def _tasks():
    yield _by_status("tasks", "Publishing tasks by status.", PublishingTask)


def _by_status(name: str, doc: str, model) -> GaugeMetricFamily:
    """Rows per status, every status present (0 when none)."""
    family = _gauge(name, doc, labels=["status"])
    counts = dict(model.objects.values_list("status").annotate(n=Count("id")))
    for status in model.Status.values:
        family.add_metric([status], counts.get(status, 0))
    return family


def _publishing(now):
    day = now - timedelta(days=1)
    rate = selectors.publish_success_rate(since=day, until=now)
    yield _gauge("publish_attempts_24h", "Attempts to post in the last 24 hours.", rate["attempts"])
    if rate["rate"] is not None:
        yield _gauge("publish_success_ratio_24h", "Share of attempts that succeeded.", rate["rate"])
    late = selectors.publish_lateness(since=day, until=now)
    yield _gauge("posts_published_24h", "Posts published in the last 24 hours.", late["count"])
    if late["count"]:
        family = _gauge(
            "publish_lateness_seconds_24h",
            "published_at - scheduled_at of the last 24 hours' posts.",
            labels=["quantile"],
        )
        family.add_metric(["0.5"], late["p50"])
        family.add_metric(["0.95"], late["p95"])
        family.add_metric(["1"], late["max"])
        yield family


def _rate_limits(now):
    remaining = _gauge(
        "rate_limit_remaining",
        "Requests left in an X rate-limit bucket.",
        labels=["account", "bucket"],
    )
    limit = _gauge(
        "rate_limit_limit", "Size of an X rate-limit bucket.", labels=["account", "bucket"]
    )
    for row in selectors.rate_limit_headroom(now=now):
        remaining.add_metric([row["account"], row["bucket"]], row["remaining"])
        if row["limit"] is not None:
            limit.add_metric([row["account"], row["bucket"]], row["limit"])
    yield remaining
    yield limit


def _costs(now):
    costs = selectors.costs_summary(now=now)
    spend = _gauge(
        "x_api_spend_dollars", "X API spend at the configured prices.", labels=["period"]
    )
    spend.add_metric(["24h"], costs["last_24h"]["cost"])
    spend.add_metric(["month"], costs["month_to_date"]["cost"])
    yield spend
    pending = costs["pending_queue"]
    yield _gauge(
        "queue_projected_cost_dollars", "What the waiting posts will cost.", pending["cost"]
    )
    yield _gauge("queue_posts", "Posts waiting to go out.", pending["posts"])


def _notifications() -> GaugeMetricFamily:
    """Undelivered notifications: a failed one means an alert nobody was told about."""
    return _by_status("notifications", "Notifications by delivery status.", Notification)


def _alerts_and_errors(now):
    firing = _gauge("alerts_firing", "Alerts firing now, by severity.", labels=["severity"])
    counts = dict(
        Alert.objects.filter(status=Alert.Status.FIRING)
        .values_list("rule__severity")
        .annotate(n=Count("id"))
    )
    for severity in ("warning", "critical"):
        firing.add_metric([severity], counts.get(severity, 0))
    yield firing
    yield _notifications()
    failures = CounterMetricFamily(
        f"{PREFIX}_publish_failures",
        "Failed attempts counted by the error center.",
        labels=["error_class"],
    )
    for group in ErrorGroup.objects.all():
        failures.add_metric([group.error_class], group.count)
    yield failures
    beat = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if beat is not None:
        yield _gauge(
            "worker_heartbeat_age_seconds",
            "Since the worker last checked in.",
            (now - beat).total_seconds(),
        )
