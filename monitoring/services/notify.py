"""Notifications: queued as rows in the transaction that changes the alert, delivered
by the minute task, retried with exponential backoff (MONITORING_NOTIFY_RETRY) until
sent or out of attempts. A failure is kept in `last_error`, with any channel URL
removed (a webhook URL holds its own secret)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.core.mail import send_mail

from configuration.selectors import config_policy, config_value
from monitoring.models import Alert, Notification, NotificationChannel

logger = logging.getLogger(__name__)
Status = Notification.Status
Kind = NotificationChannel.Kind


class DeliveryError(Exception):
    """A channel refused or could not take a message; the text is safe to store."""


def notifications_queue(*, alert: Alert, event: str, now: datetime) -> int:
    """One pending notification per channel of the alert's rule (every enabled channel
    when the rule names none); returns how many."""
    channels = list(alert.rule.channels.filter(enabled=True))
    if not alert.rule.channels.exists():
        channels = list(NotificationChannel.objects.filter(enabled=True))
    rows = [
        Notification(alert=alert, channel=channel, event=event, next_attempt_at=now)
        for channel in channels
    ]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def notifications_deliver(*, now: datetime, limit: int = 50) -> dict[str, int]:
    """Send what is due; returns counts of sent, retrying and failed (gave up)."""
    due = (
        Notification.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .select_related("alert__rule", "channel")
        .order_by("next_attempt_at", "id")[:limit]
    )
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for notification in due:
        counts[notification_send(notification=notification, now=now)] += 1
    return counts


def notification_send(*, notification: Notification, now: datetime) -> str:
    notification.attempts += 1
    try:
        _SENDERS[notification.channel.kind](notification)
    except DeliveryError as error:
        return _failed(notification, str(error), now)
    notification.status, notification.sent_at, notification.last_error = Status.SENT, now, ""
    notification.save(update_fields=["status", "sent_at", "last_error", "attempts"])
    return "sent"


def notification_retry(*, notification: Notification, now: datetime) -> bool:
    """Put a notification that gave up back in the queue with a fresh set of attempts
    (an operator fixed the channel). False if it was not failed."""
    return bool(
        Notification.objects.filter(pk=notification.pk, status=Status.FAILED).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now
        )
    )


def retry_delay(attempt: int) -> timedelta:
    policy = config_policy("notifications.retry")
    return timedelta(seconds=min(policy["cap"], policy["base"] * 2 ** (attempt - 1)))


def _failed(notification: Notification, error: str, now: datetime) -> str:
    notification.last_error = error[:1000]
    if notification.attempts >= config_policy("notifications.retry")["max_attempts"]:
        notification.status = Status.FAILED
        logger.error(
            "Notification %s gave up after %s attempts: %s",
            notification.pk,
            notification.attempts,
            error,
        )
    else:
        notification.next_attempt_at = now + retry_delay(notification.attempts)
        logger.warning(
            "Notification %s failed (attempt %s): %s", notification.pk, notification.attempts, error
        )
    notification.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
    return "failed" if notification.status == Status.FAILED else "retrying"


# --- the message ----------------------------------------------------------------------


def message_text(notification: Notification) -> tuple[str, str]:
    """(subject, body) in plain words."""
    alert, rule = notification.alert, notification.alert.rule
    state = (
        "RESOLVED" if notification.event == Notification.Event.RESOLVED else rule.severity.upper()
    )
    subject = f"[twitterpub {state}] {rule.name}" + (f" {alert.subject}" if alert.subject else "")
    when = (
        alert.resolved_at if notification.event == Notification.Event.RESOLVED else alert.started_at
    )
    verb = "cleared" if notification.event == Notification.Event.RESOLVED else "fired"
    body = f"{subject}\n{alert.message}\nThe rule {verb} at {when:%Y-%m-%d %H:%M:%S} UTC."
    return subject, body


def webhook_payload(notification: Notification) -> dict:
    """Generic JSON; "text" is what Slack (and Mattermost, Discord's /slack) show."""
    alert, rule = notification.alert, notification.alert.rule
    subject, _ = message_text(notification)
    return {
        "text": f"{subject}: {alert.message}",
        "event": notification.event,
        "rule": rule.name,
        "kind": rule.kind,
        "severity": rule.severity,
        "subject": alert.subject,
        "message": alert.message,
        "value": alert.value,
        "started_at": alert.started_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "alert_id": alert.pk,
    }


# --- channels -------------------------------------------------------------------------


def _send_email(notification: Notification) -> None:
    recipients = [a.strip() for a in notification.channel.target.split(",") if a.strip()]
    if not recipients:
        raise DeliveryError("the channel names no address")
    subject, body = message_text(notification)
    try:
        send_mail(subject, body, config_value("notifications.email_from"), recipients)
    except Exception as exc:  # smtplib and socket errors; no secret in them
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


def _send_webhook(notification: Notification) -> None:
    url = notification.channel.target.strip()
    try:
        response = requests.post(
            url,
            json=webhook_payload(notification),
            timeout=config_value("notifications.webhook_timeout_seconds"),
        )
    except requests.RequestException as exc:
        raise DeliveryError(_redact(f"{type(exc).__name__}: {exc}", url)) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryError(_redact(f"HTTP {response.status_code}: {response.text[:200]}", url))


def _redact(text: str, url: str) -> str:
    parts = urlsplit(url)
    for part in (url, parts.path, parts.query):
        if part and part != "/":
            text = text.replace(part, "<redacted>")
    return text


_SENDERS = {Kind.EMAIL: _send_email, Kind.WEBHOOK: _send_webhook}
