"""Error policies: what a failed send leads to, backoff with full jitter, releasing
retries whose time has come, and pausing an account whose credentials X refuses.

The table of outcomes is in docs/reliability.md, "Errors and retries"."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from configuration.selectors import config_retry_policy
from publishing.models import PublishingLog, PublishingTask, XAccount
from publishing.services.accounts import account_for_project, task_account
from publishing.services.budget import budget_record_refusal, refusal_reset_at
from publishing.services.transitions import task_transition
from publishing.xclient import ErrorClass, RateLimit, XError

logger = logging.getLogger(__name__)
S = PublishingTask.Status
# Added to x-rate-limit-reset: X's clock and ours may differ by a fraction of a second,
# and a request sent a moment early is refused again.
RESET_MARGIN = timedelta(seconds=1)
_rng = random.Random()


def retry_policy(error_class: str) -> dict[str, int]:
    """The class's policy from the runtime configuration (publishing.retry); its default
    is settings.PUBLISH_RETRY_POLICIES, the "unknown" policy for a class it lacks."""
    return config_retry_policy(error_class)


def backoff_delay(*, error_class: str, attempt: int, rng: random.Random | None = None) -> timedelta:
    """Full jitter, uniform(0, min(cap, base * 2**(attempt-1))) seconds: spreading the
    retries over the whole window keeps workers that failed together from retrying in step."""
    policy = retry_policy(error_class)
    exponent = min(max(attempt, 1) - 1, 32)  # the cap has long won by then
    ceiling = min(policy["cap"], policy["base"] * 2**exponent)
    return timedelta(seconds=(rng or _rng).uniform(0, ceiling))


@dataclass(frozen=True)
class _Outcome:
    status: str
    reason: str
    fields: dict = field(default_factory=dict)


def task_fail(
    *,
    task: PublishingTask,
    error: XError,
    now: datetime,
    execution_time: float,
    actor: str = "dispatcher",
) -> str:
    """Settle a claimed (publishing) task whose send failed, log the attempt, and
    return the status the task ends in."""
    outcome = _outcome(task=task, error=error, now=now, actor=actor)
    with transaction.atomic():
        moved = task_transition(
            task=task,
            to=outcome.status,
            actor=actor,
            reason=outcome.reason,
            last_error=outcome.reason,
            error_class=error.error_class,
            lease_expires_at=None,
            **outcome.fields,
        )
        _log_attempt(task, error, execution_time)
    return outcome.status if moved else _lost_race(task)


def _outcome(*, task: PublishingTask, error: XError, now: datetime, actor: str) -> _Outcome:
    """Decide what follows the failure; pausing an account or marking a bucket empty
    happens here too, since they are facts about X whatever becomes of the task."""
    if error.ambiguous:
        return _Outcome(S.UNKNOWN, f"{error} (outcome unknown: reconciliation decides)")
    if error.error_class == ErrorClass.CONTENT:
        return _Outcome(S.NEEDS_REVIEW, f"{error} (X refused the content: a person must look)")
    if error.error_class == ErrorClass.AUTH:
        return _auth_outcome(task=task, error=error, now=now, actor=actor)
    return _retry_or_give_up(task, error, _retry_at(task, error, now))


def _retry_at(task: PublishingTask, error: XError, now: datetime) -> datetime:
    if error.error_class == ErrorClass.RATE_LIMIT:
        reset_at = _rate_limit_reset(task, error, now)
        if reset_at is not None:
            return reset_at
    return now + backoff_delay(error_class=error.error_class, attempt=task.attempts)


def _rate_limit_reset(task: PublishingTask, error: XError, now: datetime) -> datetime | None:
    # A 429 carries no Retry-After: the headers' reset is the only honest wait.
    rate_limit = error.rate_limit or RateLimit()
    account = task_account(task)
    if account is not None:
        budget_record_refusal(account=account, rate_limit=rate_limit, now=now)
    reset_at = refusal_reset_at(rate_limit=rate_limit)
    # A reset already past means the clocks disagree: back off rather than hammer.
    return reset_at + RESET_MARGIN if reset_at is not None and reset_at > now else None


def _retry_or_give_up(task: PublishingTask, error: XError, retry_at: datetime) -> _Outcome:
    limit = retry_policy(error.error_class)["max_attempts"]
    if task.attempts >= limit:
        return _Outcome(S.FAILED, f"gave up after {task.attempts} attempts: {error}")
    note = f"attempt {task.attempts} of {limit}; retry after {_utc(retry_at)}"
    return _Outcome(S.RETRY_WAIT, f"{error} ({note})", {"next_attempt_at": retry_at})


def _auth_outcome(*, task: PublishingTask, error: XError, now: datetime, actor: str) -> _Outcome:
    if error.http_status == 403:
        # X's other 403s (not duplicates): this app or account may not do this, e.g. a
        # reply X no longer allows. Retrying will not help; pausing would stop good posts.
        return _Outcome(S.NEEDS_REVIEW, f"{error} (X does not allow this post: a person must look)")
    # Refused credentials say nothing about the post: the attempt does not count.
    uncounted = {"attempts": max(task.attempts - 1, 0)}
    account = task_account(task)
    if account is None:
        retry_at = now + backoff_delay(error_class=ErrorClass.AUTH, attempt=1)
        note = f"no account to pause; retry after {_utc(retry_at)}"
        return _Outcome(
            S.RETRY_WAIT, f"{error} ({note})", {"next_attempt_at": retry_at, **uncounted}
        )
    if error.http_status == 401 and account_pause(account=account, reason=str(error), actor=actor):
        logger.error("X refused the credentials of @%s; account paused: %s", account.handle, error)
    # Due at once, but released only when the account is resumed.
    note = f"waits for @{account.handle} to be resumed"
    return _Outcome(S.RETRY_WAIT, f"{error} ({note})", {"next_attempt_at": now, **uncounted})


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _log_attempt(task: PublishingTask, error: XError, execution_time: float) -> None:
    Outcome = PublishingLog.Outcome
    PublishingLog.objects.create(
        task=task,
        status=Outcome.UNKNOWN if error.ambiguous else Outcome.FAILURE,
        error=str(error),
        error_class=error.error_class,
        http_status=error.http_status,
        execution_time=execution_time,
    )


def _lost_race(task: PublishingTask) -> str:
    # The lease expired and someone else (the sweep, an operator) moved the task first:
    # their decision stands.
    task.refresh_from_db(fields=["status"])
    logger.warning("Task %s was already %s when its failure came back", task.pk, task.status)
    return task.status


def tasks_release_due_retries(*, now: datetime) -> int:
    """Move retry_wait tasks whose next_attempt_at has come back to pending, except
    those of a paused account (account_resume lets them go). Returns how many moved."""
    due = list(
        PublishingTask.objects.filter(status=S.RETRY_WAIT, next_attempt_at__lte=now)
        .exclude(account__paused=True)
        .select_related("project")
    )
    held = _projects_on_paused_fallback(due)
    with transaction.atomic():
        moved = [
            task_transition(task=task, to=S.PENDING, actor="dispatcher", reason="retry is due")
            for task in due
            if task.account_id is not None or task.project_id not in held
        ]
    return sum(moved)


def _projects_on_paused_fallback(tasks: list[PublishingTask]) -> set[int]:
    """Projects of account-less tasks whose fallback account (account_for_project) is paused."""
    projects = {task.project_id: task.project for task in tasks if task.account_id is None}
    return {pk for pk, project in projects.items() if _is_paused(account_for_project(project))}


def _is_paused(account: XAccount | None) -> bool:
    return account is not None and account.paused


def account_pause(*, account: XAccount, reason: str, actor: str) -> bool:
    """Stop publishing through `account`. False if it was paused already: the first
    reason stays, since it is the one that explains the pause."""
    now = timezone.now()
    changed = XAccount.objects.filter(pk=account.pk, paused=False).update(
        paused=True, paused_reason=reason, paused_at=now
    )
    if changed:
        account.paused, account.paused_reason, account.paused_at = True, reason, now
        logger.warning("Account @%s paused by %s: %s", account.handle, actor, reason)
    return bool(changed)


def account_resume(*, account: XAccount, actor: str) -> int:
    """Publish through `account` again. Its tasks held by the pause are due now (none is
    made later than it was); tasks waiting for a rate-limit reset or a backoff keep their
    time. Returns how many tasks the pause was holding."""
    now = timezone.now()
    XAccount.objects.filter(pk=account.pk).update(paused=False, paused_reason="", paused_at=None)
    account.paused, account.paused_reason, account.paused_at = False, "", None
    held = PublishingTask.objects.filter(
        account=account, status=S.RETRY_WAIT, error_class=ErrorClass.AUTH
    )
    held.filter(next_attempt_at__gt=now).update(next_attempt_at=now, updated=now)
    count = held.count()
    logger.warning("Account @%s resumed by %s; %s tasks due again", account.handle, actor, count)
    return count
