"""Backups over the API: Viewers list, Operators take one, restore is Admin-only and
off unless API_ALLOW_RESTORE; the server's folders are not shown."""

from pathlib import Path

import pytest

from database.models import Backup
from publishing.services.reconcile import publisher_state
from tests.fixtures.publishing import TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/backups/"


def test_an_operator_takes_a_verified_backup_and_a_viewer_lists_it(role_client, backup_dir):
    TaskFactory.create_batch(2)
    response = role_client("Operator").post(URL, {"name": "before-launch"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["verified"] is True and body["kind"] == "manual"
    assert body["row_counts"]["publishing_publishingtask"] == 2
    assert (backup_dir / body["file"]).is_file()
    assert str(backup_dir) not in response.content.decode()
    listed = role_client("Viewer").get(URL).json()["results"]
    assert [row["name"] for row in listed] == ["before-launch"]
    assert role_client("Viewer").get(f"{URL}{body['id']}/").json()["sha256"] == body["sha256"]


def test_a_viewer_cannot_take_a_backup(role_client, backup_dir):
    assert role_client("Viewer").post(URL, {}).status_code == 403
    assert not Backup.objects.exists()


def test_a_bad_or_taken_name_is_a_400(role_client, backup_dir):
    operator = role_client("Operator")
    bad = operator.post(URL, {"name": "../etc/passwd"})
    assert bad.status_code == 400 and "is not allowed" in bad.json()["error"]["message"]
    assert operator.post(URL, {"name": "twice"}).status_code == 201
    again = operator.post(URL, {"name": "twice"})
    assert again.status_code == 400 and "exists already" in again.json()["error"]["message"]
    assert Backup.objects.count() == 1


def test_restore_is_off_by_default_even_for_an_admin(role_client, backup_dir):
    backup = Path(role_client("Operator").post(URL, {}).json()["file"])
    pk = Backup.objects.get().pk
    assert role_client("Operator").post(f"{URL}{pk}/restore/").status_code == 403
    response = role_client("Admin").post(f"{URL}{pk}/restore/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "restore_disabled"
    assert not publisher_state().paused
    assert (backup_dir / backup).is_file()


def test_an_admin_restores_when_allowed_and_the_publisher_waits_for_x(
    role_client, backup_dir, settings
):
    settings.API_ALLOW_RESTORE = True
    admin = role_client("Admin")
    TaskFactory()
    pk = admin.post(URL, {"name": "one-task"}).json()["id"]
    TaskFactory.create_batch(2)  # written after the backup: the restore drops them
    response = admin.post(f"{URL}{pk}/restore/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["backup"] == "one-task" and body["safety_backup"] and body["matches_manifest"]
    assert body["row_counts"]["publishing_publishingtask"] == 1
    state = publisher_state()
    assert state.paused and state.reconcile_required
