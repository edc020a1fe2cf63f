"""REST API benchmark: `.venv/bin/python bench/api.py [--tasks N] [--database-url URL]`.

Creates a throwaway PostgreSQL database, fills it with N publishing tasks (default
1,000,000) with one INSERT ... SELECT over generate_series, then calls the task list
endpoint (GET /api/v1/tasks/) in-process through the whole Django stack (middleware,
API key authentication, permissions, throttles, serialization) and reports:

- p50/p95 latency of the first page, of deep pages reached by following cursors, and
  of filtered lists, for a user who sees 10 of the 12 projects;
- the number of SQL queries per request at page sizes 10, 50 and 200.

Targets: p95 < 50 ms; the query count is the same for every page size. The database
is dropped afterwards. See docs/api.md."""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import urlsplit

import _support as S

SETTINGS = "twitterpub.settings.local"
PROJECTS_SEEN, PROJECTS_OTHER = 10, 2
STATUSES = ["pending", "published", "published", "published", "failed", "cancelled"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="Per measured list.")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    _require_postgres(args.database_url)
    with S.throwaway_postgres(args.database_url) as url:
        env = S.django_env(
            settings_module=SETTINGS, database_url=url, base_url="http://127.0.0.1:9"
        )
        env.update(
            DJANGO_ALLOWED_HOSTS="testserver",
            API_THROTTLE_PER_KEY="100000000/min",
            API_THROTTLE_PER_USER="100000000/min",
        )
        S.setup_django(env)
        key, project_ids = seed(args.tasks)
        run(args, key, project_ids)


def _require_postgres(url: str) -> None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        raise SystemExit(f"bench/api.py needs PostgreSQL ({url}): {exc}") from None


def seed(n_tasks: int) -> tuple[str, list[int]]:
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from projects.models import Project
    from publishing.models import XAccount
    from security.apikeys import apikey_create

    user = User.objects.create(username="bench-operator")
    user.groups.add(Group.objects.get(name="Operator"))
    other = User.objects.create(username="someone-else")
    owners = [user] * PROJECTS_SEEN + [other] * PROJECTS_OTHER
    projects = [
        Project.objects.create(owner=owner, name=f"p{i}", path="/", layout="plain")
        for i, owner in enumerate(owners)
    ]
    account = XAccount.objects.create(
        handle="bench",
        consumer_key="k",
        consumer_secret="s",
        access_token="t",
        access_token_secret="ts",
    )
    started = time.monotonic()
    with connection.cursor() as cursor:
        sql, params = insert_tasks_sql(n_tasks, [p.pk for p in projects], account.pk)
        cursor.execute(sql, params)
        cursor.execute("ANALYZE publishing_publishingtask")
    print(f"inserted {n_tasks:,} tasks in {time.monotonic() - started:.1f} s")
    key = apikey_create(user=user, role="Operator").key
    return key, [p.pk for p in projects[:PROJECTS_SEEN]]


def insert_tasks_sql(n: int, project_ids: list[int], account_id: int) -> tuple[str, list]:
    """INSERT ... SELECT FROM generate_series: every column from the model, so columns
    added later get their default without this file changing."""
    from django.db import connection

    from publishing.models import PublishingTask

    names = ", ".join(f"'{name}'" for name in STATUSES)
    # (g / 12): statuses independent of the project (g % 12).
    status = f"(ARRAY[{names}])[1 + (g / {len(project_ids)}) % {len(STATUSES)}]"
    expressions = {
        "project_id": f"(ARRAY{project_ids})[1 + g % {len(project_ids)}]",
        "account_id": str(account_id),
        "content_path": "'posts/post-' || g || '.md'",
        "language": "(ARRAY['en','cn','ja'])[1 + g % 3]",
        "text": "'Post number ' || g || ' about paper airplanes and childhood dreams'",
        "weighted_length": "50",
        "status": status,
        "priority": "g % 5",
        "scheduled_at": "now() - interval '1 second' * (g * 30)",
        "post_id": f"CASE WHEN {status} = 'published' THEN g::text ELSE '' END",
        "published_at": f"CASE WHEN {status} = 'published' THEN now() ELSE NULL END",
        "created": "now()",
        "updated": "now()",
    }
    columns, values, params = [], [], []
    for field in PublishingTask._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname].replace("%", "%%"))
        elif field.null:
            values.append("NULL")
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    # Built from the model's own metadata and constants here, never from input.
    sql = (
        f"INSERT INTO publishing_publishingtask ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM generate_series(1, {n}) AS g"
    )
    return sql, params


def timed(client, url: str) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    return elapsed, response.json()


def measure(client, urls: list[str]) -> list[float]:
    return [timed(client, url)[0] for url in urls]


def deep_pages(client, n: int) -> list[str]:
    """Cursor URLs n pages deep, following `next` as a script would."""
    url, found = "/api/v1/tasks/?page_size=50", []
    for _ in range(n):
        _elapsed, page = timed(client, url)
        url = local(page["next"])
        found.append(url)
    return found


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def queries_per_request(client, page_size: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        timed(client, f"/api/v1/tasks/?page_size={page_size}")
    return len(captured)


def run(args, key: str, project_ids: list[int]) -> None:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    n = args.requests
    measure(client, ["/api/v1/tasks/"] * 20)  # warm up: connection, caches
    lists = {
        "first page (50)": ["/api/v1/tasks/?page_size=50"] * n,
        "first page (200)": ["/api/v1/tasks/?page_size=200"] * n,
        "deep pages via cursor": deep_pages(client, n),
        "status=pending&project=…": [
            f"/api/v1/tasks/?status=pending&project={project_ids[i % len(project_ids)]}"
            for i in range(n)
        ],
        "ordering=-scheduled_at": ["/api/v1/tasks/?ordering=-scheduled_at"] * n,
    }
    rows = []
    for label, urls in lists.items():
        times = measure(client, urls)
        p95 = S.percentile(times, 95)
        rows.append(
            (
                f"p95 {label}",
                f"{p95:.1f} ms (p50 {S.percentile(times, 50):.1f})",
                "< 50 ms",
                S.verdict(p95 < 50),
            )
        )
    search = measure(client, ["/api/v1/tasks/?search=number%20999999"] * 5)
    rows.append(
        ("p95 search= (full scan, no target)", f"{S.percentile(search, 95):.0f} ms", "", "")
    )
    queries_per_request(client, 1)  # once more: a minute has passed, the key's last use is written
    counts = {size: queries_per_request(client, size) for size in (10, 50, 200)}
    same = len(set(counts.values())) == 1
    shown = ", ".join(f"{size}: {count}" for size, count in counts.items())
    rows.append(("queries per request by page size", shown, "constant", S.verdict(same)))
    S.print_table(f"GET /api/v1/tasks/ with {args.tasks:,} tasks (PostgreSQL)", rows)


if __name__ == "__main__":
    sys.exit(main())
