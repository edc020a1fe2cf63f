"""Reads for publishing."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min, Q, QuerySet

from publishing.models import PublishingTask

S = PublishingTask.Status


def tasks_due(
    *,
    now: datetime,
    limit: int,
    ignore_schedule: bool = False,
    project_id: int | None = None,
    lock: bool = False,
) -> list[PublishingTask]:
    """Pending tasks whose time has come, highest priority first, skipping paused
    projects and accounts. With `lock`, the rows are locked for the caller's
    transaction, and rows another transaction holds are skipped (PostgreSQL)."""
    qs = (
        PublishingTask.objects.filter(status=S.PENDING, project__paused=False)
        .filter(Q(project__requires_approval=False) | Q(approved_at__isnull=False))
        .exclude(account__paused=True)
    )
    if not ignore_schedule:
        qs = qs.filter(scheduled_at__lte=now)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if lock:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    qs = qs.select_related("project", "account", "source")
    return list(qs.order_by("-priority", "scheduled_at", "id")[:limit])


def tasks_in_flight(*, account_id: int) -> int:
    return PublishingTask.objects.filter(account_id=account_id, status=S.PUBLISHING).count()


def tasks_unknown_exist() -> bool:
    return PublishingTask.objects.filter(status=S.UNKNOWN).exists()


def next_wakeup(*, now: datetime) -> datetime | None:
    """The earliest time something becomes due: a scheduled task or a retry."""
    found = PublishingTask.objects.filter(
        Q(status=S.PENDING, scheduled_at__gt=now) | Q(status=S.RETRY_WAIT)
    ).aggregate(
        scheduled=Min("scheduled_at", filter=Q(status=S.PENDING)),
        retry=Min("next_attempt_at", filter=Q(status=S.RETRY_WAIT)),
    )
    times = [t for t in found.values() if t is not None]
    return min(times) if times else None


def task_list(
    *, project_id: int | None = None, status: str | None = None
) -> QuerySet[PublishingTask]:
    qs = PublishingTask.objects.select_related("project", "account").order_by("scheduled_at", "id")
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if status:
        qs = qs.filter(status=status)
    return qs
