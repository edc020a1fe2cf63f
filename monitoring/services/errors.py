"""The error center: publishing's failed attempts, grouped by error class.

Monitoring pulls from publishing's logs (publishing never calls monitoring): each pass
counts the failure logs after the highest id already counted."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Max

from monitoring.models import ErrorGroup
from publishing.models import PublishingLog
from publishing.xclient import ErrorClass

EXAMPLES = 5
BATCH = 5000
Status = ErrorGroup.Status


def error_groups_ingest(*, now: datetime, batches: int = 10) -> int:
    """Count new failure logs into their groups; returns how many were counted."""
    counted = 0
    for _ in range(batches):
        logs = _new_failures()
        if not logs:
            break
        by_class = defaultdict(list)
        for log in logs:
            by_class[_error_class(log["error_class"])].append(log)
        with transaction.atomic():
            for error_class, group_logs in by_class.items():
                _count(error_class, group_logs)
        counted += len(logs)
    return counted


def _new_failures() -> list[dict]:
    cursor = ErrorGroup.objects.aggregate(last=Max("last_log_id"))["last"] or 0
    failures = (
        PublishingLog.objects.filter(id__gt=cursor)
        .exclude(status=PublishingLog.Outcome.SUCCESS)
        .order_by("id")
    )
    fields = ("id", "task_id", "status", "error", "error_class", "http_status", "created")
    return list(failures.values(*fields)[:BATCH])


def _error_class(value: str) -> str:
    return value if value in ErrorClass.values else ErrorClass.UNKNOWN


def _count(error_class: str, logs: list[dict]) -> None:
    first, last = logs[0], logs[-1]
    group, _ = ErrorGroup.objects.select_for_update().get_or_create(
        error_class=error_class,
        defaults={"first_seen": first["created"], "last_seen": last["created"]},
    )
    group.count += len(logs)
    group.last_seen = max(group.last_seen, last["created"])
    group.last_log_id = max(group.last_log_id, last["id"])
    recent = [_example(log) for log in reversed(logs[-EXAMPLES:])]
    group.examples = (recent + list(group.examples))[:EXAMPLES]
    if group.status == Status.RESOLVED:
        # It was fixed, and it is back.
        group.status, group.resolved_at, group.resolved_by = Status.OPEN, None, ""
    group.save()


def _example(log: dict) -> dict:
    return {
        "log_id": log["id"],
        "task_id": log["task_id"],
        "at": log["created"].isoformat(),
        "outcome": log["status"],
        "http_status": log["http_status"],
        "error": log["error"][:300],
    }


def error_group_acknowledge(*, group: ErrorGroup, user: str, now: datetime) -> bool:
    """Someone is on it. False unless the group was open."""
    return bool(
        ErrorGroup.objects.filter(pk=group.pk, status=Status.OPEN).update(
            status=Status.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=now
        )
    )


def error_group_resolve(*, group: ErrorGroup, user: str, now: datetime) -> bool:
    """Fixed: the group stays quiet until a new failure of its class re-opens it."""
    return bool(
        ErrorGroup.objects.exclude(status=Status.RESOLVED)
        .filter(pk=group.pk)
        .update(status=Status.RESOLVED, resolved_by=user, resolved_at=now)
    )
