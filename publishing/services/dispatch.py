"""Publishing due tasks: claim one by compare-and-set, upload its media, create the
post, and record the post id the moment X answers.

Issue [2 of 5] adds retries, rate budgets and reconciliation; here a failure is
recorded with its error class and the task is not retried blindly."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from projects.paths import PathNotAllowed, resolve_inside
from publishing import selectors
from publishing.models import PublishingLog, PublishingTask
from publishing.scheduling import lateness_status
from publishing.services.accounts import account_client, account_for_project
from publishing.services.transitions import task_transition
from publishing.xclient import ErrorClass, XClient, XError

logger = logging.getLogger(__name__)
S = PublishingTask.Status


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DispatchReport:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    unknown: int = 0
    missed: int = 0
    results: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def dispatch_once(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    ignore_schedule: bool = False,
    project_id: int | None = None,
) -> DispatchReport:
    """One pass: publish every due task (at most `limit`), highest priority first."""
    now = now or timezone.now()
    report = DispatchReport()
    candidates = selectors.tasks_due(
        now=now,
        limit=limit or settings.DISPATCH_BATCH_SIZE,
        ignore_schedule=ignore_schedule,
        project_id=project_id,
    )
    clients: dict[int, XClient] = {}  # one keep-alive connection per account per pass
    for task in candidates:
        if not ignore_schedule and _handle_missed(task, now, report):
            continue
        if task_claim(task=task, worker=worker_id(), now=timezone.now()):
            report.claimed += 1
            _record(report, task, task_publish(task=task, clients=clients))
    return report


def _handle_missed(task: PublishingTask, now: datetime, report: DispatchReport) -> bool:
    project = task.project
    verdict = lateness_status(
        task.scheduled_at,
        now,
        timedelta(minutes=project.missed_after_minutes),
        project.missed_policy,
    )
    if verdict != "missed":
        return False
    late = int((now - task.scheduled_at).total_seconds() // 60)
    if task_transition(
        task=task,
        to=S.MISSED,
        actor="dispatcher",
        reason=f"{late} minutes late; the project's policy skips late posts.",
    ):
        report.missed += 1
    return True


def _record(report: DispatchReport, task: PublishingTask, outcome: str) -> None:
    counter = {S.PUBLISHED: "published", S.UNKNOWN: "unknown"}.get(outcome, "failed")
    setattr(report, counter, getattr(report, counter) + 1)
    report.results.append(
        {"task": task.pk, "status": outcome, "post_id": task.post_id, "error": task.last_error}
    )


def task_claim(*, task: PublishingTask, worker: str, now: datetime) -> bool:
    """Take the task for this worker; False if another worker took it first."""
    return task_transition(
        task=task,
        to=S.PUBLISHING,
        actor=f"dispatcher:{worker}",
        reason="claimed",
        claimed_by=worker,
        claimed_at=now,
        lease_expires_at=now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS),
        attempts=task.attempts + 1,
    )


def task_publish(*, task: PublishingTask, clients: dict[int, XClient] | None = None) -> str:
    """Send a claimed task to X; returns the status it ends in."""
    started = time.monotonic()
    try:
        post_id = _send(task, {} if clients is None else clients)
    except XError as exc:
        return _fail(task, exc, started)
    except Exception as exc:  # a bug must leave a trace on the task, not vanish
        logger.exception("Unexpected error publishing task %s", task.pk)
        error = XError(f"Internal error: {exc!r}", error_class=ErrorClass.SYSTEM)
        return _fail(task, error, started)
    _mark_published(task, post_id, started)
    return S.PUBLISHED


def _send(task: PublishingTask, clients: dict[int, XClient]) -> str:
    account = task.account or account_for_project(task.project)
    if account is None:
        raise XError("No X account: add one with `manage.py account add`.", error_class="auth")
    if account.paused:
        raise XError(f"Account @{account.handle} is paused.", error_class="auth")
    if account.pk not in clients:
        clients[account.pk] = account_client(account)
    client = clients[account.pk]
    media_ids = [client.upload_media(path) for path in _media_files(task)]
    created = client.create_post(
        task.text, media_ids=media_ids, made_with_ai=task.project.made_with_ai
    )
    return created.id


def _media_files(task: PublishingTask):
    base = task.project.path
    for relative in task.media_paths:
        try:
            path = resolve_inside(base, relative)
        except (PathNotAllowed, OSError) as exc:
            raise XError(str(exc), error_class=ErrorClass.MEDIA) from exc
        if not path.is_file():
            raise XError(f"Media file {relative} is missing.", error_class=ErrorClass.MEDIA)
        yield path


def _mark_published(task: PublishingTask, post_id: str, started: float) -> None:
    # The post exists on X now: commit its id before anything else can fail.
    with transaction.atomic():
        task_transition(
            task=task,
            to=S.PUBLISHED,
            actor="dispatcher",
            reason=f"X created post {post_id}",
            post_id=post_id,
            published_at=timezone.now(),
            last_error="",
            error_class="",
            lease_expires_at=None,
        )
        PublishingLog.objects.create(
            task=task,
            status=PublishingLog.Outcome.SUCCESS,
            post_id=post_id,
            execution_time=time.monotonic() - started,
        )


def _fail(task: PublishingTask, exc: XError, started: float) -> str:
    to = S.UNKNOWN if exc.ambiguous else S.FAILED
    with transaction.atomic():
        task_transition(
            task=task,
            to=to,
            actor="dispatcher",
            reason=str(exc),
            last_error=str(exc),
            error_class=exc.error_class,
            lease_expires_at=None,
        )
        PublishingLog.objects.create(
            task=task,
            status=PublishingLog.Outcome.UNKNOWN
            if exc.ambiguous
            else PublishingLog.Outcome.FAILURE,
            error=str(exc),
            error_class=exc.error_class,
            http_status=exc.http_status,
            execution_time=time.monotonic() - started,
        )
    logger.warning("Task %s %s: %s", task.pk, to, exc)
    return to
