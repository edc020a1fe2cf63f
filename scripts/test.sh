#!/usr/bin/env bash
# `make test`: lint, then the whole suite on SQLite, then on PostgreSQL.
# PostgreSQL comes from TEST_POSTGRES_URL (default: the local server, database test).
# Outside CI an unreachable PostgreSQL is skipped with a notice; in CI it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .

echo "== pytest on SQLite"
DATABASE_URL="sqlite:///$(pwd)/data/test.sqlite3" $BIN/pytest -n "${PYTEST_WORKERS:-2}" "$@"

if $BIN/python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$PG_URL" 2>/dev/null; then
  # Backups there need pg_dump/pg_restore of the server's version or newer.
  $BIN/python scripts/check_pg_tools.py "$PG_URL"
  echo "== pytest on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" $BIN/pytest -n "${PYTEST_WORKERS:-2}" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL at $PG_URL is not reachable; CI requires it." >&2
  exit 1
else
  echo "== PostgreSQL at $PG_URL not reachable: skipped the PostgreSQL run."
fi
