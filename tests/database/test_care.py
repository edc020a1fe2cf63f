"""db init, clean, health, optimize, the backup schedule and its retention."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.models import Task as QTask

from database import tasks
from database.models import Backup
from database.services.backups import backup_create
from database.services.health import database_health
from database.services.maintenance import (
    _optimize_statements,
    database_clean,
    database_init,
    database_optimize,
)
from database.services.retention import backups_prune, retention_keep
from database.services.schedules import BACKUP_FUNC, BACKUP_SCHEDULE, next_backup_time
from publishing.models import PublishingLog, PublishingTask, TaskTransition
from security.queue_allowlist import func_is_allowed
from tests.fixtures.publishing import TaskFactory

S = PublishingTask.Status
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return NOW - timedelta(days=days)


# --- retention ------------------------------------------------------------------------


def test_retention_keeps_the_newest_of_each_recent_day_and_week():
    # A backup every 12 hours for 40 days, newest first; NOW is a Sunday noon.
    backups = [(n, at(n / 2)) for n in range(80)]

    keep = retention_keep(backups, daily=7, weekly=4)

    # Noon of each of the last 7 days, then the Sundays' noon of the 3 weeks before.
    assert keep == {0, 2, 4, 6, 8, 10, 12} | {14, 28, 42}


def test_retention_with_nothing_to_keep_keeps_nothing():
    assert retention_keep([(1, NOW)], daily=0, weekly=0) == set()


@pytest.mark.django_db(transaction=True)
def test_pruning_removes_old_scheduled_backups_and_their_files_only(backup_dir, settings):
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY = 1, 0
    old = backup_create(name="old", kind=Backup.Kind.SCHEDULED)
    manual = backup_create(name="manual")
    three_days_ago = timezone.now() - timedelta(days=3)
    Backup.objects.filter(pk__in=[old.pk, manual.pk]).update(taken_at=three_days_ago)
    new = backup_create(name="new", kind=Backup.Kind.SCHEDULED)

    assert backups_prune() == ["old"]

    assert set(Backup.objects.values_list("name", flat=True)) == {"manual", "new"}
    assert not list(backup_dir.glob("old.*"))
    assert Path(new.path).exists() and Path(manual.path).exists()


@pytest.mark.django_db(transaction=True)
def test_the_workers_daily_backup_is_verified_and_pruned(backup_dir):
    report = tasks.backup_daily()
    backup = Backup.objects.get(name=report["backup"])
    assert (backup.kind, backup.verified, report["pruned"]) == (Backup.Kind.SCHEDULED, True, [])


@pytest.mark.django_db
def test_migrations_create_an_allowlisted_daily_backup_schedule():
    schedule = Schedule.objects.get(name=BACKUP_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        BACKUP_FUNC,
        Schedule.DAILY,
        -1,
    )
    assert func_is_allowed(schedule.func)


def test_the_next_backup_is_at_the_configured_hour():
    assert next_backup_time(NOW, 3) == datetime(2026, 3, 16, 3, tzinfo=UTC)
    assert next_backup_time(NOW, 13) == datetime(2026, 3, 15, 13, tzinfo=UTC)


# --- clean ----------------------------------------------------------------------------


def _aged(model, days: int, **filters) -> None:
    model.objects.filter(**filters).update(created=timezone.now() - timedelta(days=days))


@pytest.mark.django_db
def test_clean_removes_old_history_of_finished_tasks_only():
    rows = {}
    for status in (S.PUBLISHED, S.PENDING, S.UNKNOWN, S.FAILED):
        task = TaskFactory(status=status, post_id="1" if status == S.PUBLISHED else "")
        PublishingLog.objects.create(task=task, status="failure", execution_time=0.1)
        TaskTransition.objects.create(task=task, from_status="x", to_status=status, actor="t")
        rows[status] = task
    _aged(PublishingLog, 40)
    _aged(TaskTransition, 40)
    recent = TaskFactory(status=S.PUBLISHED, post_id="2")
    PublishingLog.objects.create(task=recent, status="success", execution_time=0.1)

    report = database_clean(days=30, tasks=False, logs=True)

    assert (report["publishing_logs"], report["task_transitions"]) == (2, 2)
    kept = set(PublishingLog.objects.values_list("task__status", flat=True))
    assert kept == {S.PENDING, S.UNKNOWN, S.PUBLISHED}  # the published one is recent
    assert PublishingTask.objects.count() == 5  # tasks themselves are never deleted


@pytest.mark.django_db
def test_clean_removes_old_queue_results_but_never_the_queue():
    old = timezone.now() - timedelta(days=40)
    for n, stopped in enumerate((old, old, timezone.now())):
        QTask.objects.create(
            id=f"{n:032d}",
            name=f"t{n}",
            func="publishing.tasks.dispatch_due",
            started=stopped,
            stopped=stopped,
            success=True,
        )
    OrmQ.objects.create(key="twitterpub", payload="queued", lock=None)

    out = StringIO()
    call_command("db", "clean", "--days", "30", "--tasks", "--json", stdout=out)

    assert json.loads(out.getvalue())["deleted"] == {"queue_results": 2}
    assert QTask.objects.count() == 1 and OrmQ.objects.count() == 1


@pytest.mark.django_db
def test_clean_refuses_a_days_value_below_one():
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("db", "clean", "--days", "0")


# --- health, optimize, init -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_health_reports_a_missing_backup_as_a_problem(backup_dir):
    report = database_health()
    assert report["ok"] is False
    assert "No backup has been taken" in report["problems"][0]

    backup_create()

    report = database_health()
    assert report["ok"] is True, report["problems"]
    assert report["last_backup"]["age_hours"] == 0.0


@pytest.mark.django_db(transaction=True)
def test_health_flags_a_stale_backup_and_exits_non_zero(backup_dir):
    backup_create(name="stale")
    Backup.objects.update(taken_at=timezone.now() - timedelta(days=3))
    with pytest.raises(SystemExit) as exit_:
        call_command("db", "health", "--json", stdout=StringIO())
    assert exit_.value.code == 1
    assert "stale, is 3 day(s) old" in database_health()["problems"][0]


@pytest.mark.django_db
def test_health_flags_a_schedule_that_slipped_past_the_allowlist(backup_dir):
    Schedule.objects.bulk_create([Schedule(name="raw", func="os.system")])  # no save()
    assert database_health()["unsafe_schedules"] == ["raw"]


@pytest.mark.django_db(transaction=True)
def test_optimize_gives_free_pages_back_and_refreshes_statistics():
    TaskFactory.create_batch(200, text="x" * 500)
    PublishingTask.objects.all().delete()
    assert _free_or_unvacuumed() > 0

    report = database_optimize()

    assert _free_or_unvacuumed() == 0
    assert report["ran"]


def _free_or_unvacuumed() -> int:
    """SQLite: pages on the free list. PostgreSQL: 1 until the task table was vacuumed."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA freelist_count")
            return cursor.fetchone()[0]
        cursor.execute(
            "SELECT last_vacuum IS NULL FROM pg_stat_user_tables "
            "WHERE relname = 'publishing_publishingtask'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_init_creates_the_schedules_and_a_reset_keeps_a_safety_backup(backup_dir):
    Schedule.objects.all().delete()
    assert set(database_init().schedules_created) == {"publishing.dispatch", BACKUP_SCHEDULE}

    TaskFactory()
    report = database_init(force_reset=True)

    assert not PublishingTask.objects.exists()
    assert Schedule.objects.filter(name=BACKUP_SCHEDULE).exists()
    # The emptied table learns its backups again from the manifests on disk.
    assert Backup.objects.get(name=report.safety_backup).kind == Backup.Kind.SAFETY


def test_a_start_up_check_fails_when_the_allowlist_drops_a_schedule_function(settings):
    from database.checks import schedules_allowlisted

    assert schedules_allowlisted() == []
    settings.Q_FUNC_ALLOWLIST = ["publishing.tasks.*"]
    (error,) = schedules_allowlisted()
    assert (error.id, "database.tasks.backup_daily" in error.msg) == ("database.E001", True)


# --- SQLite settings ------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout(
    tmp_path, monkeypatch, django_db_blocker
):
    from django.db.utils import ConnectionHandler

    from twitterpub.settings.base import database_config

    path = tmp_path / "probe.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    probe = ConnectionHandler({"default": database_config()})["default"]
    with django_db_blocker.unblock():  # a connection of the test's own, not the suite's
        _check_the_probe(probe, path)


def _check_the_probe(probe, path) -> None:
    import sqlite3

    try:
        with probe.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 30_000
        # A transaction takes the write lock when it begins (IMMEDIATE), not at its
        # first write, so two writers wait for each other instead of failing.
        probe._start_transaction_under_autocommit()
        other = sqlite3.connect(path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    finally:
        probe.close()


# --- every command reports --------------------------------------------------------------


def _db(*args) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("db", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return out.getvalue(), err.getvalue(), code


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["init"], "schedules_created"),
        (["clean", "--days", "30"], "deleted"),
        (["health"], "problems"),
        (["optimize"], "size_after"),
        (["backup", "--name", "report"], "verified"),
    ],
)
def test_each_db_command_prints_a_report_for_people_and_json_for_scripts(backup_dir, args, key):
    text, _, _ = _db(*args[:1], *[a.replace("report", "report-text") for a in args[1:]])
    as_json, err, _ = _db(*args, "--json")

    assert f"{key}: " in text
    assert key in json.loads(as_json)
    assert err == ""  # --json: no progress mixed in


@pytest.mark.django_db(transaction=True)
def test_long_work_shows_its_progress_on_stderr(backup_dir):
    _, optimize, _ = _db("optimize")
    _, backup, _ = _db("backup")
    steps = len(_optimize_statements(connection.vendor))
    assert f"optimize: {steps}/{steps}" in optimize
    dumped = "compress: " if connection.vendor == "sqlite" else "pg_dump: 1/1"
    assert dumped in backup
    assert "verify" in backup
