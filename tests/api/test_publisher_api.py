"""The publisher's switch over the API: Viewers read it, Operators pause and resume it,
a restored database cannot be resumed before reconciliation; accounts and projects."""

import pytest

from publishing.models import PublisherState
from publishing.services.reconcile import publisher_state
from tests.fixtures.publishing import ProjectRowFactory, UserFactory, XAccountFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/publisher/"


def test_a_viewer_reads_the_state_with_its_own_paused_projects_only(role_client):
    viewer = role_client("Viewer")
    mine = role_client.projects["Viewer"]
    mine.paused = True
    mine.save()
    ProjectRowFactory(owner=UserFactory(), paused=True)
    XAccountFactory(handle="held", paused=True)
    body = viewer.get(URL).json()
    assert body["paused"] is False
    assert body["paused_projects"] == [mine.pk]
    assert body["paused_accounts"] == ["held"]


def test_an_operator_pauses_and_resumes_the_publisher(role_client):
    operator = role_client("Operator")
    paused = operator.post(f"{URL}pause/", {"reason": "X outage"})
    assert paused.status_code == 200 and paused.json()["paused"] is True
    state = publisher_state()
    assert (state.paused, state.reason) == (True, "X outage")
    assert state.changed_by.startswith("operator-user (api key tpk_")
    assert operator.post(f"{URL}resume/").json()["paused"] is False
    assert not publisher_state().paused


def test_viewers_and_editors_cannot_switch_the_publisher(role_client):
    for role in ("Viewer", "Editor"):
        assert role_client(role).post(f"{URL}pause/").status_code == 403
    assert not publisher_state().paused


def test_resuming_a_restored_database_before_reconciliation_is_a_400(role_client):
    PublisherState.objects.update_or_create(
        pk=1, defaults={"paused": True, "reconcile_required": True, "reason": "restore"}
    )
    response = role_client("Operator").post(f"{URL}resume/")
    assert response.status_code == 400
    assert "reconcile with X first" in response.json()["error"]["message"]
    assert publisher_state().paused


def test_a_too_long_reason_is_refused_and_changes_nothing(role_client):
    response = role_client("Operator").post(f"{URL}pause/", {"reason": "x" * 501})
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    assert not publisher_state().paused


def test_an_operator_pauses_and_resumes_an_account(role_client):
    account = XAccountFactory(handle="brand")
    operator = role_client("Operator")
    assert role_client("Viewer").post(f"/api/v1/accounts/{account.pk}/pause/").status_code == 403
    paused = operator.post(f"/api/v1/accounts/{account.pk}/pause/", {"reason": "rebrand"})
    assert (paused.json()["paused"], paused.json()["paused_reason"]) == (True, "rebrand")
    assert operator.post(f"/api/v1/accounts/{account.pk}/resume/").json()["paused"] is False
    account.refresh_from_db()
    assert not account.paused
