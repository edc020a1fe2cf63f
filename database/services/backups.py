"""Backups: take one (compressed, checksummed, verified by a restore into a scratch
database), restore one safely, keep the scheduled ones within retention.

Each backup file has two files next to it: `<file>.sha256` (`sha256sum -c` reads it)
and `<file>.json`, the manifest: engine, time of the snapshot, rows per table. A restore
refuses a file whose checksum or engine does not match, before touching anything."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from database.models import Backup
from database.services import postgres, sqlite
from database.services.common import BackupError, Progress, no_progress
from publishing.models import PublisherState
from publishing.services.reconcile import publisher_reconcile_after_restore

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
MANIFEST_FORMAT = 1
CHUNK = 1024 * 1024


@dataclass
class RestoreReport:
    backup: str
    taken_at: str
    row_counts: dict[str, int]
    matches_manifest: bool = False
    safety_backup: str = ""
    reconcile: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# --- taking a backup ------------------------------------------------------------------


def engine_current() -> str:
    vendor = connection.vendor
    if vendor not in Backup.Engine.values:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def backup_dir() -> Path:
    folder = Path(settings.BACKUP_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def backup_create(
    *,
    name: str | None = None,
    kind: str = Backup.Kind.MANUAL,
    progress: Progress = no_progress,
) -> Backup:
    """Take, checksum and verify a backup; the row records a failed verification."""
    engine = engine_current()
    name = _backup_name(name, kind)
    path = backup_dir() / f"{name}{_suffix(engine)}"
    started, taken_at = time.monotonic(), timezone.now()
    try:
        counts = _dump(engine, path, progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    backup = Backup(name=name, kind=kind, engine=engine, path=str(path), taken_at=taken_at)
    backup.size_bytes, backup.sha256, backup.row_counts = path.stat().st_size, _sha256(path), counts
    backup.verify_error = _verify_error(engine, path, counts, progress)
    backup.verified = not backup.verify_error
    backup.duration_seconds = round(time.monotonic() - started, 3)
    backup.save()
    _write_manifest(backup)
    return backup


def _backup_name(name: str | None, kind: str) -> str:
    if name is None:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        return f"twitterpub-{stamp}-{kind}"
    if not NAME_RE.match(name):
        raise BackupError(
            f"Backup name {name!r} is not allowed: use 1-80 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if Backup.objects.filter(name=name).exists() or any(backup_dir().glob(f"{name}.*")):
        raise BackupError(f"A backup named {name!r} exists already.")
    return name


def _suffix(engine: str) -> str:
    return sqlite.SUFFIX if engine == Backup.Engine.SQLITE else postgres.SUFFIX


def _dump(engine: str, path: Path, progress: Progress) -> dict[str, int]:
    if engine == Backup.Engine.SQLITE:
        with _sqlite_live() as live:
            return sqlite.dump(live, path, progress)
    return postgres.dump(connection.settings_dict, path, progress)


@contextmanager
def _sqlite_live() -> Iterator[sqlite3.Connection]:
    """A connection of our own to the database file, so the backup API never waits on
    a transaction of Django's. An in-memory database (tests) is reachable only through
    Django's connection, which must then be outside any transaction."""
    if not connection.is_in_memory_db():
        conn = sqlite.connect(connection.settings_dict["NAME"])
        try:
            yield conn
        finally:
            conn.close()
        return
    if connection.in_atomic_block:
        raise BackupError("An in-memory SQLite database cannot be backed up inside a transaction.")
    connection.ensure_connection()
    yield connection.connection


def _verify_error(engine: str, path: Path, expected: dict[str, int], progress: Progress) -> str:
    """Restore into a scratch database and compare row counts; '' when they agree."""
    try:
        found = _verify(engine, path, progress)
    except BackupError as exc:
        return str(exc)
    differ = sorted(t for t in expected.keys() | found.keys() if expected.get(t) != found.get(t))
    if differ:
        return "row counts differ in " + ", ".join(
            f"{t} ({expected.get(t)} ≠ {found.get(t)})" for t in differ[:10]
        )
    return ""


def _verify(engine: str, path: Path, progress: Progress) -> dict[str, int]:
    if engine == Backup.Engine.SQLITE:
        return sqlite.verify(path, progress)
    return postgres.verify(path, connection.settings_dict, progress)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- manifests ------------------------------------------------------------------------


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_manifest(backup: Backup) -> None:
    path = Path(backup.path)
    _checksum_path(path).write_text(f"{backup.sha256}  {path.name}\n")
    manifest = {
        "format": MANIFEST_FORMAT,
        "name": backup.name,
        "kind": backup.kind,
        "engine": backup.engine,
        "file": path.name,
        "size_bytes": backup.size_bytes,
        "sha256": backup.sha256,
        "taken_at": backup.taken_at.isoformat(),
        "row_counts": backup.row_counts,
        "verified": backup.verified,
        "verify_error": backup.verify_error,
        "duration_seconds": backup.duration_seconds,
    }
    _manifest_path(path).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def manifest_read(path: Path) -> dict:
    manifest = _manifest_path(path)
    if not manifest.is_file():
        raise BackupError(
            f"No manifest {manifest.name} next to {path.name}: without it the backup's "
            "checksum and engine cannot be checked."
        )
    try:
        data = json.loads(manifest.read_text())
        data["taken_at"] = datetime.fromisoformat(data["taken_at"])
        return data
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"The manifest {manifest.name} is unreadable: {exc}") from exc


def backups_index() -> int:
    """Record every backup found on disk that the table does not know (a restore brings
    back the table as it was, without the backups taken since). Returns how many."""
    added = 0
    for manifest in sorted(backup_dir().glob("*.json")):
        path = manifest.with_name(manifest.name.removesuffix(".json"))
        if not path.is_file() or Backup.objects.filter(path=str(path)).exists():
            continue
        data = manifest_read(path)
        Backup.objects.update_or_create(name=data["name"], defaults=_fields(data, path))
        added += 1
    return added


def _fields(data: dict, path: Path) -> dict:
    keys = ("kind", "engine", "size_bytes", "sha256", "taken_at", "row_counts", "verified")
    return {
        **{key: data[key] for key in keys},
        "path": str(path),
        "verify_error": data.get("verify_error", ""),
        "duration_seconds": data.get("duration_seconds", 0.0),
    }


# --- restoring ------------------------------------------------------------------------


def backup_check(path: Path) -> dict:
    """The manifest of a backup fit to restore here; BackupError says why not."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    manifest = manifest_read(path)
    engine = engine_current()
    if manifest.get("engine") != engine:
        raise BackupError(
            f"{path.name} is a {manifest.get('engine')} backup; this database is {engine}."
        )
    if _sha256(path) != manifest.get("sha256"):
        raise BackupError(f"{path.name} does not match its checksum: the file is damaged.")
    return manifest


def backup_restore(
    *,
    path: Path,
    now: datetime | None = None,
    safety_backup: bool = True,
    reconcile: bool = True,
    progress: Progress = no_progress,
) -> RestoreReport:
    """Replace the database with a backup, then leave the publisher paused until X has
    been checked for every due post (publisher_reconcile_after_restore): the backup
    cannot know what went out after it was taken."""
    path = Path(path).expanduser().resolve()
    manifest = backup_check(path)
    if connection.in_atomic_block:  # before the safety backup: nothing is done for nothing
        raise BackupError("A restore cannot run inside a transaction.")
    safety = backup_create(kind=Backup.Kind.SAFETY, progress=progress) if safety_backup else None
    counts = _restore(manifest["engine"], path, progress)
    call_command("migrate", verbosity=0, interactive=False)
    _publisher_mark_restored(manifest)
    backups_index()
    report = RestoreReport(
        backup=manifest["name"],
        taken_at=manifest["taken_at"].isoformat(),
        row_counts=counts,
        matches_manifest=counts == manifest["row_counts"],
        safety_backup=safety.name if safety else "",
    )
    if reconcile:
        report.reconcile = publisher_reconcile_after_restore(now=now or timezone.now()).as_dict()
    return report


def _restore(engine: str, path: Path, progress: Progress) -> dict[str, int]:
    if engine == Backup.Engine.SQLITE:
        with _sqlite_live() as live:
            return sqlite.restore(path, live, progress)
    settings_dict = connection.settings_dict
    connection.close()  # pg_restore drops the tables: our own session must not hold them
    return postgres.restore(path, settings_dict, progress)


def _publisher_mark_restored(manifest: dict) -> None:
    # An operator's pause recorded in the backup stays; otherwise the restore pauses.
    state, _ = PublisherState.objects.get_or_create(pk=1)
    state.reconcile_required, state.changed_by = True, "restore"
    if not state.paused:
        state.paused = True
        taken = f"{manifest['taken_at']:%Y-%m-%d %H:%M:%S} UTC"
        state.reason = f"restore: from {manifest['name']} taken {taken}"
    state.save()


# --- removing -------------------------------------------------------------------------


def backup_delete(backup: Backup) -> None:
    path = Path(backup.path)
    for file in (path, _manifest_path(path), _checksum_path(path)):
        file.unlink(missing_ok=True)
    backup.delete()
