"""PostgreSQL backups: `pg_dump -Fc` (compressed custom format) of an exported
snapshot, so the row counts recorded are exactly the dump's; checked with
`pg_restore --list`, verified by a restore into a scratch database."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings
from psycopg import sql

from database.services.common import BackupError, Progress

SUFFIX = ".pgdump"
TOOLS = ("pg_dump", "pg_restore")
TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
)


def _tool(name: str) -> str:
    return str(Path(settings.PG_BIN_DIR) / name) if settings.PG_BIN_DIR else name


def _env(db: dict) -> dict:
    """libpq's variables for the pg_* tools: the password never goes on a command line."""
    env = {**os.environ, "PGHOST": db.get("HOST") or "127.0.0.1", "PGUSER": db.get("USER") or ""}
    env["PGPORT"] = str(db.get("PORT") or 5432)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _conninfo(db: dict, name: str | None = None) -> str:
    env = _env(db)
    return psycopg.conninfo.make_conninfo(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"] or None,
        password=db.get("PASSWORD") or None,
        dbname=name or db["NAME"],
    )


def tool_major(name: str) -> int | None:
    """The major version of a client tool (`pg_dump (PostgreSQL) 15.20` → 15), None
    when it cannot be run."""
    try:
        done = subprocess.run(
            [_tool(name), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s*(\d+)", done.stdout)
    return int(match.group(1)) if done.returncode == 0 and match else None


def tools_problems(server_major: int) -> list[str]:
    """Why pg_dump and pg_restore cannot back up a server of this major version: they
    must exist, and be at least its version (pg_dump refuses a newer server)."""
    problems = []
    for name in TOOLS:
        major = tool_major(name)
        if major is None:
            problems.append(
                f"{name} not found: install PostgreSQL's client tools (postgresql-client-"
                f"{server_major} or newer), or set PG_BIN_DIR to their folder."
            )
        elif major < server_major:
            problems.append(
                f"{name} is version {major}, older than the server ({server_major}): it "
                f"cannot back it up. Install postgresql-client-{server_major} or newer."
            )
    return problems


def server_major(conn) -> int:
    """From a DB-API connection or cursor owner (Django's or psycopg's)."""
    with conn.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def _run(args: list[str], db: dict, what: str) -> str:
    try:
        done = subprocess.run(args, env=_env(db), capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{args[0]} not found: install PostgreSQL's client tools.") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-1500:]}")
    return done.stdout


def _tables(conn: psycopg.Connection) -> list[str]:
    return [row[0] for row in conn.execute(TABLES)]


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = _tables(conn)
    count = "SELECT COUNT(*) FROM {}"
    return {t: conn.execute(sql.SQL(count).format(sql.Identifier(t))).fetchone()[0] for t in tables}


def dump(db: dict, dest: Path, progress: Progress) -> dict[str, int]:
    progress("snapshot", 0, 1)
    # autocommit, so that our own BEGIN (not psycopg's implicit one) sets the isolation.
    with psycopg.connect(_conninfo(db), autocommit=True) as conn:
        # Said plainly before anything is written, rather than by pg_dump half-way.
        if problems := tools_problems(server_major(conn)):
            raise BackupError(" ".join(problems))
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = row_counts(conn)
        progress("snapshot", 1, 1)
        progress("pg_dump", 0, 1)
        # The snapshot lives as long as this transaction: pg_dump sees exactly our counts.
        args = [_tool("pg_dump"), "-Fc", f"--snapshot={snapshot}", "-f", str(dest), db["NAME"]]
        _run(args, db, "pg_dump")
        progress("pg_dump", 1, 1)
        conn.execute("COMMIT")
    check_listing(dest, db)
    return counts


def check_listing(path: Path, db: dict) -> set[str]:
    """The dump's tables, from `pg_restore --list` (which reads every entry's header)."""
    listing = _run([_tool("pg_restore"), "--list", str(path)], db, f"pg_restore --list {path.name}")
    # Entries look like "215; 1259 16390 TABLE public django_migrations postgres".
    tables = {
        parts[parts.index("TABLE") + 2]
        for line in listing.splitlines()
        if not line.startswith(";") and " TABLE " in line and " TABLE DATA " not in line
        for parts in [line.split()]
    }
    if not tables:
        raise BackupError(f"{path.name} holds no tables (pg_restore --list).")
    return tables


@contextmanager
def scratch_database(db: dict):
    name = f"{db['NAME'][:30]}_verify_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(db, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(_conninfo(db, "postgres"), autocommit=True) as admin:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            admin.execute(sql.SQL(drop).format(sql.Identifier(name)))


def verify(path: Path, db: dict, progress: Progress) -> dict[str, int]:
    check_listing(path, db)
    with scratch_database(db) as name:
        progress("verify", 0, 1)
        _pg_restore(path, db, name)
        progress("verify", 1, 1)
        with psycopg.connect(_conninfo(db, name)) as conn:
            return row_counts(conn)


def _pg_restore(path: Path, db: dict, name: str, *, clean: bool = False) -> None:
    args = [_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", name]
    if clean:
        args += ["--clean", "--if-exists", "--single-transaction"]
    _run([*args, str(path)], db, f"pg_restore into {name}")


def restore(path: Path, db: dict, progress: Progress) -> dict[str, int]:
    """Replace the live database's tables with the dump's, in one transaction. Tables
    the dump does not know (added by later migrations) are dropped, so `migrate`
    afterwards recreates them instead of tripping over them."""
    tables = check_listing(path, db)
    progress("restore", 0, 1)
    _pg_restore(path, db, db["NAME"], clean=True)
    progress("restore", 1, 1)
    with psycopg.connect(_conninfo(db), autocommit=True) as conn:
        for extra in set(_tables(conn)) - tables:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(extra)))
        return row_counts(conn)
