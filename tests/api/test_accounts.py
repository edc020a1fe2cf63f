"""X accounts over the API: credentials go in, never come out."""

import pytest

from publishing.models import XAccount
from tests.fixtures.publishing import XAccountFactory

pytestmark = pytest.mark.django_db
SECRET = "sentinel-api-secret-5d1c"
ACCOUNTS = "/api/v1/accounts/"
CREDENTIALS = {
    "consumer_key": SECRET,
    "consumer_secret": SECRET,
    "access_token": SECRET,
    "access_token_secret": SECRET,
}


def test_credentials_are_write_only(role_client):
    operator = role_client("Operator")
    created = operator.post(ACCOUNTS, {"handle": "@maker", "verify": False, **CREDENTIALS})
    assert created.status_code == 201, created.json()
    assert XAccount.objects.get(handle="maker").consumer_secret == SECRET
    for response in (
        created,
        operator.get(ACCOUNTS),
        operator.get(f"{ACCOUNTS}{created.json()['id']}/"),
    ):
        assert SECRET not in response.content.decode()
    assert "consumer_secret" not in created.json()


def test_a_bad_handle_or_missing_credentials_are_field_errors(role_client):
    operator = role_client("Operator")
    response = operator.post(ACCOUNTS, {"handle": "not valid!", "verify": False, **CREDENTIALS})
    assert response.status_code == 400
    missing = operator.post(ACCOUNTS, {"handle": "ok", "verify": False})
    assert set(missing.json()["error"]["fields"]) == set(CREDENTIALS)
    assert not XAccount.objects.exists()


def test_credentials_x_refuses_are_a_400(role_client, xsandbox_settings):
    operator = role_client("Operator")
    response = operator.post(ACCOUNTS, {"handle": "maker", **CREDENTIALS})
    assert response.status_code == 400
    assert not XAccount.objects.exists()


def test_pause_and_resume(role_client):
    operator = role_client("Operator")
    account = XAccountFactory()
    paused = operator.post(f"{ACCOUNTS}{account.pk}/pause/", {"reason": "holiday"}).json()
    assert (paused["paused"], paused["paused_reason"]) == (True, "holiday")
    assert operator.post(f"{ACCOUNTS}{account.pk}/resume/").json()["paused"] is False


def test_an_account_with_tasks_cannot_be_deleted(role_client):
    from tests.fixtures.publishing import TaskFactory

    operator = role_client("Operator")
    task = TaskFactory(project=role_client.projects["Operator"])
    response = operator.delete(f"{ACCOUNTS}{task.account_id}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
