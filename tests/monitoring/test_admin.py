"""The admin as the operator's console for monitoring: the overview page, the error
center's actions, notification retries, and webhook secrets never shown."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Alert, AlertRule, ErrorGroup, Notification, NotificationChannel
from publishing.models import PublishingLog
from tests.fixtures.publishing import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, django_user_model):
    cache.clear()  # the overview's figures are cached: no test sees another's
    user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(user)
    yield client
    cache.clear()


def test_the_overview_shows_health_alerts_and_costs(operator):
    TaskFactory.create_batch(3, status="pending", text="Hello https://example.com")
    now = timezone.now()
    Alert.objects.create(
        rule=AlertRule.objects.get(name="CPU high"),
        message="cpu_percent > 80 for 5 min (now 97)",
        started_at=now,
        last_seen_at=now,
    )
    page = operator.get(reverse("admin:monitoring_overview_changelist")).content.decode()
    assert "Health: fail" in page  # no worker has checked in
    assert "no worker has checked in" in page
    assert "cpu_percent &gt; 80 for 5 min (now 97)" in page
    assert "<td>waiting in the queue</td><td>3</td><td>3</td><td>0.6</td>" in page


def test_error_groups_are_acknowledged_and_resolved_from_the_list(operator):
    PublishingLog.objects.create(
        task=TaskFactory(), status="failure", error_class="network", execution_time=0.1
    )
    from monitoring.services.errors import error_groups_ingest

    error_groups_ingest(now=timezone.now())
    group = ErrorGroup.objects.get()
    url = reverse("admin:monitoring_errorgroup_changelist")
    page = operator.get(url).content.decode()
    assert 'class="field-last_24h">1<' in page

    operator.post(url, {"action": "acknowledge", "_selected_action": [group.pk]})
    group.refresh_from_db()
    assert (group.status, group.acknowledged_by) == ("acknowledged", "root")
    operator.post(url, {"action": "resolve", "_selected_action": [group.pk]})
    group.refresh_from_db()
    assert group.status == "resolved"


def test_a_failed_notification_is_queued_again_from_the_list(operator):
    now = timezone.now()
    alert = Alert.objects.create(
        rule=AlertRule.objects.get(name="CPU high"), message="m", started_at=now, last_seen_at=now
    )
    channel = NotificationChannel.objects.create(name="mail", kind="email", target="a@b.c")
    notification = Notification.objects.create(
        alert=alert,
        channel=channel,
        event="firing",
        status="failed",
        attempts=6,
        next_attempt_at=now,
        last_error="SMTPServerDisconnected",
    )
    url = reverse("admin:monitoring_notification_changelist")
    assert "SMTPServerDisconnected" in operator.get(url).content.decode()
    operator.post(url, {"action": "retry", "_selected_action": [notification.pk]})
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)


def test_a_webhook_url_is_never_shown_back_and_survives_an_edit(operator):
    secret_url = "https://hooks.example.com/services/T000/B000/SECRETXYZ"
    channel = NotificationChannel.objects.create(name="slack", kind="webhook", target=secret_url)
    url = reverse("admin:monitoring_notificationchannel_change", args=[channel.pk])
    assert "SECRETXYZ" not in operator.get(url).content.decode()

    response = operator.post(
        url, {"name": "slack ops", "kind": "webhook", "enabled": "on", "target": ""}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.target) == ("slack ops", secret_url)


def test_an_incomplete_rule_is_refused_with_a_clear_message(operator):
    url = reverse("admin:monitoring_alertrule_add")
    response = operator.post(
        url,
        {
            "name": "No value",
            "kind": "threshold",
            "enabled": "on",
            "severity": "warning",
            "cooldown_minutes": 30,
            "metric": "cpu_percent",
            "operator": "gt",
            "value": "",
            "duration_minutes": 5,
            "baseline_minutes": 1440,
            "floor": 0,
        },
    )
    assert response.status_code == 200  # the form again, not a 500
    assert "A threshold rule needs a metric, an operator and a value." in response.content.decode()
    assert not AlertRule.objects.filter(name="No value").exists()


def test_staff_without_monitoring_permissions_cannot_see_the_overview(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="clerk-pass-1234")
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get(reverse("admin:monitoring_overview_changelist")).status_code == 403


def test_the_overview_says_when_notifications_were_not_delivered(operator):
    url = reverse("admin:monitoring_overview_changelist")
    assert "Notifications not delivered" not in operator.get(url).content.decode()
    now = timezone.now()
    alert = Alert.objects.create(
        rule=AlertRule.objects.get(name="CPU high"), message="m", started_at=now, last_seen_at=now
    )
    channel = NotificationChannel.objects.create(name="hook", kind="webhook", target="http://x/")
    for status, attempts, event in [("failed", 6, "firing"), ("pending", 2, "resolved")]:
        Notification.objects.create(
            alert=alert,
            channel=channel,
            event=event,
            status=status,
            attempts=attempts,
            next_attempt_at=now,
        )

    page = operator.get(url).content.decode()

    assert "Notifications not delivered: 1 gave up, 1 retrying." in page
    assert "/admin/monitoring/notification/?status__exact=failed" in page


def test_the_overviews_costs_are_cached_briefly_and_follow_a_price_change_at_once(
    operator, settings
):
    from configuration.services import config_version_create

    settings.MONITORING_METRICS_CACHE_SECONDS = 60
    TaskFactory(status="pending", text="Just words")
    assert "<td>waiting in the queue</td><td>1</td><td>0</td><td>0.015</td>" in _page(operator)

    TaskFactory(status="pending", text="More words")
    # Within the cache's time the same figures (no pricing of the queue per page load).
    assert "<td>waiting in the queue</td><td>1</td><td>0</td><td>0.015</td>" in _page(operator)

    config_version_create(document={"publishing": {"prices_usd": {"post": 0.02}}}, author_name="t")
    assert "<td>waiting in the queue</td><td>2</td><td>0</td><td>0.04</td>" in _page(operator)


def _page(client) -> str:
    return client.get(reverse("admin:monitoring_overview_changelist")).content.decode()


def _composite(name: str, *children: str) -> AlertRule:
    rule = AlertRule.objects.create(name=name, kind="composite", combine="and")
    rule.children.set(AlertRule.objects.filter(name__in=children))
    return rule


def test_the_rule_list_names_composite_children_in_one_query(operator):
    url = reverse("admin:monitoring_alertrule_changelist")
    children = list(AlertRule.objects.exclude(kind="composite").values_list("name", flat=True)[:2])
    _composite("Both A", *children)
    with CaptureQueriesContext(connection) as one:
        page = operator.get(url).content.decode()
    assert "All of " in page and all(name in page for name in children)
    _composite("Both B", *children)
    _composite("Both C", *children)
    with CaptureQueriesContext(connection) as three:
        operator.get(url)
    assert len(three) == len(one)
