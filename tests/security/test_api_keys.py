"""API keys: shown once, stored hashed behind a visible prefix, refused with a clear
401 when unknown, revoked or expired, last use recorded without a write per request."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from security.apikeys import apikey_create, apikey_revoke
from security.models import APIKey, SecurityEvent
from tests.fixtures.api import user_in_role
from tests.fixtures.publishing import UserFactory

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def viewer(api_cache):
    return user_in_role("Viewer")


def test_only_a_hash_is_stored_and_the_prefix_is_visible(viewer):
    new = apikey_create(user=viewer, role="Viewer")
    assert new.key.startswith(new.api_key.prefix + "_")
    assert new.api_key.prefix.startswith("tpk_") and len(new.api_key.prefix) == 12
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM security_apikey")
        rows = repr(cursor.fetchall())
    assert new.key not in rows
    assert hashlib.sha256(new.key.encode()).hexdigest() in rows


def test_the_key_is_shown_once_by_the_command_and_never_listed(viewer):
    out, err = StringIO(), StringIO()
    call_command(
        "apikey", "create", "--user", viewer.username, "--role", "viewer", stdout=out, stderr=err
    )
    key = out.getvalue().strip()
    assert client_with(key).get(PROJECTS).status_code == 200
    listing = StringIO()
    call_command("apikey", "list", stdout=listing)
    assert key not in listing.getvalue()
    assert key[:12] in listing.getvalue()


def test_a_key_needs_a_role_its_user_holds(viewer):
    with pytest.raises(ValidationError, match="not in the Operator role"):
        apikey_create(user=viewer, role="Operator")
    with pytest.raises(CommandError, match="not in the Operator role"):
        call_command("apikey", "create", "--user", viewer.username, "--role", "Operator")
    assert not APIKey.objects.exists()


def test_grant_role_adds_the_user_to_the_group_first(api_cache):
    user = UserFactory(username="newcomer")
    out = StringIO()
    call_command(
        "apikey",
        "create",
        "--user",
        "newcomer",
        "--role",
        "Operator",
        "--grant-role",
        stdout=out,
        stderr=StringIO(),
    )
    assert user.groups.filter(name="Operator").exists()
    assert client_with(out.getvalue().strip()).get(PROJECTS).status_code == 200


def test_a_viewer_key_of_an_operator_user_can_only_read(api_cache):
    user = user_in_role("Operator")
    key = apikey_create(user=user, role="Viewer").key
    assert client_with(key).get(PROJECTS).status_code == 200
    response = client_with(key).post(PROJECTS, {"name": "x", "path": "/tmp"})
    assert response.status_code == 403
    assert "projects.add_project" in response.json()["error"]["message"]


def test_a_key_is_capped_by_its_users_current_permissions(viewer):
    key = apikey_create(user=viewer, role="Viewer").key
    viewer.groups.clear()
    assert client_with(key).get(PROJECTS).status_code == 403


def test_a_revoked_key_gets_401_saying_so(viewer):
    new = apikey_create(user=viewer, role="Viewer")
    call_command("apikey", "revoke", new.api_key.prefix, stdout=StringIO())
    response = client_with(new.key).get(PROJECTS)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": f"The API key {new.api_key.prefix} was revoked.",
    }
    assert apikey_revoke(api_key=new.api_key) is False


def test_an_expired_key_gets_401_saying_so(viewer):
    new = apikey_create(user=viewer, role="Viewer", expires_at=timezone.now() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = client_with(new.key).get(PROJECTS)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


@pytest.mark.parametrize("key", ["tpk_00000000_wrong", "nonsense", "tpk_"])
def test_unknown_or_malformed_keys_get_401_and_a_security_event(viewer, key):
    apikey_create(user=viewer, role="Viewer")
    response = client_with(key).get(PROJECTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert SecurityEvent.objects.filter(kind="api_key_refused").count() == 1


def test_a_right_prefix_with_a_wrong_secret_is_refused(viewer):
    new = apikey_create(user=viewer, role="Viewer")
    assert client_with(new.api_key.prefix + "_guessed").get(PROJECTS).status_code == 401


def test_no_credentials_is_401_not_403(db, api_cache):
    assert APIClient().get(PROJECTS).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(viewer):
    new = apikey_create(user=viewer, role="Viewer")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client_with(new.key).get(PROJECTS)
        first = APIKey.objects.get().last_used_at
        assert first == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client_with(new.key).get(PROJECTS)
        assert APIKey.objects.get().last_used_at == first
    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        client_with(new.key).get(PROJECTS)
        assert APIKey.objects.get().last_used_at == later


def test_the_admin_shows_a_new_key_once_and_revokes(client, api_cache):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    owner = user_in_role("Viewer")
    from django.contrib.auth.models import Group

    response = client.post(
        "/admin/security/apikey/add/",
        {"user": owner.pk, "role": Group.objects.get(name="Viewer").pk, "name": "ci"},
        follow=True,
    )
    key = APIKey.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any(key.prefix in m and "not shown again" in m for m in shown)
    assert client.get(f"/admin/security/apikey/{key.pk}/change/").status_code == 200
    client.post("/admin/security/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert APIKey.objects.get().revoked_at is not None
