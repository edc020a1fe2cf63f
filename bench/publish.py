"""Publish benchmark: `.venv/bin/python bench/publish.py [--tasks 1000] [--runs 3]`.

Starts the X emulator as its own process (`manage.py xsandbox`), sets Django up on a
throwaway SQLite file, and times, in the same run:
- the pipeline: `dispatch_once` publishing N due text tasks (claim, create, record);
- a bare loop of xdk `posts.create` calls posting the same texts.
Prints medians of a few runs and the pipeline/bare ratio. Nothing outside the
temporary folder is touched."""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import _support as S


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="twitterpub-bench-") as tmp:
        work = Path(tmp)
        sandbox = S.Sandbox()
        S.setup_django(
            {
                "DJANGO_SETTINGS_MODULE": os.environ.get(
                    "DJANGO_SETTINGS_MODULE", "twitterpub.settings.test"
                ),
                "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
                "X_API_BASE_URL": sandbox.base_url,
            }
        )
        sandbox.start()
        try:
            rows = run_all(args, sandbox)
        finally:
            sandbox.stop()
    print_table(args, rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000, help="posts per run (1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (3)")
    return parser.parse_args()


def prepare(sandbox: S.Sandbox, texts: list[str]) -> None:
    """Fresh emulator timeline, limits lifted, and one due task per text."""
    from django.utils import timezone

    sandbox.reset(**S.NO_LIMITS)
    S.clear_tasks()
    S.seed_tasks(texts, timezone.now())


def time_pipeline(sandbox: S.Sandbox, texts: list[str]) -> float:
    from publishing.services.dispatch import dispatch_once

    prepare(sandbox, texts)
    started = time.perf_counter()
    report = dispatch_once(limit=len(texts))
    elapsed = time.perf_counter() - started
    if report.published != len(texts):
        errors = {r["error"] for r in report.results if r["error"]}
        raise SystemExit(f"only {report.published} of {len(texts)} published: {errors}")
    return elapsed


def time_bare(sandbox: S.Sandbox, texts: list[str]) -> float:
    sandbox.reset(**S.NO_LIMITS)
    return S.time_bare(sandbox.base_url, texts)


def run_all(args, sandbox: S.Sandbox) -> list[tuple[str, list[float]]]:
    pipeline, bare = [], []
    for run in range(args.runs):
        texts = [f"Benchmark post {run}-{i}: folders in, posts out." for i in range(args.tasks)]
        pipeline.append(time_pipeline(sandbox, texts))
        bare.append(time_bare(sandbox, [t + " (bare)" for t in texts]))
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
