"""`make test` before its PostgreSQL run: backups there run pg_dump and pg_restore
(Debian/Ubuntu package postgresql-client), which must be at least the server's major
version (pg_dump refuses a newer server). Say so once, rather than in a dozen failed
backup tests. Usage: check_pg_tools.py POSTGRES_URL; exit 1 with the fix on stderr."""

import os
import sys
from pathlib import Path

import psycopg
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(url: str) -> int:
    # The backup code's own check, with the one setting it reads (no project settings
    # load here: they would want the whole environment of a run).
    settings.configure(PG_BIN_DIR=os.environ.get("PG_BIN_DIR", ""))
    from database.services.postgres import server_major, tools_problems

    with psycopg.connect(url, connect_timeout=5) as conn:
        problems = tools_problems(server_major(conn))
    for problem in problems:
        print(f"The PostgreSQL test run takes backups: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
