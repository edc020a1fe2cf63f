"""The task state machine: which status may follow which, enforced by compare-and-set."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from publishing.models import PublishingTask, TaskTransition

S = PublishingTask.Status

ALLOWED: dict[str, frozenset[str]] = {
    # pending, queued and retry_wait may become unknown after a database restore: the
    # restored row may predate a send that happened after the backup.
    S.PENDING: frozenset(
        {S.QUEUED, S.PUBLISHING, S.CANCELLED, S.INVALID, S.MISSED, S.NEEDS_REVIEW, S.UNKNOWN}
    ),
    S.QUEUED: frozenset({S.PENDING, S.PUBLISHING, S.CANCELLED, S.MISSED, S.UNKNOWN}),
    S.PUBLISHING: frozenset(
        {S.PUBLISHED, S.FAILED, S.RETRY_WAIT, S.UNKNOWN, S.NEEDS_REVIEW, S.INVALID}
    ),
    S.RETRY_WAIT: frozenset({S.PENDING, S.QUEUED, S.PUBLISHING, S.CANCELLED, S.UNKNOWN}),
    # An unknown outcome is settled by reconciliation: found on X, or safe to resend.
    # Not cancellable: the post may be on X, and a cancelled task can be queued again.
    S.UNKNOWN: frozenset({S.PUBLISHED, S.PENDING, S.FAILED}),
    S.NEEDS_REVIEW: frozenset({S.PENDING, S.CANCELLED, S.INVALID}),
    S.FAILED: frozenset({S.PENDING, S.CANCELLED, S.INVALID}),
    S.MISSED: frozenset({S.PENDING, S.CANCELLED}),
    S.INVALID: frozenset({S.PENDING, S.CANCELLED}),
    S.CANCELLED: frozenset({S.PENDING, S.INVALID}),
    # Published is final: nothing may make the publisher post it again.
    S.PUBLISHED: frozenset(),
}


class TransitionError(Exception):
    pass


def check_transition(from_status: str, to_status: str) -> None:
    if to_status not in ALLOWED[from_status]:
        raise TransitionError(f"A task cannot go from {from_status} to {to_status}.")


def task_transition(
    *, task: PublishingTask, to: str, actor: str, reason: str = "", **fields
) -> bool:
    """Move `task` from the status it holds in memory to `to`, if nobody moved it first.

    Returns False when the row is no longer in that status (another worker or an
    operator won the race); raises TransitionError for a move the machine forbids.
    On success the in-memory task carries the new values."""
    check_transition(task.status, to)
    now = timezone.now()
    with transaction.atomic():
        changed = PublishingTask.objects.filter(pk=task.pk, status=task.status).update(
            status=to, updated=now, **fields
        )
        if changed != 1:
            return False
        TaskTransition.objects.create(
            task_id=task.pk, from_status=task.status, to_status=to, actor=actor, reason=reason
        )
    task.status = to
    for name, value in fields.items():
        setattr(task, name, value)
    return True
