"""Publish benchmark: `.venv/bin/python bench/publish.py [--tasks 1000] [--runs 3]`.

Starts the X emulator as its own process (`manage.py xsandbox`), sets Django up on a
throwaway SQLite file, and times, in the same run:
- the pipeline: `dispatch_once` publishing N due text tasks (claim, create, record);
- a bare loop of xdk `posts.create` calls posting the same texts.
Prints medians of a few runs and the pipeline/bare ratio. Nothing outside the
temporary folder is touched."""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="twitterpub-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        setup_django(work, base_url)
        sandbox = start_sandbox(port, base_url)
        try:
            rows = run_all(args, base_url)
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    print_table(args, rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000, help="posts per run (1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (3)")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_django(work: Path, base_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterpub.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["X_API_BASE_URL"] = base_url
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def start_sandbox(port: int, base_url: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "xsandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DATABASE_URL": "sqlite://:memory:"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/_sandbox/health", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the emulator did not start")


def prepare(base_url: str, texts: list[str]) -> None:
    """Fresh emulator timeline, limits lifted, and one due task per text."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from projects.models import Project
    from publishing.models import PublishingTask, XAccount
    from publishing.xsandbox import DEMO_ACCOUNT

    requests.post(f"{base_url}/_sandbox/reset", timeout=5).raise_for_status()
    unlimited = 10**9
    limits = {
        "rate_limits": {"POST /2/tweets": unlimited, "*": unlimited},
        "post_user_24h_limit": unlimited,
        "post_app_24h_limit": unlimited,
    }
    requests.post(f"{base_url}/_sandbox/config", json=limits, timeout=5).raise_for_status()
    PublishingTask.objects.all().delete()
    owner, _ = User.objects.get_or_create(username="bench")
    project, _ = Project.objects.get_or_create(owner=owner, name="bench", path="/", layout="plain")
    account, _ = XAccount.objects.get_or_create(
        handle=DEMO_ACCOUNT.username,
        defaults={
            "x_user_id": DEMO_ACCOUNT.user_id,
            "consumer_key": DEMO_ACCOUNT.consumer_key,
            "consumer_secret": DEMO_ACCOUNT.consumer_secret,
            "access_token": DEMO_ACCOUNT.access_token,
            "access_token_secret": DEMO_ACCOUNT.access_token_secret,
        },
    )
    now = timezone.now()
    tasks = [
        PublishingTask(
            project=project,
            account=account,
            content_path=f"post-{i}.md",
            language="en",
            text=text,
            scheduled_at=now,
        )
        for i, text in enumerate(texts)
    ]
    PublishingTask.objects.bulk_create(tasks, batch_size=500)


def time_pipeline(base_url: str, texts: list[str]) -> float:
    from publishing.services.dispatch import dispatch_once

    prepare(base_url, texts)
    started = time.perf_counter()
    report = dispatch_once(limit=len(texts))
    elapsed = time.perf_counter() - started
    if report.published != len(texts):
        errors = {r["error"] for r in report.results if r["error"]}
        raise SystemExit(f"only {report.published} of {len(texts)} published: {errors}")
    return elapsed


def time_bare(base_url: str, texts: list[str]) -> float:
    from xdk import Client
    from xdk.oauth1_auth import OAuth1
    from xdk.posts.models import CreateRequest

    from publishing.xsandbox import DEMO_ACCOUNT as A

    prepare(base_url, texts)
    auth = OAuth1(A.consumer_key, A.consumer_secret, "oob", A.access_token, A.access_token_secret)
    client = Client(base_url=base_url, auth=auth)
    started = time.perf_counter()
    for text in texts:
        client.posts.create(CreateRequest(text=text))
    return time.perf_counter() - started


def run_all(args, base_url: str) -> list[tuple[str, list[float]]]:
    pipeline, bare = [], []
    for run in range(args.runs):
        texts = [f"Benchmark post {run}-{i}: folders in, posts out." for i in range(args.tasks)]
        pipeline.append(time_pipeline(base_url, texts))
        bare.append(time_bare(base_url, [t + " (bare)" for t in texts]))
    return [("pipeline (dispatch_once)", pipeline), ("bare xdk posts.create loop", bare)]


def print_table(args, rows) -> None:
    print(f"\npublish {args.tasks} text posts to the emulator, median of {args.runs} runs")
    medians = {}
    for name, seconds in rows:
        medians[name] = statistics.median(seconds)
        rate = args.tasks / medians[name]
        print(f"  {name:<28} {medians[name]:7.2f} s  {rate:8.0f} posts/s")
    pipeline, bare = medians.values()
    print(f"  pipeline / bare throughput: {bare / pipeline:.2f}")


if __name__ == "__main__":
    main()
