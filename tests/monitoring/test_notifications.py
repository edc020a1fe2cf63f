"""Delivery of notifications: retried with backoff, visible when they fail, never
leaking a webhook URL's secret."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from monitoring.models import Alert, AlertRule, Notification, NotificationChannel
from monitoring.services.notify import (
    notification_retry,
    notifications_deliver,
    notifications_queue,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def alert(db):
    rule = AlertRule.objects.create(
        name="Disk almost full",
        kind="threshold",
        metric="disk_percent",
        operator="gt",
        value=90,
        severity="critical",
    )
    return Alert.objects.create(
        rule=rule, message="disk_percent > 90 (now 97)", value=97, started_at=T0, last_seen_at=T0
    )


def queue(alert) -> Notification:
    notifications_queue(alert=alert, event="firing", now=T0)
    return Notification.objects.get()


def test_the_webhook_gets_slack_compatible_json(alert, webhook, webhook_channel):
    queue(alert)
    assert notifications_deliver(now=T0) == {"sent": 1, "retrying": 0, "failed": 0}
    body = webhook.received[0]
    assert body["text"] == "[twitterpub CRITICAL] Disk almost full: disk_percent > 90 (now 97)"
    assert body["event"] == "firing"
    assert body["severity"] == "critical"
    assert body["started_at"] == "2026-03-02T12:00:00+00:00"
    assert webhook.paths == ["/hooks/T0SECRET/B0SECRET"]


def test_a_refused_delivery_is_retried_with_growing_delays(
    alert, settings, webhook, webhook_channel
):
    settings.MONITORING_NOTIFY_RETRY = {"base": 60, "cap": 3600, "max_attempts": 5}
    webhook.statuses = [500, 503]
    notification = queue(alert)

    assert notifications_deliver(now=T0) == {"sent": 0, "retrying": 1, "failed": 0}
    notification.refresh_from_db()
    assert notification.next_attempt_at == T0 + timedelta(seconds=60)
    assert notification.last_error.startswith("HTTP 500")

    assert notifications_deliver(now=T0 + timedelta(seconds=59))["retrying"] == 0  # not due
    notifications_deliver(now=T0 + timedelta(seconds=60))
    notification.refresh_from_db()
    assert notification.next_attempt_at == T0 + timedelta(seconds=180)  # 60 s, then 120 s

    assert notifications_deliver(now=T0 + timedelta(seconds=180))["sent"] == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 3, "")
    assert len(webhook.received) == 1


def test_delivery_gives_up_after_its_attempts_and_says_why(alert, settings, db):
    settings.MONITORING_NOTIFY_RETRY = {"base": 1, "cap": 1, "max_attempts": 2}
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    NotificationChannel.objects.create(
        name="dead", kind="webhook", target=f"http://127.0.0.1:{port}/hooks/T0SECRET?token=XSECRET"
    )
    notification = queue(alert)
    notifications_deliver(now=T0)
    assert notifications_deliver(now=T0 + timedelta(seconds=1)) == {
        "sent": 0,
        "retrying": 0,
        "failed": 1,
    }
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert "ConnectionError" in notification.last_error
    assert "T0SECRET" not in notification.last_error
    assert "XSECRET" not in notification.last_error


def test_a_failed_notification_can_be_queued_again(alert, settings, webhook, webhook_channel):
    settings.MONITORING_NOTIFY_RETRY = {"base": 1, "cap": 1, "max_attempts": 1}
    webhook.statuses = [500]
    notification = queue(alert)
    notifications_deliver(now=T0)
    assert notification_retry(notification=notification, now=T0 + timedelta(minutes=5))
    assert notifications_deliver(now=T0 + timedelta(minutes=5))["sent"] == 1


def test_email_goes_to_every_address_of_the_channel(alert, email_channel):
    queue(alert)
    notifications_deliver(now=T0)
    message = mail.outbox[0]
    assert message.subject == "[twitterpub CRITICAL] Disk almost full"
    assert message.to == ["ops@example.com", "oncall@example.com"]
    assert "disk_percent > 90 (now 97)" in message.body


def test_disabled_channels_get_nothing(alert, webhook, webhook_channel):
    webhook_channel.enabled = False
    webhook_channel.save()
    assert notifications_queue(alert=alert, event="firing", now=T0) == 0


def test_the_webhook_url_is_encrypted_at_rest(webhook_channel):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT target FROM monitoring_notificationchannel WHERE id = %s", [webhook_channel.pk]
        )
        stored = cursor.fetchone()[0]
    assert "T0SECRET" not in stored
    assert NotificationChannel.objects.get().target == webhook_channel.target
