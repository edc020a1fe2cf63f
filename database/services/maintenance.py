"""Database care: set up, clean old records, optimize. Cleaning removes only what is
finished: never a task that is waiting, in flight or unknown, nor its history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_q.models import Task as QTask

from database.models import Backup
from database.services.backups import backup_create, backups_index
from database.services.common import Progress, no_progress
from database.services.schedules import database_schedules_ensure
from projects.models import ScanReport
from publishing.models import PublishingLog, PublishingTask, TaskTransition
from publishing.services.reconcile import publisher_state
from publishing.services.schedules import schedules_ensure

S = PublishingTask.Status
# A task in one of these states will never be sent again: its history may go.
FINISHED = (S.PUBLISHED, S.CANCELLED, S.FAILED, S.MISSED, S.INVALID)
DELETE_BATCH = 5000


@dataclass
class InitReport:
    migrated: bool = True
    reset: bool = False
    safety_backup: str = ""
    schedules_created: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def database_init(*, force_reset: bool = False, progress: Progress = no_progress) -> InitReport:
    """Migrate, create the publisher's state row and the schedules. `force_reset` first
    takes a safety backup, then empties every table."""
    report = InitReport(reset=force_reset)
    call_command("migrate", verbosity=0, interactive=False)
    if force_reset:
        report.safety_backup = backup_create(kind=Backup.Kind.SAFETY, progress=progress).name
        call_command("flush", verbosity=0, interactive=False)
        backups_index()
    publisher_state()
    report.schedules_created = schedules_ensure() + database_schedules_ensure()
    return report


def database_clean(
    *, days: int, tasks: bool, logs: bool, now: datetime | None = None, progress=no_progress
) -> dict[str, int]:
    """Delete records older than `days`: django-q2's results of finished queue tasks
    (`tasks`), and publishing logs, task transitions and scan reports of finished
    publishing tasks (`logs`). Returns rows deleted per kind."""
    if days < 1:
        raise ValueError("--days must be at least 1.")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    report: dict[str, int] = {}
    if tasks:
        # Success and Failure rows only: the queue itself (OrmQ) is never touched.
        report["queue_results"] = _delete(QTask.objects.filter(stopped__lt=cutoff), progress)
    if logs:
        finished = {"task__status__in": FINISHED, "created__lt": cutoff}
        report["publishing_logs"] = _delete(PublishingLog.objects.filter(**finished), progress)
        report["task_transitions"] = _delete(TaskTransition.objects.filter(**finished), progress)
        report["scan_reports"] = _delete(ScanReport.objects.filter(started__lt=cutoff), progress)
    return report


def _delete(queryset, progress: Progress) -> int:
    """In batches, so a large clean never holds the write lock for long."""
    label, total = queryset.model._meta.label, queryset.count()
    done = 0
    while pks := list(queryset.values_list("pk", flat=True)[:DELETE_BATCH]):
        queryset.model.objects.filter(pk__in=pks).delete()
        done += len(pks)
        progress(f"clean {label}", done, total)
    return done


def database_optimize(*, progress: Progress = no_progress) -> dict:
    """Refresh the planner's statistics and give free pages back to the disk."""
    before = database_size()
    statements = _optimize_statements(connection.vendor)
    for n, statement in enumerate(statements, 1):
        with connection.cursor() as cursor:
            cursor.execute(statement)
        progress("optimize", n, len(statements))
    return {"size_before": before, "size_after": database_size(), "ran": statements}


def _optimize_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return ["ANALYZE", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA optimize"]
    return ["VACUUM (ANALYZE)"]


def database_size() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        else:
            cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])
