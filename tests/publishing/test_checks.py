"""The start-up check of the django-q2 settings that "exactly once" relies on."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from publishing.checks import RETRY_MARGIN, q_cluster_settings, timeout_settings

SAFE = {
    "name": "twitterpub",
    "orm": "default",
    "timeout": 600,
    "retry": 600 + RETRY_MARGIN + 60,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
}

MISSING = object()


@pytest.fixture
def check(settings):
    def run(**changes) -> list[str]:
        conf = {**SAFE, **changes}
        settings.Q_CLUSTER = {k: v for k, v in conf.items() if v is not MISSING}
        return [error.id for error in q_cluster_settings()]

    return run


def test_the_projects_own_settings_pass():
    assert q_cluster_settings() == []
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"] + RETRY_MARGIN


def test_a_safe_cluster_passes(check):
    assert check() == []


@pytest.mark.parametrize(
    "retry",
    [
        pytest.param(600, id="retry equal to timeout"),
        pytest.param(500, id="retry shorter than timeout"),
        pytest.param(600 + RETRY_MARGIN - 1, id="inside the margin"),
        pytest.param(600 + RETRY_MARGIN, id="exactly at the margin"),
        pytest.param(MISSING, id="retry missing"),
    ],
)
def test_a_retry_that_could_hand_a_running_dispatcher_to_a_second_worker_is_refused(check, retry):
    assert check(retry=retry) == ["publishing.E001"]


def test_a_missing_timeout_is_refused_too(check):
    assert check(timeout=MISSING) == ["publishing.E001"]


def test_the_first_retry_past_the_margin_is_accepted(check):
    assert check(retry=600 + RETRY_MARGIN + 1) == []


@pytest.mark.parametrize("max_attempts", [MISSING, 0, None], ids=["missing", "zero", "none"])
def test_a_broker_that_would_retry_forever_is_refused(check, max_attempts):
    assert check(max_attempts=max_attempts) == ["publishing.E002"]


def test_ack_failures_must_be_set_explicitly(check):
    assert check(ack_failures=MISSING) == ["publishing.E003"]
    # False is explicit: the operator decided, the check does not second-guess it.
    assert check(ack_failures=False) == []


@pytest.mark.parametrize("catch_up", [MISSING, True], ids=["missing", "on"])
def test_catching_up_on_missed_schedules_is_refused(check, catch_up):
    assert check(catch_up=catch_up) == ["publishing.E004"]


@pytest.mark.parametrize("orm", [MISSING, "replica", None], ids=["missing", "replica", "none"])
def test_a_broker_outside_the_default_database_is_refused(check, orm):
    assert check(orm=orm) == ["publishing.E005"]


def test_every_bad_setting_reports_its_own_error_with_a_hint(settings):
    settings.Q_CLUSTER = {"name": "twitterpub", "timeout": 600, "retry": 600, "catch_up": True}

    errors = q_cluster_settings()

    assert [e.id for e in errors] == [f"publishing.E00{n}" for n in range(1, 6)]
    assert all(error.hint for error in errors)


def test_manage_py_check_fails_on_a_bad_cluster():
    bad = {**SAFE, "retry": SAFE["timeout"], "catch_up": True}

    with override_settings(Q_CLUSTER=bad), pytest.raises(SystemCheckError) as failure:
        call_command("check")

    assert "publishing.E001" in str(failure.value)
    assert "publishing.E004" in str(failure.value)


def test_manage_py_check_passes_on_the_projects_settings():
    call_command("check")


# --- the lease and the settle time against the X client's timeout ----------------------


@pytest.fixture
def timeouts(settings):
    settings.X_API_TIMEOUT_SECONDS = 30
    settings.PUBLISH_LEASE_SECONDS = 300
    settings.RECONCILE_SETTLE_SECONDS = 60

    def run() -> list[str]:
        return [error.id for error in timeout_settings()]

    return run


def test_a_lease_and_a_settle_time_of_twice_the_timeout_or_more_pass(timeouts):
    assert timeouts() == []


def test_a_lease_shorter_than_a_create_can_be_in_flight_is_refused(settings, timeouts):
    settings.PUBLISH_LEASE_SECONDS = 59  # a connect and a read may each take 30 s

    assert timeouts() == ["publishing.E006"]


def test_a_settle_time_shorter_than_a_create_can_be_in_flight_is_refused(settings, timeouts):
    settings.RECONCILE_SETTLE_SECONDS = 45

    assert timeouts() == ["publishing.E007"]


def test_a_longer_client_timeout_makes_the_default_lease_and_settle_time_too_short(
    settings, timeouts
):
    settings.X_API_TIMEOUT_SECONDS = 200

    (lease, settle) = timeout_settings()
    assert (lease.id, settle.id) == ("publishing.E006", "publishing.E007")
    assert "400 s" in lease.msg
