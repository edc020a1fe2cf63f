"""Backups are compressed, checksummed, verified by a restore into a scratch database,
and refused on restore when damaged or from another engine."""

import gzip
import hashlib
import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from database.models import Backup
from database.services import postgres, sqlite
from database.services.backups import backup_check, backup_create
from database.services.common import BackupError
from publishing.models import PublishingTask
from tests.fixtures.publishing import TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_backup_is_compressed_checksummed_counted_and_verified(backup_dir):
    TaskFactory.create_batch(3)

    backup = backup_create(name="nightly")

    path = Path(backup.path)
    assert path.parent == backup_dir
    assert backup.verified and backup.verify_error == ""
    assert backup.row_counts["publishing_publishingtask"] == 3
    assert backup.engine == connection.vendor
    assert backup.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert path.with_name(path.name + ".sha256").read_text() == f"{backup.sha256}  {path.name}\n"
    manifest = json.loads(path.with_name(path.name + ".json").read_text())
    assert manifest["row_counts"] == backup.row_counts
    assert manifest["sha256"] == backup.sha256


def test_every_backup_is_compressed(backup_dir):
    backup = backup_create()
    path = Path(backup.path)
    if backup.engine == "sqlite":
        assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip
        return
    # pg_dump's custom format, compressed: its table of contents says how.
    listing = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    assert path.read_bytes()[:5] == b"PGDMP"
    (compression,) = [line for line in listing.stdout.splitlines() if "Compression:" in line]
    assert compression.split(":")[1].strip() not in ("0", "none")


def test_a_backup_that_does_not_restore_to_the_same_counts_is_marked_unverified(
    backup_dir, monkeypatch
):
    engine = sqlite if connection.vendor == "sqlite" else postgres
    real = engine.verify
    # The restored copy comes back with rows the backup did not have.
    monkeypatch.setattr(
        engine, "verify", lambda *args: {**real(*args), "publishing_publishingtask": 99}
    )

    backup = backup_create(name="bad")

    assert not backup.verified
    assert backup.verify_error == "row counts differ in publishing_publishingtask (0 ≠ 99)"


@pytest.mark.parametrize("name", ["../escape", "a/b", "", ".hidden", "x" * 81, "semi;colon"])
def test_a_backup_name_that_could_escape_the_folder_is_refused(backup_dir, name):
    with pytest.raises(BackupError, match="is not allowed"):
        backup_create(name=name)
    assert not Backup.objects.exists()


def test_a_backup_name_is_used_once(backup_dir):
    backup_create(name="once")
    with pytest.raises(BackupError, match="exists already"):
        backup_create(name="once")


def test_a_damaged_backup_is_refused_before_anything_changes(backup_dir):
    path = Path(backup_create(name="damaged").path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(BackupError, match="does not match its checksum"):
        backup_check(path)


def test_a_backup_from_the_other_engine_is_refused(backup_dir):
    path = Path(backup_create(name="other").path)
    manifest = path.with_name(path.name + ".json")
    data = json.loads(manifest.read_text())
    data["engine"] = "postgresql" if data["engine"] == "sqlite" else "sqlite"
    manifest.write_text(json.dumps(data))

    with pytest.raises(BackupError, match="backup; this database is"):
        backup_check(path)


def test_a_backup_without_its_manifest_is_refused(backup_dir):
    path = Path(backup_create(name="bare").path)
    path.with_name(path.name + ".json").unlink()

    with pytest.raises(BackupError, match="No manifest"):
        backup_check(path)


def test_the_command_prints_a_json_report(backup_dir):
    TaskFactory()
    out, err = StringIO(), StringIO()

    call_command("db", "backup", "--name", "cli", "--json", stdout=out, stderr=err)

    report = json.loads(out.getvalue())
    assert report["name"] == "cli" and report["verified"] is True
    assert report["row_counts"]["publishing_publishingtask"] == 1
    assert err.getvalue() == ""  # --json: no progress lines mixed in


def test_the_command_shows_progress_on_stderr(backup_dir):
    out, err = StringIO(), StringIO()
    call_command("db", "backup", stdout=out, stderr=err)
    assert "snapshot: 1/1" in err.getvalue()
    assert "verified: True" in out.getvalue()


def test_restoring_a_missing_file_is_a_clear_error(backup_dir):
    with pytest.raises(CommandError, match="No backup file at"):
        call_command("db", "restore", str(backup_dir / "nope.sqlite3.gz"))


def test_a_sqlite_backup_holds_what_the_database_held(backup_dir, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite file")
    TaskFactory(text="in the backup")
    path = Path(backup_create().path)
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(gzip.decompress(path.read_bytes()))
    assert sqlite.row_counts(copy)["publishing_publishingtask"] == PublishingTask.objects.count()


def test_a_refused_restore_changes_nothing(backup_dir):
    TaskFactory()
    path = Path(backup_create(name="before").path)
    path.write_bytes(path.read_bytes()[:-10])  # truncated in transit
    TaskFactory()

    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("db", "restore", str(path))

    assert PublishingTask.objects.count() == 2
    assert list(Backup.objects.values_list("name", flat=True)) == ["before"]  # no safety copy
