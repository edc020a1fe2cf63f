"""The access log records API and admin actions; refused logins and keys are security
events, and a burst of them raises one alert per window."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from security.events import (
    Kind,
    security_alert_active,
    security_event_counts,
    security_event_record,
)
from security.models import AccessLog, SecurityEvent
from tests.fixtures.publishing import TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_api_action_is_logged_with_who_what_object_result_and_address(role_client):
    operator = role_client("Operator")
    task = TaskFactory(project=role_client.projects["Operator"])
    operator.post(f"/api/v1/tasks/{task.pk}/cancel/", REMOTE_ADDR="192.0.2.9")
    row = AccessLog.objects.get()
    assert (row.channel, row.username, row.api_key_prefix) == (
        "api",
        "operator-user",
        operator.api_key.prefix,
    )
    assert (row.method, row.action, row.object_id) == ("POST", "task-cancel", str(task.pk))
    assert (row.status_code, row.address) == (200, "192.0.2.9")


def test_reads_are_not_logged_but_refusals_are(role_client):
    viewer = role_client("Viewer")
    viewer.get("/api/v1/projects/")
    assert not AccessLog.objects.exists()
    viewer.post("/api/v1/projects/", {"name": "x", "path": "/tmp"})
    APIClient().get("/api/v1/tasks/")
    assert sorted(AccessLog.objects.values_list("status_code", flat=True)) == [401, 403]


def test_admin_actions_are_logged(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    task = TaskFactory()
    client.post(
        "/admin/publishing/publishingtask/",
        {"action": "cancel", "_selected_action": [task.pk]},
    )
    row = AccessLog.objects.get()
    assert (row.channel, row.username) == ("admin", "root")
    assert row.action.endswith("changelist:cancel")


@override_settings(SECURITY_ALERT_THRESHOLD=3, SECURITY_ALERT_WINDOW_MINUTES=5)
def test_a_burst_of_refusals_raises_one_alert_per_window():
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            security_event_record(kind=Kind.LOGIN_FAILED, username="alice")
        assert not security_alert_active()
        for _ in range(5):
            security_event_record(kind=Kind.API_KEY_REFUSED, address="192.0.2.1")
        assert SecurityEvent.objects.filter(kind=Kind.ALERT).count() == 1
        assert security_alert_active()
    counts = security_event_counts(start - timedelta(minutes=1))
    assert counts == {"login_failed": 2, "lockout": 0, "api_key_refused": 5, "alert": 1}
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert not security_alert_active()


@override_settings(SECURITY_ALERT_THRESHOLD=3, SECURITY_ALERT_WINDOW_MINUTES=5)
def test_refusals_spread_out_raise_no_alert():
    start = timezone.now()
    for n in range(4):
        with time_machine.travel(start + timedelta(minutes=3 * n), tick=False):
            security_event_record(kind=Kind.LOGIN_FAILED, username="alice")
    assert not SecurityEvent.objects.filter(kind=Kind.ALERT).exists()


def test_the_admin_shows_the_logs_read_only(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    security_event_record(kind=Kind.LOGIN_FAILED, username="mallory")
    assert b"mallory" in client.get("/admin/security/securityevent/").content
    assert client.get("/admin/security/accesslog/").status_code == 200
    assert client.get("/admin/security/securityevent/add/").status_code == 403
