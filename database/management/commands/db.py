"""`manage.py db init|clean|backup|restore|health|optimize`: database care.

Each prints a report (`--json` for scripts); progress goes to stderr."""

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from database.services import backups, health, maintenance
from database.services.common import BackupError


class Progress:
    """Prints `phase: done/total` to stderr, at most a few times a second per phase."""

    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled, self.last = stream, enabled, (None, 0.0)

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        recent = phase == self.last[0] and now - self.last[1] < 0.25
        if not self.enabled or (recent and done < total):
            return
        self.last = (phase, now)
        percent = f" {100 * done // total}%" if total > 1 else ""
        self.stream.write(f"  {phase}: {done}/{total}{percent}\n")


class Command(BaseCommand):
    help = "Database care: init, clean, backup, restore, health, optimize."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="Migrate and create the schedules.")
        init.add_argument("--force-reset", action="store_true", help="Empty every table first.")
        clean = sub.add_parser("clean", help="Delete old records of finished work.")
        clean.add_argument("--days", type=int, default=30)
        clean.add_argument("--tasks", action="store_true", help="Queue results (django-q2).")
        clean.add_argument("--logs", action="store_true", help="Publishing logs, transitions.")
        backup = sub.add_parser("backup", help="Take a verified backup.")
        backup.add_argument("--name")
        restore = sub.add_parser("restore", help="Restore a backup (stop the workers first).")
        restore.add_argument("path")
        restore.add_argument("--no-safety-backup", action="store_true")
        restore.add_argument(
            "--no-reconcile", action="store_true", help="Leave the check of X to the dispatcher."
        )
        sub.add_parser("health", help="Integrity, size, backups, queue.")
        sub.add_parser("optimize", help="ANALYZE and VACUUM.")
        for p in sub.choices.values():
            p.add_argument("--json", action="store_true", help="Machine-readable report.")

    def handle(self, *args, action: str, **options):
        progress = Progress(self.stderr, not options["json"])
        try:
            report, ok = getattr(self, f"_{action}")(progress=progress, **options)
        except (BackupError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self._print(report, options["json"])
        if not ok:
            sys.exit(1)

    def _init(self, *, progress, force_reset, **options):
        return maintenance.database_init(force_reset=force_reset, progress=progress).as_dict(), True

    def _clean(self, *, progress, days, tasks, logs, **options):
        both = not (tasks or logs)  # neither flag: clean both
        report = maintenance.database_clean(
            days=days, tasks=tasks or both, logs=logs or both, progress=progress
        )
        return {"days": days, "deleted": report}, True

    def _backup(self, *, progress, name, **options):
        backup = backups.backup_create(name=name, progress=progress)
        report = {
            "name": backup.name,
            "path": backup.path,
            "engine": backup.engine,
            "size_bytes": backup.size_bytes,
            "sha256": backup.sha256,
            "rows": backup.total_rows,
            "row_counts": backup.row_counts,
            "verified": backup.verified,
            "verify_error": backup.verify_error,
            "duration_seconds": backup.duration_seconds,
        }
        return report, backup.verified

    def _restore(self, *, progress, path, no_safety_backup, no_reconcile, **options):
        report = backups.backup_restore(
            path=path,
            safety_backup=not no_safety_backup,
            reconcile=not no_reconcile,
            progress=progress,
        )
        return report.as_dict(), report.matches_manifest and not report.reconcile.get("errors")

    def _health(self, *, progress, **options):
        report = health.database_health()
        return report, report["ok"]

    def _optimize(self, *, progress, **options):
        return maintenance.database_optimize(progress=progress), True

    def _print(self, report: dict, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report, indent=2, default=str))
            return
        for key, value in report.items():
            if isinstance(value, dict) and len(value) > 6:
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            self.stdout.write(f"{key}: {value}")
