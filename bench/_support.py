"""Shared pieces of the publishing benchmarks (bench/publish.py, bench/engine.py).

The X emulator runs as its own process (`manage.py xsandbox`), Django is set up on
throwaway databases in a temporary folder (or a throwaway PostgreSQL database), and
nothing outside them is touched."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = 10**9
# Emulator config lifting every limit: benchmarks other than `budget` measure speed.
NO_LIMITS = {
    "time_scale": 1.0,
    "rate_limits": {"POST /2/tweets": UNLIMITED, "*": UNLIMITED},
    "post_user_24h_limit": UNLIMITED,
    "post_app_24h_limit": UNLIMITED,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the emulator ----------------------------------------------------------------------


class Sandbox:
    """`manage.py xsandbox` in its own process, and its control API."""

    def __init__(self):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.http = requests.Session()

    def start(self) -> Sandbox:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "xsandbox", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DATABASE_URL": "sqlite://:memory:"},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.http.get(f"{self.base_url}/_sandbox/health", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the emulator did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.base_url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self, **config) -> None:
        """Fresh timeline, rate counters, request counts and no faults; then `config`
        (which survives resets, so every benchmark states all it relies on)."""
        self._call("POST", "/_sandbox/reset")
        if config:
            self._call("POST", "/_sandbox/config", json=config)

    def faults(self, rules: list[dict]) -> None:
        self._call("POST", "/_sandbox/faults", json={"rules": rules})

    def posts(self) -> list[dict]:
        return self._call("GET", "/_sandbox/posts")["data"]

    def outcomes(self, endpoint: str = "POST /2/tweets") -> dict[str, int]:
        return self._call("GET", "/_sandbox/requests")["outcomes"].get(endpoint, {})


def created_at(post: dict) -> float:
    """An emulator post's creation time, unix seconds (millisecond precision)."""
    return datetime.fromisoformat(post["created_at"].replace("Z", "+00:00")).timestamp()


# --- Django ------------------------------------------------------------------------------


def django_env(*, settings_module: str, database_url: str, base_url: str) -> dict[str, str]:
    """The environment the bench process and its dispatchers share. Secrets are made up
    here, so the project's .env (read with overwrite=False) does not matter."""
    return {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
        "X_API_BASE_URL": base_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "FIELD_ENCRYPTION_KEYS": _fernet_key(),
        "LOG_LEVEL": "WARNING",
    }


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def setup_django(env: dict[str, str], extra_databases: dict[str, str] | None = None) -> None:
    """Django in this process on env's DATABASE_URL (alias "default") plus any extra
    aliases given as URLs; migrates them all."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    import django
    import environ
    from django.conf import settings
    from django.core.management import call_command

    for alias, url in (extra_databases or {}).items():
        settings.DATABASES[alias] = environ.Env.db_url_config(url)
    django.setup()
    for alias in settings.DATABASES:
        call_command("migrate", database=alias, verbosity=0)


@contextlib.contextmanager
def throwaway_postgres(url: str) -> Iterator[str]:
    """A new database on the server `url` points at, dropped afterwards; yields its URL."""
    import psycopg
    from psycopg import sql

    name = f"twitterpub_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def bench_account(using: str = "default"):
    """The bench project (no daily cap to speak of) and the emulator's demo account."""
    from django.contrib.auth.models import User

    from projects.models import Project
    from publishing.models import XAccount
    from publishing.xsandbox import DEMO_ACCOUNT

    owner, _ = User.objects.using(using).get_or_create(username="bench")
    project, _ = Project.objects.using(using).get_or_create(
        owner=owner,
        name="bench",
        defaults={"path": "/", "layout": "plain", "daily_max": UNLIMITED},
    )
    account, _ = XAccount.objects.using(using).get_or_create(
        handle=DEMO_ACCOUNT.username,
        defaults={
            "x_user_id": DEMO_ACCOUNT.user_id,
            "consumer_key": DEMO_ACCOUNT.consumer_key,
            "consumer_secret": DEMO_ACCOUNT.consumer_secret,
            "access_token": DEMO_ACCOUNT.access_token,
            "access_token_secret": DEMO_ACCOUNT.access_token_secret,
        },
    )
    return project, account


def clear_tasks(using: str = "default") -> None:
    """Forget every task, its history and the stored rate budget."""
    from publishing.models import PublishingLog, PublishingTask, RateLimitState, TaskTransition

    for model in (TaskTransition, PublishingLog, PublishingTask, RateLimitState):
        model.objects.using(using).all()._raw_delete(using)


def seed_tasks(
    texts: list[str], scheduled: list[datetime] | datetime, using: str = "default", prefix="post"
) -> None:
    """One pending text task per text, scheduled at `scheduled` (one time or one each)."""
    from publishing.models import PublishingTask

    project, account = bench_account(using)
    times = scheduled if isinstance(scheduled, list) else [scheduled] * len(texts)
    tasks = [
        PublishingTask(
            project=project,
            account=account,
            content_path=f"{prefix}-{i}.md",
            language="en",
            text=text,
            scheduled_at=at,
        )
        for i, (text, at) in enumerate(zip(texts, times, strict=True))
    ]
    PublishingTask.objects.using(using).bulk_create(tasks, batch_size=500)


# --- the dispatcher ------------------------------------------------------------------------


class Dispatcher:
    """`manage.py dispatcher` in a subprocess, as a user runs it; its log goes to a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        self.ignored_sigterm = False
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "dispatcher"],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM (the loop should finish its batch and exit); SIGKILL after `grace`
        seconds. Benchmarks stop a dispatcher when its work is done, so a kill loses
        nothing; `ignored_sigterm` records it."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.ignored_sigterm = True
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def log_count(self, needle: str) -> int:
        return self.log.read_text(errors="replace").count(needle)


def wait_until(predicate, *, timeout: float, every: float = 0.25, dispatcher=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if dispatcher is not None and not dispatcher.alive():
            raise SystemExit(f"the dispatcher died:\n{dispatcher.log_tail()}")
        time.sleep(every)
    return predicate()


# --- bare xdk ------------------------------------------------------------------------------


def bare_client(base_url: str):
    from xdk import Client
    from xdk.oauth1_auth import OAuth1

    from publishing.xsandbox import DEMO_ACCOUNT as A

    auth = OAuth1(A.consumer_key, A.consumer_secret, "oob", A.access_token, A.access_token_secret)
    return Client(base_url=base_url, auth=auth)


def time_bare(base_url: str, texts: list[str]) -> float:
    """Seconds for a plain loop of xdk posts.create calls, one per text."""
    from xdk.posts.models import CreateRequest

    client = bare_client(base_url)
    started = time.perf_counter()
    for text in texts:
        client.posts.create(CreateRequest(text=text))
    return time.perf_counter() - started


# --- figures -------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """rows: (measure, value, target, verdict); empty target/verdict for context rows."""
    print(f"\n{title}")
    widths = [
        max(len(str(r[i])) for r in [("measure", "value", "target", ""), *rows]) for i in range(4)
    ]
    header = ("measure", "value", "target", "")
    for row in [header, *rows]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
