"""Reads for monitoring: sampled series, and the business figures a user asks about
(success rate, lateness, rate-limit headroom, posts per day, what X costs)."""

from __future__ import annotations

import hashlib
import json
import statistics
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate

from configuration.selectors import config_dict, config_value
from monitoring.models import Alert, ErrorGroup, Notification, PerformanceMetric
from publishing import selectors as publishing_selectors
from publishing import textcount
from publishing.models import (
    MediaUpload,
    PublishingLog,
    PublishingTask,
    RateLimitState,
    XAccount,
)
from publishing.xclient import ErrorClass
from security import events

R = PerformanceMetric.Resolution
S = PublishingTask.Status
# Tasks that will still be sent, so the queue's projected cost counts them.
QUEUED = (S.PENDING, S.QUEUED, S.RETRY_WAIT)
# The 401 is logged just after the pause it caused; allow for clocks and slow commits.
AUTH_LOG_SLACK = timedelta(minutes=5)
TREND_KEYS = ("last_24h", "previous_24h")
BUSINESS_CACHE_KEY = "monitoring:business"

# --- sampled series -------------------------------------------------------------------


def metrics_latest() -> dict[str, PerformanceMetric]:
    """The last sampling pass, by metric name (every metric of a pass shares its time)."""
    last = (
        PerformanceMetric.objects.filter(resolution=R.RAW)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    if last is None:
        return {}
    rows = PerformanceMetric.objects.filter(resolution=R.RAW, timestamp=last)
    return {row.name: row for row in rows}


def metric_values(*, name: str, since: datetime, until: datetime) -> list[tuple[datetime, float]]:
    """Raw samples of one metric in (since, until], oldest first."""
    rows = PerformanceMetric.objects.filter(
        name=name, resolution=R.RAW, timestamp__gt=since, timestamp__lte=until
    ).order_by("timestamp")
    return list(rows.values_list("timestamp", "value"))


def metric_last_before(*, name: str, until: datetime) -> tuple[datetime, float] | None:
    row = (
        PerformanceMetric.objects.filter(name=name, resolution=R.RAW, timestamp__lte=until)
        .order_by("-timestamp")
        .values_list("timestamp", "value")
        .first()
    )
    return row


def metric_mean(*, name: str, since: datetime, until: datetime) -> float | None:
    return PerformanceMetric.objects.filter(
        name=name, resolution=R.RAW, timestamp__gt=since, timestamp__lte=until
    ).aggregate(mean=Avg("value"))["mean"]


def metric_series(*, name: str, since: datetime, until: datetime) -> list[tuple[datetime, float]]:
    """A series at the finest resolution still kept for the whole range."""
    days = config_dict("performance.retention")
    age = until - since
    resolution = R.RAW if age <= timedelta(days=2) else R.HOUR
    if age > timedelta(days=min(60, days["hour_days"])):
        resolution = R.DAY
    rows = PerformanceMetric.objects.filter(
        name=name, resolution=resolution, timestamp__gte=since, timestamp__lte=until
    ).order_by("timestamp")
    return list(rows.values_list("timestamp", "value"))


# --- publishing outcomes --------------------------------------------------------------


def publish_success_rate(*, since: datetime, until: datetime) -> dict:
    """Share of attempts to post that succeeded (None when nothing was attempted)."""
    counts = PublishingLog.objects.filter(created__gt=since, created__lte=until).aggregate(
        attempts=Count("id"), successes=Count("id", filter=Q(status=PublishingLog.Outcome.SUCCESS))
    )
    attempts = counts["attempts"]
    counts["rate"] = counts["successes"] / attempts if attempts else None
    return counts


def publish_lateness(*, since: datetime, until: datetime) -> dict:
    """published_at − scheduled_at, in seconds, of the posts published in the window."""
    rows = PublishingTask.objects.filter(
        status=S.PUBLISHED,
        published_at__gt=since,
        published_at__lte=until,
        scheduled_at__isnull=False,
    ).values_list("published_at", "scheduled_at")
    late = sorted(max(0.0, (pub - sched).total_seconds()) for pub, sched in rows)
    if not late:
        return {"count": 0, "p50": None, "p95": None, "max": None}
    return {
        "count": len(late),
        "p50": statistics.median(late),
        "p95": late[min(len(late) - 1, int(len(late) * 0.95))],
        "max": late[-1],
    }


def posts_per_day(*, since: datetime, until: datetime) -> list[tuple[date, int]]:
    rows = (
        PublishingTask.objects.filter(
            status=S.PUBLISHED, published_at__gte=since, published_at__lt=until
        )
        .annotate(day=TruncDate("published_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    return [(row["day"], row["n"]) for row in rows]


def rate_limit_headroom(*, now: datetime) -> list[dict]:
    """What is left of each rate-limit bucket X last reported. A bucket whose reset
    time has passed is full again (if its size is known)."""
    handles = dict(XAccount.objects.values_list("id", "handle"))
    result = []
    for state in RateLimitState.objects.order_by("scope", "bucket"):
        reset = state.reset_at <= now and state.limit is not None
        remaining = state.limit if reset else max(0, state.remaining)
        result.append(
            {
                "account": _scope_name(state.scope, handles),
                "bucket": state.bucket,
                "limit": state.limit,
                "remaining": remaining,
                "fraction": remaining / state.limit if state.limit else None,
                "reset_at": state.reset_at,
            }
        )
    return result


def _scope_name(scope: str, handles: dict[int, str]) -> str:
    if scope.startswith("user:"):
        pk = scope.removeprefix("user:")
        return f"@{handles.get(int(pk), pk)}" if pk.isdigit() else scope
    return scope


# --- money ----------------------------------------------------------------------------


def has_url(text: str) -> bool:
    """X bills a post with a link at the higher price; it finds links as it counts them."""
    return "." in text and any(e.kind == "url" for e in textcount.entities(text))


def post_price(text: str) -> float:
    prices = config_dict("publishing.prices_usd")
    return prices["post_with_url"] if has_url(text) else prices["post"]


def _price_texts(texts) -> dict:
    with_url = total = 0
    for text in texts:
        total += 1
        with_url += has_url(text)
    prices = config_dict("publishing.prices_usd")
    cost = (total - with_url) * prices["post"] + with_url * prices["post_with_url"]
    return {"posts": total, "posts_with_url": with_url, "cost": round(cost, 4)}


def x_api_spend(*, since: datetime, until: datetime) -> dict:
    """What X charged for posts created (and alt texts set) in the window."""
    texts = PublishingTask.objects.filter(
        status=S.PUBLISHED, published_at__gt=since, published_at__lte=until
    ).values_list("text", flat=True)
    spend = _price_texts(texts.iterator(chunk_size=2000))
    alt_texts = MediaUpload.objects.filter(
        created__gt=since, created__lte=until, state=MediaUpload.State.READY
    ).exclude(alt_text="")
    spend["media_metadata"] = alt_texts.count()
    metadata_price = config_value("publishing.prices_usd.media_metadata")
    spend["cost"] = round(spend["cost"] + spend["media_metadata"] * metadata_price, 4)
    return spend


def queue_projected_cost() -> dict:
    """What the tasks still waiting to go out will cost at today's prices."""
    texts = PublishingTask.objects.filter(status__in=QUEUED).values_list("text", flat=True)
    return _price_texts(texts.iterator(chunk_size=2000))


def costs_summary(*, now: datetime) -> dict:
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {
        "last_24h": x_api_spend(since=now - timedelta(days=1), until=now),
        "month_to_date": x_api_spend(since=month_start, until=now),
        "pending_queue": queue_projected_cost(),
        "prices": config_dict("publishing.prices_usd"),
    }


def business_summary(*, now: datetime) -> dict:
    """The overview's figures from publishing's history: costs, the last day's success
    rate and lateness, posts per day over the last week."""
    day = timedelta(days=1)
    return {
        "costs": costs_summary(now=now),
        "success": publish_success_rate(since=now - day, until=now),
        "lateness": publish_lateness(since=now - day, until=now),
        "posts_per_day": posts_per_day(since=now - 7 * day, until=now),
    }


def business_summary_cached(*, now: datetime, seconds: int) -> dict:
    """business_summary, kept `seconds` in Django's cache (shared by every process when
    REDIS_URL is set): pricing a month of posts on each page load adds up. The key
    holds the prices in force, so a configuration change shows at once."""
    prices = json.dumps(config_dict("publishing.prices_usd"), sort_keys=True)
    key = f"{BUSINESS_CACHE_KEY}:{hashlib.sha256(prices.encode()).hexdigest()[:16]}"
    summary = cache.get(key)
    if summary is None:
        summary = business_summary(now=now)
        if seconds:
            cache.set(key, summary, timeout=seconds)
    return summary


# --- alerts and errors ----------------------------------------------------------------


def alerts_firing() -> list[Alert]:
    return list(
        Alert.objects.filter(status=Alert.Status.FIRING)
        .select_related("rule")
        .order_by("-started_at")
    )


def notifications_undelivered() -> dict[str, int]:
    """Notifications that gave up, and those still retrying after a failed attempt: an
    alert someone may not have been told about."""
    N = Notification.Status
    return Notification.objects.filter(status__in=(N.FAILED, N.PENDING)).aggregate(
        failed=Count("id", filter=Q(status=N.FAILED)),
        retrying=Count("id", filter=Q(status=N.PENDING, attempts__gt=0)),
    )


def error_group_trends(*, now: datetime) -> dict[str, dict[str, int]]:
    """Failures per error class in the last 24 hours and the 24 hours before."""
    day = timedelta(days=1)
    rows = (
        PublishingLog.objects.filter(created__gt=now - 2 * day, created__lte=now)
        .exclude(status=PublishingLog.Outcome.SUCCESS)
        .values("error_class")
        .annotate(
            recent=Count("id", filter=Q(created__gt=now - day)),
            before=Count("id", filter=Q(created__lte=now - day)),
        )
    )
    trends: dict[str, dict[str, int]] = {}
    for row in rows:
        counts = trends.setdefault(row["error_class"] or "unknown", dict.fromkeys(TREND_KEYS, 0))
        counts["last_24h"] += row["recent"]
        counts["previous_24h"] += row["before"]
    return trends


def error_groups_open() -> list[ErrorGroup]:
    return list(ErrorGroup.objects.exclude(status=ErrorGroup.Status.RESOLVED))


# --- states other apps own ------------------------------------------------------------


def accounts_paused_for_auth() -> list[XAccount]:
    """Accounts the publisher paused because X refused their credentials (a 401 logged
    around the pause), not the ones an operator paused by hand."""
    refused = PublishingLog.objects.filter(
        task__account=OuterRef("pk"),
        error_class=ErrorClass.AUTH,
        http_status=401,
        created__gte=OuterRef("paused_at") - AUTH_LOG_SLACK,
    )
    return list(XAccount.objects.filter(paused=True).filter(Exists(refused)).order_by("handle"))


def gemini_outage_reason() -> str:
    """Why Gemini is failing ("" while it answers), as publishing records it."""
    outage = publishing_selectors.gemini_outage_state()
    return outage.reason if outage else ""


def security_burst(*, now: datetime) -> str:
    """The latest security alert's text while its window lasts, else ""."""
    if not events.security_alert_active(now):
        return ""
    window = timedelta(minutes=settings.SECURITY_ALERT_WINDOW_MINUTES)
    alerts = events.security_alerts_since(now - window)
    return alerts[0].detail if alerts else "A burst of refused logins or API keys."
