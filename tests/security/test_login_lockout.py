"""django-axes locks an account after 5 failed logins; behind a proxy, a forged
X-Forwarded-For does not reset the count. Failed logins become security events."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from security.models import SecurityEvent
from tests.fixtures.publishing import UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


@pytest.fixture
def staff(db):
    user = UserFactory(username="alice", is_staff=True, is_superuser=True)
    user.set_password("right-pass-1234")
    user.save()
    return user


def login(client, password: str, forwarded: str):
    return client.post(
        LOGIN,
        {"username": "alice", "password": password, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.1",  # the reverse proxy
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
def test_five_failures_lock_the_account_even_with_forged_forwarded_for(client, staff):
    for n in range(5):
        # The client writes a new address each time; the proxy appends the real one.
        login(client, "wrong", f"203.0.113.{n}, 192.0.2.50")
    assert AccessAttempt.objects.get().ip_address == "192.0.2.50"
    locked = login(client, "right-pass-1234", "203.0.113.99, 192.0.2.50")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The attempt made while locked out is a failed login too.
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 6
    assert SecurityEvent.objects.filter(kind="lockout").exists()


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
def test_four_failures_do_not_lock_the_right_password_out(client, staff):
    for n in range(4):
        login(client, "wrong", f"203.0.113.{n}, 192.0.2.50")
    response = login(client, "right-pass-1234", "192.0.2.50")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
@pytest.mark.parametrize(("hours_later", "status"), [(0.9, 429), (1.1, 302)])
def test_the_lock_lifts_after_the_cool_off_and_not_before(client, staff, hours_later, status):
    # An attempt while locked is a failure too and restarts the cool-off: one try each.
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for n in range(5):
            login(client, "wrong", f"203.0.113.{n}, 192.0.2.50")
        clock.move_to(start + timedelta(hours=settings.AXES_COOLOFF_TIME * hours_later))
        assert login(client, "right-pass-1234", "192.0.2.50").status_code == status


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=0)
def test_without_a_trusted_proxy_forwarded_for_is_ignored(client, staff):
    for n in range(5):
        login(client, "wrong", f"203.0.113.{n}")
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"
    assert login(client, "right-pass-1234", "198.51.100.7").status_code == 429


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
def test_failures_from_many_real_addresses_still_lock_the_account(client, staff):
    for n in range(5):
        login(client, "wrong", f"192.0.2.{n}")  # five clients, each a real address
    assert login(client, "right-pass-1234", "192.0.2.200").status_code == 429


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, TRUSTED_PROXY_COUNT=1)
def test_an_address_guessing_many_usernames_is_locked(client, staff):
    for n in range(5):
        client.post(
            LOGIN,
            {"username": f"user{n}", "password": "wrong", "next": "/admin/"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="192.0.2.77",
        )
    assert login(client, "right-pass-1234", "192.0.2.77").status_code == 429
    assert login(client, "right-pass-1234", "192.0.2.78").status_code == 302
