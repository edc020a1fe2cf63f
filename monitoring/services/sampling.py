"""One sampling pass: the machine, this worker's processes, the database, the queue
and X, written as one row per metric (one bulk insert).

Rates (CPU, network) need two readings of the machine's counters. The last reading is
kept in the host's heartbeat row, not in this process: django-q2 hands the minute
task to any of its workers, and each must compute the rate since the previous pass
on this machine, whichever worker made it. The first pass on a machine has no rate
to report, so it records none.
"""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime, timedelta
from pathlib import Path

import psutil
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django_q.models import OrmQ

from monitoring.models import PerformanceMetric, WorkerHeartbeat
from publishing.models import PublishingLog, PublishingTask

S = PublishingTask.Status


def metrics_sample(*, now: datetime) -> dict[str, float]:
    """Read every metric once, store them stamped `now`, and return them."""
    values = {
        **system_metrics(now=now),
        **process_metrics(),
        **database_metrics(),
        **queue_metrics(now=now),
        **x_api_metrics(now=now),
    }
    PerformanceMetric.objects.bulk_create(
        PerformanceMetric(timestamp=now, name=name, value=value) for name, value in values.items()
    )
    return values


def heartbeat_beat(*, now: datetime) -> None:
    """Tell readiness checks this worker is alive (one row per host)."""
    WorkerHeartbeat.objects.update_or_create(
        host=socket.gethostname(), defaults={"pid": os.getpid(), "beat_at": now}
    )


# --- the machine ----------------------------------------------------------------------


def system_metrics(*, now: datetime) -> dict[str, float]:
    values = {
        "memory_percent": psutil.virtual_memory().percent,
        "disk_percent": psutil.disk_usage(str(disk_path())).percent,
    }
    values.update(_rates(now))
    return values


def disk_path() -> Path:
    """MONITORING_DISK_PATH, or its nearest existing parent (the data folder may not
    exist yet on a fresh machine, but its disk does)."""
    path = Path(settings.MONITORING_DISK_PATH)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _rates(now: datetime) -> dict[str, float]:
    """CPU use and network I/O since the previous pass on this host."""
    reading = machine_counters(now=now)
    host = socket.gethostname()
    before = WorkerHeartbeat.objects.filter(host=host).values_list("counters", flat=True).first()
    WorkerHeartbeat.objects.update_or_create(
        host=host, defaults={"counters": reading, "pid": os.getpid(), "beat_at": now}
    )
    return rates_between(before or {}, reading)


def machine_counters(*, now: datetime) -> dict[str, float]:
    cpu, net = psutil.cpu_times(), psutil.net_io_counters()
    idle = cpu.idle + getattr(cpu, "iowait", 0.0)
    return {
        "at": now.timestamp(),
        "cpu_total": sum(cpu),
        "cpu_busy": sum(cpu) - idle,
        "net_sent": net.bytes_sent,
        "net_recv": net.bytes_recv,
    }


def rates_between(before: dict, after: dict) -> dict[str, float]:
    """Rates from two readings; none when there is no earlier one, or when a counter
    went backwards (the machine rebooted) or no time passed."""
    keys = ("at", "cpu_total", "cpu_busy", "net_sent", "net_recv")
    if any(k not in before for k in keys) or any(after[k] < before[k] for k in keys):
        return {}
    elapsed, cpu_total = after["at"] - before["at"], after["cpu_total"] - before["cpu_total"]
    if elapsed <= 0 or cpu_total <= 0:
        return {}
    return {
        "cpu_percent": round(100.0 * (after["cpu_busy"] - before["cpu_busy"]) / cpu_total, 2),
        "net_sent_bytes_per_second": (after["net_sent"] - before["net_sent"]) / elapsed,
        "net_recv_bytes_per_second": (after["net_recv"] - before["net_recv"]) / elapsed,
    }


# --- this worker ----------------------------------------------------------------------


def process_metrics() -> dict[str, float]:
    """RSS and open file descriptors of the worker: the cluster's whole process tree
    (django-q2 runs a parent, a sentinel and the worker processes)."""
    processes = _worker_tree()
    rss = fds = 0
    for proc in processes:
        try:
            rss += proc.memory_info().rss
            fds += proc.num_fds() if hasattr(proc, "num_fds") else len(proc.open_files())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return {"process_rss_bytes": float(rss), "process_open_files": float(fds)}


def _worker_tree() -> list[psutil.Process]:
    top = psutil.Process()
    for parent in top.parents():
        if not _same_program(parent):
            break
        top = parent
    return [top, *top.children(recursive=True)]


def _same_program(proc: psutil.Process) -> bool:
    try:
        exe = proc.exe()
        return exe == sys.executable or Path(exe).resolve() == Path(sys.executable).resolve()
    except (psutil.NoSuchProcess, psutil.AccessDenied, OSError):
        return False


# --- database, queue, X ---------------------------------------------------------------


def database_metrics() -> dict[str, float]:
    """Connections to our database (PostgreSQL only: SQLite has no server to ask)."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return {"db_connections": float(cursor.fetchone()[0])}


def queue_metrics(*, now: datetime) -> dict[str, float]:
    counts = PublishingTask.objects.filter(
        Q(status__in=(S.PENDING, S.PUBLISHING)) | Q(status=S.RETRY_WAIT, next_attempt_at__lte=now)
    ).aggregate(
        due=Count("id", filter=Q(status=S.PENDING, scheduled_at__lte=now) | Q(status=S.RETRY_WAIT)),
        pending=Count("id", filter=Q(status=S.PENDING)),
        active=Count("id", filter=Q(status=S.PUBLISHING)),
    )
    return {
        "queue_depth": float(OrmQ.objects.count()),
        "tasks_due": float(counts["due"]),
        "tasks_pending": float(counts["pending"]),
        "tasks_active": float(counts["active"]),
    }


def x_api_metrics(*, now: datetime) -> dict[str, float]:
    """Calls to create a post in the last minute, and how many of them failed (an
    unknown outcome counts as an error: something went wrong on the way)."""
    counts = PublishingLog.objects.filter(
        created__gt=now - timedelta(minutes=1), created__lte=now
    ).aggregate(
        calls=Count("id"), errors=Count("id", filter=~Q(status=PublishingLog.Outcome.SUCCESS))
    )
    return {"x_api_calls": float(counts["calls"]), "x_api_errors": float(counts["errors"])}
