"""Security events (failed logins, lockouts, refused API keys) and the alerts raised
when they burst: SECURITY_ALERT_THRESHOLD refusals within SECURITY_ALERT_WINDOW_MINUTES.

An alert is itself an event (kind "alert"), logged at WARNING; monitoring turns it into
a notification by reading security_event_counts() / security_alerts_since()."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from security.models import SecurityEvent

logger = logging.getLogger(__name__)
Kind = SecurityEvent.Kind
REFUSALS = (Kind.LOGIN_FAILED, Kind.LOCKOUT, Kind.API_KEY_REFUSED)


def security_event_record(
    *, kind: str, username: str = "", address: str | None = None, detail: str = ""
) -> SecurityEvent:
    event = SecurityEvent.objects.create(
        kind=kind, username=username[:150], address=address, detail=detail
    )
    logger.info("security event %s user=%r address=%s: %s", kind, username, address, detail)
    if kind in REFUSALS:
        _alert_if_burst(event.created)
    return event


def _alert_if_burst(now: datetime) -> None:
    window_start = now - timedelta(minutes=settings.SECURITY_ALERT_WINDOW_MINUTES)
    recent = SecurityEvent.objects.filter(created__gte=window_start)
    # One alert per window: a burst of 1,000 attempts is one alert, not 995.
    if recent.filter(kind=Kind.ALERT).exists():
        return
    refusals = recent.filter(kind__in=REFUSALS).count()
    if refusals >= settings.SECURITY_ALERT_THRESHOLD:
        detail = (
            f"{refusals} refused logins or API keys in the last "
            f"{settings.SECURITY_ALERT_WINDOW_MINUTES} minutes."
        )
        SecurityEvent.objects.create(kind=Kind.ALERT, detail=detail)
        logger.warning("SECURITY ALERT: %s", detail)


def security_event_counts(since: datetime) -> dict[str, int]:
    """Events since `since` by kind, every kind present (0 when none)."""
    counts = dict(
        SecurityEvent.objects.filter(created__gte=since)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in Kind.values}


def security_alerts_since(since: datetime) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=Kind.ALERT, created__gte=since))


def security_alert_active(now: datetime | None = None) -> bool:
    now = now or timezone.now()
    window = timedelta(minutes=settings.SECURITY_ALERT_WINDOW_MINUTES)
    return SecurityEvent.objects.filter(kind=Kind.ALERT, created__gte=now - window).exists()
