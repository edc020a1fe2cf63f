"""Error policies: what follows a failed send, backoff, releasing retries, pausing accounts."""

import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from publishing.models import PublishingLog, PublishingTask, TaskTransition
from publishing.services.budget import budget_available, budget_next_reset
from publishing.services.retries import (
    account_pause,
    account_resume,
    backoff_delay,
    task_fail,
    tasks_release_due_retries,
)
from publishing.xclient import RateLimit, XError
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory, XAccountFactory

S = PublishingTask.Status
pytestmark = pytest.mark.django_db
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
POLICIES = {
    "network": {"base": 5, "cap": 300, "max_attempts": 5},
    "rate_limit": {"base": 60, "cap": 900, "max_attempts": 8},
    "unknown": {"base": 60, "cap": 1800, "max_attempts": 3},
}


@pytest.fixture(autouse=True)
def policies(settings):
    settings.PUBLISH_RETRY_POLICIES = POLICIES


def claimed(**fields) -> PublishingTask:
    """A task the dispatcher has claimed, as task_claim leaves it."""
    fields.setdefault("attempts", 1)
    lease = NOW + timedelta(minutes=5)
    return TaskFactory(status=S.PUBLISHING, claimed_at=NOW, lease_expires_at=lease, **fields)


def fail(task: PublishingTask, error: XError) -> str:
    return task_fail(task=task, error=error, now=NOW, execution_time=0.25)


def reloaded(task: PublishingTask) -> PublishingTask:
    task.refresh_from_db()
    return task


def network_error() -> XError:
    return XError("The connection to X failed: ConnectionError", error_class="network")


# backoff


def test_backoff_stays_inside_the_full_jitter_window_and_the_window_doubles():
    rng = random.Random(7)

    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40)]:
        delays = [
            backoff_delay(error_class="network", attempt=attempt, rng=rng) for _ in range(200)
        ]
        seconds = [d.total_seconds() for d in delays]
        assert all(0 <= s <= ceiling for s in seconds)
        # full jitter spreads over the whole window, beyond the previous one
        assert max(seconds) > ceiling / 2 and min(seconds) < ceiling / 2


def test_backoff_never_exceeds_the_cap_however_many_attempts():
    rng = random.Random(7)

    delays = [backoff_delay(error_class="network", attempt=40, rng=rng) for _ in range(200)]

    assert max(delays) <= timedelta(seconds=300)
    assert max(delays) > timedelta(seconds=250)


def test_an_error_class_without_a_policy_backs_off_like_unknown():
    odd = backoff_delay(error_class="gremlins", attempt=2, rng=random.Random(3))
    unknown = backoff_delay(error_class="unknown", attempt=2, rng=random.Random(3))

    assert odd == unknown
    assert timedelta(0) <= odd <= timedelta(seconds=120)


# task_fail: retryable errors


def test_a_network_error_waits_a_jittered_backoff_and_frees_the_lease():
    task = claimed(attempts=2)

    assert fail(task, network_error()) == S.RETRY_WAIT

    task = reloaded(task)
    assert NOW <= task.next_attempt_at <= NOW + timedelta(seconds=10)
    assert task.lease_expires_at is None
    assert (task.error_class, task.attempts) == ("network", 2)
    assert "attempt 2 of 5" in task.last_error


def test_every_failure_writes_a_log_row_with_its_error_and_timing():
    task = claimed()
    error = XError("X answered 503: down", error_class="system", http_status=503)

    fail(task, error)

    log = PublishingLog.objects.get(task=task)
    assert (log.status, log.error_class, log.http_status) == ("failure", "system", 503)
    assert (log.error, log.execution_time) == ("X answered 503: down", 0.25)


def test_it_gives_up_after_the_class_max_attempts_and_says_so():
    task = claimed(attempts=5)

    assert fail(task, network_error()) == S.FAILED

    task = reloaded(task)
    assert (
        task.last_error == "gave up after 5 attempts: The connection to X failed: ConnectionError"
    )
    assert task.next_attempt_at is None


def test_an_ambiguous_error_goes_to_reconciliation_and_is_never_retried():
    task = claimed()
    error = XError("The connection to X timed out", error_class="network", ambiguous=True)

    assert fail(task, error) == S.UNKNOWN

    task = reloaded(task)
    assert task.next_attempt_at is None
    assert PublishingLog.objects.get(task=task).status == "unknown"


def test_a_content_error_goes_to_a_person_with_the_reason():
    task = claimed()
    error = XError("X answered 400: text too long", error_class="content", http_status=400)

    assert fail(task, error) == S.NEEDS_REVIEW

    assert "text too long" in reloaded(task).last_error
    assert "text too long" in TaskTransition.objects.filter(task=task).last().reason


# task_fail: rate limits


def refused(**limits) -> XError:
    return XError(
        "X answered 429: Too Many Requests",
        error_class="rate_limit",
        http_status=429,
        rate_limit=RateLimit(**limits),
    )


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def test_a_429_waits_until_x_rate_limit_reset_and_marks_the_bucket_empty():
    task = claimed()
    reset = NOW + timedelta(minutes=11)
    error = refused(limit=100, remaining=0, reset=unix(reset), user_24h_remaining=40)

    assert fail(task, error) == S.RETRY_WAIT

    assert reloaded(task).next_attempt_at == reset + timedelta(seconds=1)
    assert budget_available(account=task.account, now=NOW) == 0
    assert budget_next_reset(account=task.account, now=NOW) == reset


def test_a_429_from_a_spent_day_bucket_waits_for_the_day_not_the_quarter_hour():
    task = claimed()
    quarter, day = NOW + timedelta(minutes=5), NOW + timedelta(hours=9)
    error = refused(
        limit=100, remaining=60, reset=unix(quarter), user_24h_remaining=0, user_24h_reset=unix(day)
    )

    fail(task, error)

    assert reloaded(task).next_attempt_at == day + timedelta(seconds=1)
    assert budget_next_reset(account=task.account, now=NOW) == day


def test_a_429_without_headers_backs_off_by_policy():
    task = claimed()

    fail(task, refused())

    assert NOW <= reloaded(task).next_attempt_at <= NOW + timedelta(seconds=60)


# task_fail: auth


def test_a_401_pauses_the_account_and_the_task_waits_without_spending_an_attempt(caplog):
    task = claimed(attempts=3)
    error = XError("X answered 401: Unauthorized", error_class="auth", http_status=401)

    with caplog.at_level(logging.ERROR, logger="publishing.services.retries"):
        assert fail(task, error) == S.RETRY_WAIT

    task, account = reloaded(task), task.account
    account.refresh_from_db()
    assert (account.paused, account.paused_at is not None) == (True, True)
    assert "401" in account.paused_reason
    assert (task.next_attempt_at, task.attempts) == (NOW, 2)
    assert f"@{account.handle}" in caplog.text
    assert account.consumer_secret not in caplog.text
    assert account.access_token_secret not in caplog.text


def test_a_task_held_by_a_paused_account_is_due_as_soon_as_the_account_resumes():
    task = claimed()
    fail(task, XError("X answered 401: Unauthorized", error_class="auth", http_status=401))
    later = NOW + timedelta(hours=1)

    assert tasks_release_due_retries(now=later) == 0
    assert reloaded(task).status == S.RETRY_WAIT

    account_resume(account=task.account, actor="admin")

    assert tasks_release_due_retries(now=later) == 1
    assert reloaded(task).status == S.PENDING


def test_a_403_that_is_not_a_duplicate_goes_to_review_and_leaves_the_account_running():
    task = claimed()
    error = XError("X answered 403: reply not allowed", error_class="auth", http_status=403)

    assert fail(task, error) == S.NEEDS_REVIEW

    task.account.refresh_from_db()
    assert task.account.paused is False


def test_without_any_account_the_task_waits_a_backoff_uncounted():
    task = claimed(account=None, project=ProjectRowFactory())
    error = XError("No X account: add one with `manage.py account add`.", error_class="auth")

    assert fail(task, error) == S.RETRY_WAIT

    task = reloaded(task)
    assert NOW <= task.next_attempt_at <= NOW + timedelta(seconds=60)
    assert task.attempts == 0


def test_when_someone_settled_the_task_first_their_status_stands():
    task = claimed()
    PublishingTask.objects.filter(pk=task.pk).update(status=S.UNKNOWN)

    assert fail(task, network_error()) == S.UNKNOWN

    assert PublishingLog.objects.filter(task=task).count() == 1


# releasing retries


def waiting(due: datetime, **fields) -> PublishingTask:
    return TaskFactory(status=S.RETRY_WAIT, next_attempt_at=due, **fields)


def test_it_releases_retries_whose_time_has_come_and_records_the_transition():
    due = waiting(NOW - timedelta(seconds=1))
    not_yet = waiting(NOW + timedelta(seconds=1))

    assert tasks_release_due_retries(now=NOW) == 1

    assert (reloaded(due).status, reloaded(not_yet).status) == (S.PENDING, S.RETRY_WAIT)
    transition = TaskTransition.objects.get(task=due)
    assert (transition.from_status, transition.to_status) == (S.RETRY_WAIT, S.PENDING)


def test_it_keeps_retries_of_paused_accounts_waiting_also_via_the_default_account():
    account = XAccountFactory(paused=True)
    own = waiting(NOW, account=account)
    by_default = waiting(NOW, account=None, project=ProjectRowFactory())
    other = waiting(NOW, account=XAccountFactory(handle="brand", is_default=False))

    assert tasks_release_due_retries(now=NOW) == 1

    assert [reloaded(t).status for t in (own, by_default, other)] == [
        S.RETRY_WAIT,
        S.RETRY_WAIT,
        S.PENDING,
    ]


# pausing and resuming


def test_pausing_twice_keeps_the_first_reason():
    account = XAccountFactory()

    assert account_pause(account=account, reason="401 from X", actor="dispatcher") is True
    assert account_pause(account=account, reason="by hand", actor="admin") is False

    account.refresh_from_db()
    assert account.paused_reason == "401 from X"


def test_resuming_leaves_a_rate_limit_wait_alone():
    account = XAccountFactory(paused=True)
    reset = NOW + timedelta(minutes=10)
    rate_limited = waiting(reset, account=account, error_class="rate_limit")

    account_resume(account=account, actor="admin")

    account.refresh_from_db()
    assert (account.paused, account.paused_reason, account.paused_at) == (False, "", None)
    assert reloaded(rate_limited).next_attempt_at == reset
