"""Backup benchmark: `.venv/bin/python bench/backup.py [--tasks 1000000] [--database-url URL]`.

Seeds a throwaway database (a SQLite file in a temporary folder, or with --database-url
a new PostgreSQL database on that server, dropped afterwards) with N publishing tasks,
then times `db backup` (snapshot, compression, checksum, verification by a restore into
a scratch database with row counts compared) and `db restore` of that backup into the
live database, and prints the time and size of each. See docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _support as S

SETTINGS = "twitterpub.settings.local"
BATCH = 20_000


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="twitterpub-bench-backup-") as tmp:
        work = Path(tmp)
        if args.database_url:
            with S.throwaway_postgres(args.database_url) as url:
                run(args, work, url, "PostgreSQL")
        else:
            run(args, work, f"sqlite:///{work / 'bench.sqlite3'}", "SQLite")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a PostgreSQL server (a throwaway db is made)")
    return parser.parse_args()


def run(args, work: Path, url: str, label: str) -> None:
    env = S.django_env(settings_module=SETTINGS, database_url=url, base_url="http://127.0.0.1:9")
    os.environ["BACKUP_DIR"] = str(work / "backups")
    S.setup_django(env)
    started = time.perf_counter()
    seed(args.tasks)
    seeded = time.perf_counter() - started
    phases = Phases()
    backup, backup_secs = timed(lambda: create_backup(phases))
    report, restore_secs = timed(lambda: restore(backup))
    print_figures(label, args.tasks, seeded, backup, backup_secs, phases, report, restore_secs)


class Phases:
    """Seconds from the first to the last progress report of each phase."""

    def __init__(self):
        self.spans: dict[str, list[float]] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.spans.setdefault(phase, [now, now])[1] = now


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def seed(n: int) -> None:
    """n tasks: four in five published (each with its post id), the rest pending. The
    first batch through the ORM, then the table doubles itself in SQL, each copy with
    its own paths and post ids (the unique constraints hold)."""
    from publishing.models import PublishingTask

    project, account = S.bench_account()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    first = [_task(i, project, account, base) for i in range(min(n, BATCH))]
    PublishingTask.objects.bulk_create(first, batch_size=2000)
    count, generation = len(first), 1
    while count < n:
        take = min(count, n - count)
        _copy_rows(take, f"g{generation}")
        count, generation = count + take, generation + 1
        print(f"\r  seeded {count:,} tasks", end="", file=sys.stderr)
    print(file=sys.stderr)


def _copy_rows(take: int, suffix: str) -> None:
    from django.db import connection, transaction

    from publishing.models import PublishingTask

    fields = [f for f in PublishingTask._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    unique = {
        "content_path": f"content_path || '{suffix}'",
        "post_id": f"CASE WHEN post_id = '' THEN '' ELSE post_id || '{suffix}' END",
    }
    values = ", ".join(unique.get(f.column, connection.ops.quote_name(f.column)) for f in fields)
    table = PublishingTask._meta.db_table
    sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM {table} ORDER BY id LIMIT %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [take])


def _task(i: int, project, account, base: datetime):
    from publishing.models import PublishingTask

    published = i % 5 != 0
    at = base + timedelta(minutes=i)
    return PublishingTask(
        project=project,
        account=account,
        content_path=f"posts/{i:07d}.md",
        language="en",
        text=f"Benchmark post {i}: a paper airplane carries childhood memories #nostalgia",
        weighted_length=80,
        status="published" if published else "pending",
        post_id=str(i + 1) if published else "",
        scheduled_at=at,
        published_at=at if published else None,
    )


def create_backup(phases: Phases):
    from database.services.backups import backup_create

    return backup_create(name="bench", progress=phases)


def restore(backup):
    from database.services.backups import backup_restore

    return backup_restore(path=Path(backup.path), safety_backup=False, reconcile=False)


def print_figures(label, n, seeded, backup, backup_secs, phases, report, restore_secs) -> None:
    from database.services.maintenance import database_size

    spans = {k: v[1] - v[0] for k, v in phases.spans.items()}
    restored = report.row_counts["publishing_publishingtask"]
    rows = [
        ("tasks", f"{n:,}", "", ""),
        ("seeding (ORM, then SQL copies)", f"{seeded:.1f} s", "", ""),
        ("database size", mb(database_size()), "", ""),
        ("backup file (compressed)", mb(backup.size_bytes), "", ""),
        ("backup, total (dump + checksum + verify)", f"{backup_secs:.1f} s", "", ""),
        *[(f"  {phase}", f"{secs:.1f} s", "", "") for phase, secs in spans.items()],
        (
            "verified (scratch restore, row counts equal)",
            str(backup.verified),
            "True",
            S.verdict(backup.verified),
        ),
        ("restore into the live database", f"{restore_secs:.1f} s", "", ""),
        ("tasks after restore", f"{restored:,}", f"{n:,}", S.verdict(restored == n)),
    ]
    S.print_table(f"Backup and verified restore, {label}", rows)


def mb(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"


if __name__ == "__main__":
    main()
