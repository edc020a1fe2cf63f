"""`db health`: what an operator checks before trusting the database."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from database.models import Backup
from database.services import postgres
from database.services.backups import backup_dir
from database.services.maintenance import database_size
from publishing.models import PublishingTask
from security.queue_allowlist import func_is_allowed

# The backup schedule is daily: a newest backup older than this means one was missed.
BACKUP_MAX_AGE = timedelta(hours=26)
MIN_FREE_BYTES = 1024**3


def database_health(*, now: datetime | None = None) -> dict:
    """Facts and problems; `ok` is False when any problem was found."""
    now = now or timezone.now()
    problems: list[str] = []
    report = {
        "engine": connection.vendor,
        "size_bytes": database_size(),
        **_engine_facts(problems),
        "tasks": _task_counts(),
        "queue_depth": OrmQ.objects.count(),
        "last_backup": _last_backup(now, problems),
        "disk_free_bytes": _disk_free(problems),
        "unsafe_schedules": _unsafe_schedules(problems),
    }
    return {**report, "problems": problems, "ok": not problems}


def _engine_facts(problems: list[str]) -> dict:
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            connections = cursor.fetchone()[0]
            server = postgres.server_major(connection)
            tools = postgres.tools_problems(server)
            problems.extend(tools)
            return {"connections": connections, "server_major": server, "pg_tools_ok": not tools}
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA quick_check")
        check = [row[0] for row in cursor.fetchall()]
        cursor.execute("PRAGMA freelist_count")
        free_pages = cursor.fetchone()[0]
    if check != ["ok"]:
        problems.append(f"SQLite quick_check: {'; '.join(check[:5])}")
    if journal.lower() not in ("wal", "memory"):
        problems.append(f"SQLite journal mode is {journal}, not WAL.")
    return {"journal_mode": journal, "quick_check": check[0], "free_pages": free_pages}


def _task_counts() -> dict[str, int]:
    rows = PublishingTask.objects.order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def _last_backup(now: datetime, problems: list[str]) -> dict | None:
    backup = Backup.objects.order_by("-taken_at").first()
    if backup is None:
        problems.append("No backup has been taken (manage.py db backup).")
        return None
    age = now - backup.taken_at
    if age > BACKUP_MAX_AGE:
        problems.append(f"The newest backup, {backup.name}, is {age.days} day(s) old.")
    if not backup.verified:
        problems.append(f"The newest backup, {backup.name}, failed verification.")
    return {"name": backup.name, "age_hours": round(age.total_seconds() / 3600, 1)}


def _disk_free(problems: list[str]) -> int:
    free = shutil.disk_usage(backup_dir()).free
    if free < MIN_FREE_BYTES:
        problems.append(f"Only {free // 1024**2} MB free where backups are written.")
    return free


def _unsafe_schedules(problems: list[str]) -> list[str]:
    unsafe = [s.name or str(s.pk) for s in Schedule.objects.all() if not func_is_allowed(s.func)]
    if unsafe:
        problems.append(f"Schedules naming functions not on Q_FUNC_ALLOWLIST: {unsafe}")
    return unsafe
