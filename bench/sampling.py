"""Sampling benchmark: `.venv/bin/python bench/sampling.py [--runs 50] [--pending 10000]
[--database-url postgres://...]`.

Sets Django up on a throwaway SQLite file (or a throwaway PostgreSQL database), seeds
a busy system (pending tasks, a day of attempt logs, queued broker rows, a week of
samples) and times one sampling pass (monitoring.services.sampling.metrics_sample:
read every metric and store it), each part of it, and the whole minute pass (sampling,
error center, alert evaluation of the default rules, notifications). Target: the
sampling pass under 50 ms (median). Nothing outside the temporary folder and the
throwaway database is touched."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import _support as S

TARGET_MS = 50.0


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="twitterpub-bench-") as tmp:
        if args.database_url:
            with S.throwaway_postgres(args.database_url) as url:
                run(args, url)
        else:
            run(args, f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed passes (50)")
    parser.add_argument("--pending", type=int, default=10_000, help="pending tasks (10000)")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a database on")
    return parser.parse_args()


def run(args: argparse.Namespace, database_url: str) -> None:
    env = S.django_env(
        settings_module="twitterpub.settings.test",
        database_url=database_url,
        base_url="http://127.0.0.1:9",
    )
    S.setup_django(env)
    seed(args.pending)
    rows = measure(args.runs)
    S.print_table(f"Sampling ({args.runs} runs, {args.pending:,} pending tasks)", rows)


def seed(pending: int) -> None:
    from django.utils import timezone
    from django_q.models import OrmQ

    from monitoring.models import PerformanceMetric
    from publishing.models import PublishingLog, PublishingTask

    now = timezone.now()
    texts = [f"Post {i}" + (" https://example.com" if i % 10 == 0 else "") for i in range(pending)]
    S.seed_tasks(texts, [now + timedelta(seconds=i) for i in range(pending)])
    task = PublishingTask.objects.first()
    logs = [
        PublishingLog(task=task, status="success" if i % 10 else "failure", execution_time=0.2)
        for i in range(1440)
    ]
    PublishingLog.objects.bulk_create(logs)
    # Spread over the last day (created is auto_now_add: set it afterwards).
    for i, log in enumerate(logs):
        log.created = now - timedelta(minutes=i)
    PublishingLog.objects.bulk_update(logs, ["created"], batch_size=500)
    OrmQ.objects.bulk_create(OrmQ(key="twitterpub", payload="x", lock=now) for _ in range(20))
    week = [
        PerformanceMetric(name=name, value=1.0, timestamp=now - timedelta(minutes=m))
        for m in range(1, 7 * 24 * 60, 1)
        for name in ("cpu_percent", "memory_percent", "disk_percent", "x_api_errors")
    ]
    PerformanceMetric.objects.bulk_create(week, batch_size=5000)


def measure(runs: int) -> list[tuple[str, str, str, str]]:
    from django.utils import timezone

    from monitoring.services import sampling
    from monitoring.services.passes import monitor_pass

    steps = {
        "sampling pass (all, stored)": lambda now: sampling.metrics_sample(now=now),
        "  system (cpu, memory, disk, net)": lambda now: sampling.system_metrics(now=now),
        "  process tree (rss, fds)": lambda now: sampling.process_metrics(),
        "  database connections": lambda now: sampling.database_metrics(),
        "  queue and tasks": lambda now: sampling.queue_metrics(now=now),
        "  X API calls and errors": lambda now: sampling.x_api_metrics(now=now),
        "minute pass (sample + alerts + errors)": lambda now: monitor_pass(now=now),
    }
    sampling.metrics_sample(now=timezone.now())  # warm: first CPU/network readings
    rows = []
    for name, step in steps.items():
        times = []
        for _ in range(runs):
            now = timezone.now()
            started = time.perf_counter()
            step(now)
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        target = f"< {TARGET_MS:g} ms" if name.startswith("sampling pass") else ""
        verdict = S.verdict(median < TARGET_MS) if target else ""
        p95 = S.percentile(times, 95)
        rows.append((name, f"{median:.1f} ms (p95 {p95:.1f})", target, verdict))
    return rows


if __name__ == "__main__":
    main()
