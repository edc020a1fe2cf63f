"""Health checks. Live: the process answers (no database). Ready: everything the
service needs to do its work: the database, the task broker, a worker that checked
in recently, X credentials not refused, and room on the disk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import psutil
from django.conf import settings
from django.db import connection
from django_q.brokers import get_broker

from monitoring import selectors
from monitoring.models import WorkerHeartbeat
from monitoring.services.sampling import disk_path

OK, FAIL = "ok", "fail"


def health_ready(*, now: datetime) -> dict:
    checks = {name: _run(check, now) for name, check in CHECKS.items()}
    healthy = all(c["status"] == OK for c in checks.values())
    return {"status": OK if healthy else FAIL, "checks": checks}


def _run(check: Callable[[datetime], tuple[bool, str]], now: datetime) -> dict:
    try:
        healthy, detail = check(now)
    except Exception as exc:
        # The type only: a driver's message may hold a host name or a password.
        healthy, detail = False, f"check raised {type(exc).__name__}"
    return {"status": OK if healthy else FAIL, "detail": detail}


def check_database(now: datetime) -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return True, connection.vendor


def check_broker(now: datetime) -> tuple[bool, str]:
    broker = get_broker()
    if not broker.ping():
        return False, "the broker does not answer"
    return True, f"{broker.queue_size()} queued"


def check_worker(now: datetime) -> tuple[bool, str]:
    beat = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if beat is None:
        return False, "no worker has checked in (is `manage.py qcluster` running?)"
    age = (now - beat).total_seconds()
    stale = timedelta(seconds=settings.MONITORING_HEARTBEAT_STALE_SECONDS)
    return now - beat <= stale, f"last check-in {age:.0f} s ago"


def check_x_credentials(now: datetime) -> tuple[bool, str]:
    refused = selectors.accounts_paused_for_auth()
    if refused:
        return False, f"{len(refused)} X account(s) paused: X refused their credentials"
    return True, "no account paused for refused credentials"


def check_disk(now: datetime) -> tuple[bool, str]:
    used = psutil.disk_usage(str(disk_path())).percent
    limit = settings.MONITORING_READY_DISK_PERCENT
    return used < limit, f"{used:.1f}% used (limit {limit:g}%)"


CHECKS: dict[str, Callable[[datetime], tuple[bool, str]]] = {
    "database": check_database,
    "broker": check_broker,
    "worker": check_worker,
    "x_credentials": check_x_credentials,
    "disk": check_disk,
}
