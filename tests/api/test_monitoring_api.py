"""Monitoring over the API: the overview's figures, samples, alerts, error groups,
notifications and health; Viewers read, Operators act, a channel's target never shows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import (
    Alert,
    AlertRule,
    ErrorGroup,
    Notification,
    NotificationChannel,
    PerformanceMetric,
)
from publishing.models import PublishingTask
from tests.fixtures.publishing import TaskFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/monitoring/"
SECRET_HOOK = "https://hooks.example.com/services/T0SECRET/B0SECRET"


@pytest.fixture
def viewer(role_client):
    return role_client("Viewer")


@pytest.fixture
def operator(role_client):
    return role_client("Operator")


@pytest.fixture
def rule(db):
    return AlertRule.objects.create(
        name="queue deep", kind="threshold", metric="queue_depth", operator="gt", value=10
    )


def make_alert(rule, status="firing", subject=""):
    now = timezone.now()
    return Alert.objects.create(
        rule=rule,
        subject=subject,
        status=status,
        message="the queue holds 50 tasks",
        started_at=now,
        last_seen_at=now,
        resolved_at=now if status == "resolved" else None,
    )


def make_group(status="open"):
    now = timezone.now()
    return ErrorGroup.objects.create(
        error_class="network", status=status, count=3, first_seen=now, last_seen=now
    )


def make_notification(rule, status="failed"):
    channel = NotificationChannel.objects.create(name="ops", kind="webhook", target=SECRET_HOOK)
    return Notification.objects.create(
        alert=make_alert(rule),
        channel=channel,
        event="firing",
        status=status,
        attempts=5,
        next_attempt_at=timezone.now(),
        last_error="HTTP 500",
    )


def test_the_overview_reports_success_lateness_posts_and_costs(viewer):
    now = timezone.now()
    TaskFactory(
        status=PublishingTask.Status.PUBLISHED,
        published_at=now - timedelta(minutes=10),
        scheduled_at=now - timedelta(minutes=20),
        text="posted",
        post_id="1900000000000000001",
    )
    TaskFactory(status=PublishingTask.Status.PENDING, text="waiting https://example.com")
    body = viewer.get(f"{BASE}overview/").json()
    assert body["lateness_seconds"]["count"] == 1
    assert body["lateness_seconds"]["max"] == pytest.approx(600, abs=1)
    assert sum(day["posts"] for day in body["posts_per_day"]) == 1
    assert body["costs"]["pending_queue"]["posts_with_url"] == 1
    assert body["costs"]["last_24h"]["posts"] == 1
    assert {"success_rate", "rate_limit_headroom", "alerts_firing"} <= body.keys()


def test_metrics_are_filtered_by_name_and_time_and_paginated(viewer):
    now = timezone.now()
    for minutes in range(5):
        for name in ("cpu_percent", "queue_depth"):
            PerformanceMetric.objects.create(
                name=name, value=minutes, timestamp=now - timedelta(minutes=minutes)
            )
    since = (now - timedelta(minutes=2, seconds=30)).isoformat()
    url = f"{BASE}metrics/"
    page = viewer.get(url, {"name": "cpu_percent", "since": since, "page_size": 2}).json()
    assert [row["value"] for row in page["results"]] == [0, 1]
    assert {row["name"] for row in page["results"]} == {"cpu_percent"}
    rest = viewer.get(page["next"]).json()
    assert [row["value"] for row in rest["results"]] == [2]


def test_a_bad_metric_filter_is_a_400_naming_the_parameter(viewer):
    response = viewer.get(f"{BASE}metrics/", {"since": "yesterday-ish"})
    assert response.status_code == 400
    assert "since" in response.json()["error"]["fields"]
    later, earlier = timezone.now().isoformat(), (timezone.now() - timedelta(hours=1)).isoformat()
    reversed_range = viewer.get(f"{BASE}metrics/", {"since": later, "until": earlier})
    assert reversed_range.status_code == 400


def test_alerts_are_listed_by_status(viewer, rule):
    firing = make_alert(rule, subject="a")
    make_alert(rule, status="resolved", subject="b")
    listed = viewer.get(f"{BASE}alerts/", {"status": "firing"}).json()["results"]
    assert [alert["id"] for alert in listed] == [firing.pk]
    assert listed[0]["rule"] == "queue deep"
    assert viewer.get(f"{BASE}alerts/", {"status": "loud"}).status_code == 400


def test_an_operator_resolves_an_alert_a_viewer_may_not(viewer, operator, rule):
    alert = make_alert(rule)
    assert viewer.post(f"{BASE}alerts/{alert.pk}/resolve/").status_code == 403
    response = operator.post(f"{BASE}alerts/{alert.pk}/resolve/")
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    again = operator.post(f"{BASE}alerts/{alert.pk}/resolve/")
    assert again.status_code == 400 and "resolved already" in again.json()["error"]["message"]


def test_error_groups_are_acknowledged_then_resolved_by_an_operator(viewer, operator):
    group = make_group()
    url = f"{BASE}error-groups/{group.pk}/"
    assert viewer.get(url).json()["examples"] == []
    assert viewer.post(f"{url}acknowledge/").status_code == 403
    acknowledged = operator.post(f"{url}acknowledge/").json()
    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == (
        "acknowledged",
        "operator-user",
    )
    assert operator.post(f"{url}acknowledge/").status_code == 400  # not open any more
    assert operator.post(f"{url}resolve/").json()["status"] == "resolved"
    group.refresh_from_db()
    assert group.status == ErrorGroup.Status.RESOLVED and group.resolved_by == "operator-user"


def test_error_groups_are_listed_by_status(viewer):
    group = make_group()
    listed = viewer.get(f"{BASE}error-groups/", {"status": "open"}).json()
    assert [row["id"] for row in listed] == [group.pk]
    assert viewer.get(f"{BASE}error-groups/", {"status": "resolved"}).json() == []


def test_a_failed_notification_is_retried_and_its_target_never_shown(viewer, operator, rule):
    notification = make_notification(rule)
    listed = viewer.get(f"{BASE}notifications/", {"status": "failed"})
    assert listed.json()["results"][0]["channel"] == "ops"
    assert "SECRET" not in listed.content.decode()
    assert viewer.post(f"{BASE}notifications/{notification.pk}/retry/").status_code == 403
    retried = operator.post(f"{BASE}notifications/{notification.pk}/retry/")
    assert retried.status_code == 200 and "SECRET" not in retried.content.decode()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)
    again = operator.post(f"{BASE}notifications/{notification.pk}/retry/")
    assert again.status_code == 400 and "only a failed one" in again.json()["error"]["message"]


def test_health_gives_the_readiness_checks_as_json_with_200(viewer):
    response = viewer.get(f"{BASE}health/")
    assert response.status_code == 200
    body = response.json()
    assert set(body["checks"]) == {"database", "broker", "worker", "x_credentials", "disk"}
    assert body["checks"]["database"]["status"] == "ok"
    # No worker has checked in during the test.
    assert body["status"] == "fail" and body["checks"]["worker"]["status"] == "fail"


def test_an_editor_reads_monitoring_but_cannot_act(role_client, rule):
    editor = role_client("Editor")
    alert = make_alert(rule)
    assert editor.get(f"{BASE}alerts/").status_code == 200
    assert editor.post(f"{BASE}alerts/{alert.pk}/resolve/").status_code == 403


def test_an_operator_acknowledges_a_firing_alert_once(viewer, operator, rule):
    alert = make_alert(rule)
    url = f"{BASE}alerts/{alert.pk}/acknowledge/"
    assert viewer.post(url).status_code == 403
    response = operator.post(url)
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "operator-user"
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.status == Alert.Status.FIRING
    again = operator.post(url)
    assert again.status_code == 400 and "acknowledged by operator-user" in again.content.decode()


def test_a_resolved_alert_cannot_be_acknowledged(operator, rule):
    alert = make_alert(rule, status="resolved")
    assert operator.post(f"{BASE}alerts/{alert.pk}/acknowledge/").status_code == 400
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
