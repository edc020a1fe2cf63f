"""PostgreSQL backups need pg_dump and pg_restore of the server's major version or
newer (postgresql-client): a missing or older tool is named before anything is
written, and by `db health`."""

import pytest
from django.db import connection

from database.models import Backup
from database.services import postgres
from database.services.backups import backup_create
from database.services.common import BackupError
from database.services.health import database_health


def fake_tools(folder, version: str) -> None:
    folder.mkdir(exist_ok=True)
    for name in postgres.TOOLS:
        tool = folder / name
        tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
        tool.chmod(0o755)


def test_tools_of_the_servers_version_or_newer_are_fine(tmp_path, settings):
    fake_tools(tmp_path / "bin", "17.2 (Debian 17.2-1)")
    settings.PG_BIN_DIR = str(tmp_path / "bin")
    assert postgres.tool_major("pg_dump") == 17
    assert postgres.tools_problems(16) == []
    assert postgres.tools_problems(17) == []


def test_tools_older_than_the_server_are_named(tmp_path, settings):
    fake_tools(tmp_path / "bin", "14.9")
    settings.PG_BIN_DIR = str(tmp_path / "bin")
    problems = postgres.tools_problems(15)
    assert problems == [
        f"{name} is version 14, older than the server (15): it cannot back it up. "
        "Install postgresql-client-15 or newer."
        for name in postgres.TOOLS
    ]


def test_missing_tools_say_which_package_to_install(tmp_path, settings):
    settings.PG_BIN_DIR = str(tmp_path / "empty")
    (problem, _) = postgres.tools_problems(15)
    assert problem.startswith("pg_dump not found: install PostgreSQL's client tools")
    assert "postgresql-client-15" in problem and "PG_BIN_DIR" in problem


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL client tools"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_this_machines_tools_can_back_up_the_server(backup_dir):
    assert postgres.tools_problems(postgres.server_major(connection)) == []
    report = database_health()
    assert report["pg_tools_ok"] is True


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_without_the_tools_a_backup_is_refused_up_front_and_health_says_why(
    backup_dir, settings, tmp_path
):
    settings.PG_BIN_DIR = str(tmp_path / "empty")

    with pytest.raises(BackupError, match="pg_dump not found"):
        backup_create(name="no-tools")

    assert not Backup.objects.exists()
    assert not list(backup_dir.glob("no-tools*"))
    report = database_health()
    assert report["ok"] is False
    assert any(p.startswith("pg_restore not found") for p in report["problems"])
