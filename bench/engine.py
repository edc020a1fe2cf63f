"""Publishing engine benchmarks: `.venv/bin/python bench/engine.py BENCHMARK [options]`.

BENCHMARK is throughput, concurrency, lateness, budget or all.

Each starts the X emulator (`manage.py xsandbox`) in its own process and runs the real
dispatcher as a user does, `manage.py dispatcher` in a subprocess, on a throwaway SQLite
file (or a throwaway PostgreSQL database with --database-url), then prints a table with
its targets and PASS/MISS. See docs/benchmarks.md. Nothing outside the temporary folder
(and the throwaway database) is touched.

- throughput:  2,000 due tasks, default concurrency, no latency; in the same run a bare
               xdk posts.create loop posting the same texts. Target: pipeline >= 0.5 x bare.
- concurrency: 200 ms latency on POST /2/tweets, MAX_CONCURRENT_TASKS = per account = 8.
               Target: >= 90 % of 8 / 0.2 s = 40 posts/s.
- lateness:    10,000 pending tasks, 300 of them due at distinct instants over 60 s.
               Target: p99 of published_at - scheduled_at < 2 s.
- budget:      100 creates per 15 min, time-scaled (x90: 10 s windows), more tasks than
               the budget. Targets: >= 95 % of each window's 100 used, zero 429s."""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _support as S

SETTINGS = "twitterpub.settings.local"
LATENCY_MS = 200
WINDOW_SECS = 900.0  # X's 15-minute post window


@dataclass
class Context:
    """What every benchmark shares: the emulator, the working folder, the databases."""

    args: argparse.Namespace
    work: Path
    sandbox: S.Sandbox
    env: dict[str, str]
    # alias -> (label, DATABASE_URL for the dispatcher)
    databases: dict[str, tuple[str, str]] = field(default_factory=dict)
    started: list[S.Dispatcher] = field(default_factory=list)

    def dispatcher(self, alias: str = "default", **overrides) -> S.Dispatcher:
        env = {**self.env, "DATABASE_URL": self.databases[alias][1]}
        env.update({k: str(v) for k, v in overrides.items()})
        log = self.work / f"dispatcher-{len(self.started) + 1}.log"
        self.started.append(S.Dispatcher(env, log))
        return self.started[-1]


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="twitterpub-bench-") as tmp:
        work = Path(tmp)
        sandbox = S.Sandbox().start()
        try:
            if args.database_url:
                with S.throwaway_postgres(args.database_url) as pg_url:
                    run(args, work, sandbox, pg_url)
            else:
                run(args, work, sandbox, None)
        finally:
            sandbox.stop()


def run(args, work: Path, sandbox: S.Sandbox, pg_url: str | None) -> None:
    sqlite_url = f"sqlite:///{work / 'bench.sqlite3'}"
    env = S.django_env(
        settings_module=args.settings, database_url=sqlite_url, base_url=sandbox.base_url
    )
    if not args.cpu_throttle:
        # A 30 s average of the whole machine: on a shared box it measures the neighbours.
        env["DISPATCH_CPU_SLOW"] = "101"
    env.update(setting.split("=", 1) for setting in args.set)
    S.setup_django(env, {"pg": pg_url} if pg_url else None)
    ctx = Context(args, work, sandbox, env, {"default": ("SQLite file", sqlite_url)})
    if pg_url:
        ctx.databases["pg"] = ("PostgreSQL", pg_url)
    print(machine_note(args))
    try:
        for name in BENCHMARKS if args.benchmark == "all" else [args.benchmark]:
            BENCHMARKS[name](ctx)
    finally:
        for dispatcher in ctx.started:  # whatever happened, leave no dispatcher behind
            dispatcher.stop(grace=1)
    killed = sum(d.ignored_sigterm for d in ctx.started)
    if killed:
        print(
            f"\nnote: {killed} of {len(ctx.started)} `manage.py dispatcher` processes did not "
            "stop within the grace time after SIGTERM and were killed once idle."
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=[*BENCHMARKS, "all"])
    parser.add_argument(
        "--runs", type=int, help="runs of throughput (1) and concurrency (3); medians are shown"
    )
    parser.add_argument("--tasks", type=int, help="tasks (throughput 2000, concurrency 400)")
    parser.add_argument("--windows", type=int, default=4, help="budget: rate windows (4)")
    parser.add_argument(
        "--dispatchers", type=int, default=1, help="budget: dispatcher processes sharing it (1)"
    )
    parser.add_argument("--time-scale", type=float, default=90.0, help="budget: emulator x (90)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL: concurrency also runs on a throwaway database there",
    )
    parser.add_argument(
        "--settings",
        default=os.environ.get("DJANGO_SETTINGS_MODULE", SETTINGS),
        help=f"settings of the bench and its dispatchers ({SETTINGS}, with DEBUG off)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment setting for the bench and its dispatchers, e.g. "
        "MAX_CONCURRENT_PER_ACCOUNT=4 (repeatable; concurrency keeps its own two)",
    )
    parser.add_argument(
        "--cpu-throttle",
        action="store_true",
        help="keep the dispatcher's CPU throttle (off by default: it reads the whole machine)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="throughput: also run the pipeline in-process under cProfile and print top costs",
    )
    return parser.parse_args()


def machine_note(args) -> str:
    load = os.getloadavg()
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load {load[0]:.2f}/{load[1]:.2f}, Python {sys.version.split()[0]}, "
        f"settings {args.settings}"
    )


# --- shared steps --------------------------------------------------------------------------


def setting(name: str) -> object:
    from django.conf import settings

    return getattr(settings, name)


def throttle_changes(dispatcher: S.Dispatcher) -> int:
    return dispatcher.log_count("Dispatch slowed") + dispatcher.log_count("Dispatch paused")


def published(using: str = "default") -> int:
    from publishing.models import PublishingTask

    return PublishingTask.objects.using(using).filter(status="published").count()


def warm_up(ctx: Context, dispatcher: S.Dispatcher, using: str) -> None:
    """One task through the running dispatcher: start-up is not part of any figure."""
    from django.utils import timezone

    S.seed_tasks(["Warm-up post."], timezone.now(), using=using, prefix="warm-up")
    if not S.wait_until(lambda: published(using) == 1, timeout=60, dispatcher=dispatcher):
        raise SystemExit(f"the dispatcher published nothing:\n{dispatcher.log_tail()}")
    S.clear_tasks(using)


def publish_due(
    ctx: Context, dispatcher: S.Dispatcher, texts: list[str], using: str, lead: float = 1.5
) -> tuple[float, float]:
    """Seed one task per text, all due `lead` seconds from now (the dispatcher is idle and
    wakes for them), wait until all are published; returns (seconds from the due time to
    the last publish, to the first). Checks every text is on X exactly once."""
    from django.db.models import Max, Min
    from django.utils import timezone

    from publishing.models import PublishingTask

    due = timezone.now() + timedelta(seconds=lead)
    S.seed_tasks(texts, due, using=using)
    if timezone.now() >= due:
        raise SystemExit("seeding took longer than the lead time: raise `lead`")
    n = len(texts)
    if not S.wait_until(lambda: published(using) == n, timeout=600, dispatcher=dispatcher):
        raise SystemExit(f"only {published(using)} of {n} published:\n{dispatcher.log_tail()}")
    span = PublishingTask.objects.using(using).aggregate(
        first=Min("published_at"), last=Max("published_at")
    )
    on_x = [p["text"] for p in ctx.sandbox.posts()]
    if len(on_x) != n or set(on_x) != set(texts):
        raise SystemExit(
            f"{n} tasks published but X holds {len(on_x)} posts ({len(set(on_x))} texts)"
        )
    return (span["last"] - due).total_seconds(), (span["first"] - due).total_seconds()


# --- 1. throughput -------------------------------------------------------------------------


def bench_throughput(ctx: Context) -> None:
    n = ctx.args.tasks or 2_000
    runs = ctx.args.runs or 1
    slots, per_account = setting("MAX_CONCURRENT_TASKS"), setting("MAX_CONCURRENT_PER_ACCOUNT")
    pipeline, bare, wake = [], [], []
    dispatcher = ctx.dispatcher()
    try:
        ctx.sandbox.reset(**S.NO_LIMITS)
        warm_up(ctx, dispatcher, "default")
        for run in range(runs):
            texts = [f"Throughput post {run}-{i}: folders in, posts out." for i in range(n)]
            ctx.sandbox.reset(**S.NO_LIMITS)
            S.clear_tasks()
            last, first = publish_due(ctx, dispatcher, texts, "default")
            pipeline.append(last)
            wake.append(first)
            ctx.sandbox.reset(**S.NO_LIMITS)
            bare.append(S.time_bare(ctx.sandbox.base_url, texts))
    finally:
        dispatcher.stop()
    throttled = throttle_changes(dispatcher)
    p, b = statistics.median(pipeline), statistics.median(bare)
    ratio = b / p
    S.print_table(
        f"throughput: {n} due text posts, no latency, `manage.py dispatcher` with "
        f"MAX_CONCURRENT_TASKS={slots}, MAX_CONCURRENT_PER_ACCOUNT={per_account} "
        f"(median of {runs} runs)",
        [
            ("pipeline (due time -> last published)", f"{p:.2f} s = {n / p:.0f} posts/s", "", ""),
            ("  runs", ", ".join(f"{n / s:.0f}" for s in pipeline) + " posts/s", "", ""),
            ("  first post after due time", f"{statistics.median(wake) * 1000:.0f} ms", "", ""),
            ("  resource throttle engaged (log lines)", str(throttled), "", ""),
            ("bare xdk posts.create loop", f"{b:.2f} s = {n / b:.0f} posts/s", "", ""),
            ("  runs", ", ".join(f"{n / s:.0f}" for s in bare) + " posts/s", "", ""),
            ("pipeline / bare posts/s", f"{ratio:.2f}", ">= 0.50", S.verdict(ratio >= 0.5)),
        ],
    )
    if ctx.args.profile:
        profile_pipeline(ctx, n)


class _ThreadProfiles:
    """cProfile sees one thread; the dispatcher publishes in pool threads. Wrap the pool's
    entry point (in this process only) so each call is profiled and merged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.stats: pstats.Stats | None = None

    def wrap(self, func):
        def profiled(task):
            profile = cProfile.Profile()
            try:
                return profile.runcall(func, task)
            finally:
                with self.lock:
                    if self.stats is None:
                        self.stats = pstats.Stats(profile, stream=io.StringIO())
                    else:
                        self.stats.add(profile)

        return profiled


class _Calls:
    """Counts calls of a few functions, in every thread, while installed."""

    def __init__(self, targets: dict[str, tuple[object, str]]):
        self.targets = targets
        self.counts = dict.fromkeys(targets, 0)
        self.originals = {}

    def __enter__(self):
        for label, (owner, name) in self.targets.items():
            original = getattr(owner, name)
            self.originals[label] = original

            def counted(*args, _label=label, _original=original, **kwargs):
                self.counts[_label] += 1  # under the GIL; a lost count or two is fine
                return _original(*args, **kwargs)

            setattr(owner, name, counted)
        return self

    def __exit__(self, *exc):
        for label, (owner, name) in self.targets.items():
            setattr(owner, name, self.originals[label])


def profile_pipeline(ctx: Context, n: int) -> None:
    """The same pipeline in this process (dispatch_once passes, same settings) under
    cProfile, with counts of SQL statements, database and HTTP connections per post."""
    import urllib3.connection
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper
    from django.utils import timezone

    from publishing.services import dispatch

    ctx.sandbox.reset(**S.NO_LIMITS)
    S.clear_tasks()
    texts = [f"Profiled post {i}: folders in, posts out." for i in range(n)]
    S.seed_tasks(texts, timezone.now())
    threads = _ThreadProfiles()
    original = dispatch._publish_in_thread
    dispatch._publish_in_thread = threads.wrap(original)

    def loop():
        # dispatch_loop's passes, minus its idle waits (every task is due).
        done = 0
        while done < n:
            report = dispatch.dispatch_once()
            done += report.published
            if not report.claimed:
                raise SystemExit(f"stalled after {done} of {n}: {report.as_dict()}")

    calls = _Calls(
        {
            "SQL statements": (CursorWrapper, "_execute"),
            "database connections opened": (BaseDatabaseWrapper, "connect"),
            "HTTP connections opened": (urllib3.connection.HTTPConnection, "connect"),
            "publishing threads started": (threading.Thread, "start"),
        }
    )
    main_profile = cProfile.Profile()
    started = time.perf_counter()
    try:
        with calls:
            main_profile.runcall(loop)
    finally:
        dispatch._publish_in_thread = original
    elapsed = time.perf_counter() - started
    print(
        f"\nprofile: {n} posts in-process under cProfile, {elapsed:.2f} s "
        f"({n / elapsed:.0f} posts/s, profiler overhead included)"
    )
    for label, count in calls.counts.items():
        print(f"  {label}: {count} ({count / n:.1f} per post)")
    for title, stats in (
        ("main thread (claiming, loop)", pstats.Stats(main_profile)),
        ("publishing threads", threads.stats),
    ):
        if stats is None:
            continue
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats("tottime").print_stats(18)
        print(f"\n-- {title}: top by own time")
        print(_trim(out.getvalue()))
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats("cumulative").print_stats(25)
        print(f"\n-- {title}: top by cumulative time")
        print(_trim(out.getvalue()))


def _trim(report: str) -> str:
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line.replace(str(S.ROOT) + "/", "") for line in lines[start:] if line.strip())


# --- 2. concurrency ------------------------------------------------------------------------


def bench_concurrency(ctx: Context) -> None:
    n = ctx.args.tasks or 400
    runs = ctx.args.runs or 3
    overrides = {"MAX_CONCURRENT_TASKS": 8, "MAX_CONCURRENT_PER_ACCOUNT": 8}
    ideal = 8 / (LATENCY_MS / 1000)
    target = 0.9 * ideal
    rows = []
    for alias, (label, _) in ctx.databases.items():
        rates = []
        dispatcher = ctx.dispatcher(alias, **overrides)
        try:
            ctx.sandbox.reset(**S.NO_LIMITS)
            ctx.sandbox.faults(
                [{"endpoint": "POST /2/tweets", "action": "latency", "ms": LATENCY_MS}]
            )
            S.clear_tasks(alias)
            warm_up(ctx, dispatcher, alias)
            for run in range(runs):
                texts = [f"Concurrency post {run}-{i} on {label}." for i in range(n)]
                ctx.sandbox.reset(**S.NO_LIMITS)
                ctx.sandbox.faults(
                    [{"endpoint": "POST /2/tweets", "action": "latency", "ms": LATENCY_MS}]
                )
                S.clear_tasks(alias)
                last, _ = publish_due(ctx, dispatcher, texts, alias)
                rates.append(n / last)
        finally:
            dispatcher.stop()
        S.clear_tasks(alias)
        rate = statistics.median(rates)
        throttled = throttle_changes(dispatcher)
        rows += [
            (
                f"{label}: posts/s",
                f"{rate:.1f} ({rate / ideal:.0%} of {ideal:.0f})",
                f">= {target:.0f}",
                S.verdict(rate >= target),
            ),
            ("  runs", ", ".join(f"{r:.1f}" for r in rates), "", ""),
            (
                "  mean posts in flight (posts/s x 0.2 s)",
                f"{rate * LATENCY_MS / 1000:.1f} of 8",
                "",
                "",
            ),
            ("  resource throttle engaged (log lines)", str(throttled), "", ""),
        ]
    S.print_table(
        f"concurrency: {n} posts, {LATENCY_MS} ms latency on POST /2/tweets, "
        f"MAX_CONCURRENT_TASKS=8, MAX_CONCURRENT_PER_ACCOUNT=8 (median of {runs} runs)",
        rows,
    )


# --- 3. lateness ---------------------------------------------------------------------------


def bench_lateness(ctx: Context) -> None:
    from django.utils import timezone

    from publishing.models import PublishingTask

    total, due_count, spread = 10_000, 300, 60.0
    ctx.sandbox.reset(**S.NO_LIMITS)
    S.clear_tasks()
    dispatcher = ctx.dispatcher()
    try:
        warm_up(ctx, dispatcher, "default")
        later = timezone.now() + timedelta(days=30)
        S.seed_tasks(
            [f"Later post {i}." for i in range(total - due_count)],
            [later + timedelta(minutes=i) for i in range(total - due_count)],
            prefix="later",
        )
        rng = random.Random(7)
        offsets = sorted(rng.sample(range(int(spread * 1000)), due_count))  # distinct ms
        start = timezone.now() + timedelta(seconds=2)
        times = [start + timedelta(milliseconds=ms) for ms in offsets]
        S.seed_tasks([f"Timely post {i}." for i in range(due_count)], times, prefix="timely")
        if timezone.now() >= start:
            raise SystemExit("seeding took longer than the lead time")
        pending = PublishingTask.objects.filter(status="pending").count()
        S.wait_until(
            lambda: published() == due_count,
            timeout=spread + 30,
            every=1.0,
            dispatcher=dispatcher,
        )
    finally:
        dispatcher.stop()
    rows = PublishingTask.objects.filter(content_path__startswith="timely").values_list(
        "scheduled_at", "published_at"
    )
    late = [(p - s).total_seconds() for s, p in rows if p is not None]
    if not late:
        raise SystemExit(f"none of the due tasks was published:\n{dispatcher.log_tail()}")
    missing = due_count - len(late)
    early = sum(1 for x in late if x < 0)
    p99 = float("inf") if missing else S.percentile(late, 99)
    S.clear_tasks()
    S.print_table(
        f"lateness: {pending} pending tasks, {due_count} due at distinct instants over "
        f"{spread:.0f} s, the rest in 30 days; `manage.py dispatcher`; "
        "lateness = published_at - scheduled_at",
        [
            (
                "published / due",
                f"{len(late)} / {due_count}",
                f"{due_count}",
                S.verdict(not missing),
            ),
            ("published early", str(early), "0", S.verdict(not early)),
            ("p50", f"{S.percentile(late, 50) * 1000:.0f} ms", "", ""),
            ("p90", f"{S.percentile(late, 90) * 1000:.0f} ms", "", ""),
            ("p99", f"{p99 * 1000:.0f} ms", "< 2000 ms", S.verdict(p99 < 2.0)),
            ("max", f"{max(late) * 1000:.0f} ms", "", ""),
        ],
    )


# --- 4. budget -----------------------------------------------------------------------------


def windows_of(times: list[float], window: float) -> list[tuple[float, int]]:
    """The emulator's windows rebuilt from creation times, as X opens them: a window opens
    with the first post after the previous one ended. [(opened at, posts)]."""
    out: list[tuple[float, int]] = []
    for t in sorted(times):
        # created_at is rounded down to the millisecond
        if not out or t >= out[-1][0] + window - 0.001:
            out.append((t, 0))
        out[-1] = (out[-1][0], out[-1][1] + 1)
    return out


def bench_budget(ctx: Context) -> None:
    from django.utils import timezone

    limit, scale, wanted = 100, ctx.args.time_scale, ctx.args.windows
    window = WINDOW_SECS / scale
    tasks = (wanted + 2) * limit
    config = {
        "time_scale": scale,
        "rate_limits": {"POST /2/tweets": limit, "*": 900},
        "post_user_24h_limit": 10_000,
        "post_app_24h_limit": 10_000,
    }
    S.clear_tasks()
    ctx.sandbox.reset(**S.NO_LIMITS)
    dispatcher = ctx.dispatcher()
    others = []
    try:
        warm_up(ctx, dispatcher, "default")  # clears the warm-up's (unlimited) headers too
        others = [ctx.dispatcher() for _ in range(ctx.args.dispatchers - 1)]
        if others:  # let them start: they must compete for the budget from the start
            time.sleep(5)
        ctx.sandbox.reset(**config)
        S.seed_tasks([f"Budget post {i}." for i in range(tasks)], timezone.now())

        def complete() -> int:
            opened = windows_of([S.created_at(p) for p in ctx.sandbox.posts()], window)
            return sum(1 for start, _ in opened if start + window <= time.time())

        S.wait_until(
            lambda: complete() >= wanted,
            timeout=wanted * window * 2 + 20,
            every=0.5,
            dispatcher=dispatcher,
        )
        stopped = time.time()
    finally:
        for each in [dispatcher, *others]:
            each.stop()
    on_x = ctx.sandbox.posts()
    posts = [S.created_at(p) for p in on_x]
    duplicates = len(on_x) - len({p["text"] for p in on_x})
    outcomes = ctx.sandbox.outcomes()
    refused = outcomes.get("429", 0)
    opened = windows_of(posts, window)
    full = [(start, count) for start, count in opened if start + window <= stopped][:wanted]
    if not full:
        raise SystemExit(f"no complete window: {len(posts)} posts\n{dispatcher.log_tail()}")
    share = sum(count for _, count in full) / (len(full) * limit)
    lags = [b[0] - (a[0] + window) for a, b in itertools.pairwise(full)]
    lag = statistics.mean(lags) if lags else 0.0
    elapsed = full[-1][0] + window - full[0][0]
    checks = header_checks(opened, posts, window, scale)
    S.clear_tasks()
    S.print_table(
        f"budget: {limit} creates per 15 min, emulator time x{scale:g} ({window:g} s windows), "
        f"{tasks} due tasks, {ctx.args.dispatchers} x `manage.py dispatcher` with "
        f"MAX_CONCURRENT_TASKS={setting('MAX_CONCURRENT_TASKS')}, "
        f"MAX_CONCURRENT_PER_ACCOUNT={setting('MAX_CONCURRENT_PER_ACCOUNT')}",
        [
            ("complete windows", str(len(full)), "", ""),
            ("posts per window", ", ".join(str(c) for _, c in full), "", ""),
            (
                "budget used (posts / (windows x 100))",
                f"{share:.1%}",
                ">= 95%",
                S.verdict(share >= 0.95),
            ),
            ("429s answered by the emulator", str(refused), "0", S.verdict(refused == 0)),
            ("texts posted twice", str(duplicates), "0", S.verdict(duplicates == 0)),
            (
                "POST /2/tweets outcomes",
                ", ".join(f"{k}: {v}" for k, v in outcomes.items()),
                "",
                "",
            ),
            ("reset lag: window end -> next window's 1st post", f"{lag * 1000:.0f} ms", "", ""),
            (
                f"  time share: {len(full)} windows / time they took",
                f"{len(full) * window / elapsed:.1%} (x{scale:g} time)",
                "",
                "",
            ),
            (
                "  same lag on real 15-min windows",
                f"{WINDOW_SECS / (WINDOW_SECS + lag):.2%}",
                "",
                "",
            ),
            *checks,
        ],
    )


def header_checks(opened, posts, window: float, scale: float) -> list[tuple[str, str, str, str]]:
    """X's reset headers are real unix seconds even when the emulator runs time-scaled:
    the stored resets must sit at the emulator's window ends (rounded up to the second),
    not 15 minutes or 24 hours of real time away."""
    from publishing.models import RateLimitState

    rows = []
    expected = {
        "post_15m": opened[-1][0] + window,  # the window the last answer came from
        "post_user_24h": min(posts) + 86_400 / scale,
    }
    for bucket, end in expected.items():
        state = RateLimitState.objects.filter(bucket=bucket).exclude(scope="app").first()
        skew = None if state is None else state.reset_at.timestamp() - end
        rows.append(
            (
                f"stored {bucket} reset - emulator's reset",
                "none stored" if skew is None else f"{skew:+.3f} s",
                "0..1 s",
                S.verdict(skew is not None and 0 <= skew <= 1.0),
            )
        )
    return rows


BENCHMARKS = {
    "throughput": bench_throughput,
    "concurrency": bench_concurrency,
    "lateness": bench_lateness,
    "budget": bench_budget,
}


if __name__ == "__main__":
    main()
