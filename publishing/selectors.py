"""Reads for publishing."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from publishing.models import PublishingTask


def tasks_due(
    *, now: datetime, limit: int, ignore_schedule: bool = False, project_id: int | None = None
) -> list[PublishingTask]:
    """Pending tasks of enabled projects whose time has come, highest priority first."""
    qs = PublishingTask.objects.filter(
        status=PublishingTask.Status.PENDING, project__enabled=True
    ).select_related("project", "account")
    if not ignore_schedule:
        qs = qs.filter(scheduled_at__lte=now)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return list(qs.order_by("-priority", "scheduled_at", "id")[:limit])


def task_list(
    *, project_id: int | None = None, status: str | None = None
) -> QuerySet[PublishingTask]:
    qs = PublishingTask.objects.select_related("project", "account").order_by("scheduled_at", "id")
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if status:
        qs = qs.filter(status=status)
    return qs
