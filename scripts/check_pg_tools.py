"""`make test` before its PostgreSQL run: backups there run pg_dump and pg_restore
(Debian/Ubuntu package postgresql-client), which must be at least the server's major
version (pg_dump refuses a newer server). Say so once, rather than in a dozen failed
backup tests. Usage: check_pg_tools.py POSTGRES_URL; exit 1 with the fix on stderr."""

import os
import re
import shutil
import subprocess
import sys

import psycopg


def tool_major(tool: str) -> int | None:
    folder = os.environ.get("PG_BIN_DIR")
    path = os.path.join(folder, tool) if folder else shutil.which(tool)
    if not path or not os.path.exists(path):
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.search(r"\)\s*(\d+)", out)
    return int(found.group(1)) if found else None


def main(url: str) -> int:
    with psycopg.connect(url, connect_timeout=5) as conn:
        server = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    for tool in ("pg_dump", "pg_restore"):
        major = tool_major(tool)
        if major is None or major < server:
            state = "is not installed" if major is None else f"is version {major}"
            print(
                f"{tool} {state}; the tests on PostgreSQL {server} back it up with it, so "
                f"it must be version {server} or newer: apt-get install "
                f"postgresql-client-{server} (or set PG_BIN_DIR to the tools' folder).",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
