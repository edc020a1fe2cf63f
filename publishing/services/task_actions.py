"""What an operator does to tasks (admin, commands, later the API): cancel, retry,
reschedule, publish now. Each is a checked transition with the operator as actor."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from publishing.models import PublishingTask
from publishing.services.transitions import ALLOWED, task_transition
from publishing.textcount import normalize, weighted_length
from publishing.threadsplit import MAX_TEXT_WEIGHT

S = PublishingTask.Status
# Statuses an operator may send back to the queue: nothing was sent, or X said no.
RETRYABLE = (S.FAILED, S.NEEDS_REVIEW, S.MISSED, S.INVALID, S.CANCELLED)
# Statuses whose text may still change: nothing has gone to X for them.
EDITABLE = (S.PENDING, S.QUEUED, S.RETRY_WAIT, S.NEEDS_REVIEW, S.INVALID, S.MISSED, S.FAILED)


def task_cancel(*, task: PublishingTask, actor: str, reason: str = "cancelled by an operator"):
    if S.CANCELLED not in ALLOWED[task.status]:
        raise ValidationError(f"Task {task.pk} is {task.status}: it cannot be cancelled.")
    if not task_transition(task=task, to=S.CANCELLED, actor=actor, reason=reason):
        raise ValidationError(f"Task {task.pk} changed meanwhile; reload and try again.")


def task_retry(*, task: PublishingTask, actor: str, when: datetime | None = None) -> None:
    """Queue a failed, reviewed, missed, invalid or cancelled task again."""
    if task.status not in RETRYABLE:
        raise ValidationError(f"Task {task.pk} is {task.status}: only {_names(RETRYABLE)} retry.")
    when = max(when or timezone.now(), timezone.now()) if task.scheduled_at else timezone.now()
    fields = {"scheduled_at": when, "last_error": "", "error_class": "", "next_attempt_at": None}
    if not task_transition(task=task, to=S.PENDING, actor=actor, reason="retry", **fields):
        raise ValidationError(f"Task {task.pk} changed meanwhile; reload and try again.")


def task_reschedule(*, task: PublishingTask, when: datetime, actor: str) -> None:
    if task.status not in (S.PENDING, S.QUEUED):
        raise ValidationError(f"Task {task.pk} is {task.status}: only waiting tasks move.")
    changed = PublishingTask.objects.filter(pk=task.pk, status=task.status).update(
        scheduled_at=when, updated=timezone.now()
    )
    if not changed:
        raise ValidationError(f"Task {task.pk} changed meanwhile; reload and try again.")
    task.scheduled_at = when


def task_publish_now(*, task: PublishingTask, actor: str) -> None:
    """Make a waiting task due at once (the dispatcher sends it on its next pass)."""
    if task.project.requires_approval and task.approved_at is None:
        # Due or not, the dispatcher would leave it waiting: say so instead.
        raise ValidationError(f"Task {task.pk} awaits approval: approve it first.")
    if task.status in RETRYABLE:
        task_retry(task=task, actor=actor)
    else:
        task_reschedule(task=task, when=timezone.now(), actor=actor)


def _names(statuses) -> str:
    return ", ".join(str(s) for s in statuses)


def task_approve(*, task: PublishingTask, actor: str) -> None:
    """Let a task of a project that requires approval be published."""
    if task.status not in (S.PENDING, S.QUEUED, S.RETRY_WAIT, S.NEEDS_REVIEW):
        raise ValidationError(f"Task {task.pk} is {task.status}: nothing to approve.")
    now = timezone.now()
    changed = PublishingTask.objects.filter(pk=task.pk, status=task.status).update(
        approved_at=now, approved_by=actor, updated=now
    )
    if not changed:
        raise ValidationError(f"Task {task.pk} changed meanwhile; reload and try again.")
    task.approved_at, task.approved_by = now, actor
    if task.status == S.NEEDS_REVIEW:
        task_retry(task=task, actor=actor)


def task_text_check(*, task: PublishingTask, text: str) -> str:
    """The text as it would be saved for `task` (normalised); ValidationError when it
    cannot be: the task has gone out, or the text is empty or over the limit."""
    if task.status not in EDITABLE:
        raise ValidationError(f"Task {task.pk} is {task.status}: its text can no longer change.")
    if task.pk and task.thread_parts.exclude(post_id="").exists():
        raise ValidationError(f"Task {task.pk} is a thread with parts on X: its text is fixed.")
    text = normalize(text).strip()
    limit = task.account.char_limit if task.account else 280
    if task.project.thread_mode:
        limit = max(limit, MAX_TEXT_WEIGHT)  # a longer text goes out as a thread
    length = weighted_length(text)
    if not text or length > limit:
        raise ValidationError(f"The text weighs {length} characters; the limit is {limit}.")
    return text


def task_edit_text(*, task: PublishingTask, text: str, actor: str) -> None:
    """Replace a waiting task's text; a rescan will not overwrite it afterwards."""
    text = task_text_check(task=task, text=text)
    length = weighted_length(text)
    changed = PublishingTask.objects.filter(pk=task.pk, status=task.status).update(
        text=text, weighted_length=length, text_origin="edited", text_note=f"edited by {actor}"
    )
    if not changed:
        raise ValidationError(f"Task {task.pk} changed meanwhile; reload and try again.")
    task.text, task.weighted_length, task.text_origin = text, length, "edited"
