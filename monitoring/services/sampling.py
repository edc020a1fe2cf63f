"""One sampling pass: the machine, this worker's processes, the database, the queue
and X, written as one row per metric (one bulk insert).

Rates (CPU, network) need two readings; the previous one is kept in this module, so
the first pass of a fresh worker process uses the load average for CPU and skips the
network rates rather than record a burst from boot time."""

from __future__ import annotations

import os
import socket
import sys
import time
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


class _Previous:
    """The last counters read by this process, for rates."""

    cpu: psutil._common.scputimes | None = None
    net: tuple[float, int, int] | None = None  # monotonic time, bytes sent, bytes received


_previous = _Previous()


def metrics_sample(*, now: datetime) -> dict[str, float]:
    """Read every metric once, store them stamped `now`, and return them."""
    values = {
        **system_metrics(),
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


def system_metrics() -> dict[str, float]:
    values = {
        "cpu_percent": _cpu_percent(),
        "memory_percent": psutil.virtual_memory().percent,
        "disk_percent": psutil.disk_usage(str(disk_path())).percent,
    }
    values.update(_network_rates())
    return values


def disk_path() -> Path:
    """MONITORING_DISK_PATH, or its nearest existing parent (the data folder may not
    exist yet on a fresh machine, but its disk does)."""
    path = Path(settings.MONITORING_DISK_PATH)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _cpu_percent() -> float:
    times = psutil.cpu_times()
    before, _previous.cpu = _previous.cpu, times
    if before is None:
        # No interval yet: the 1-minute load average per core is the honest stand-in.
        return min(100.0, psutil.getloadavg()[0] / (psutil.cpu_count() or 1) * 100)
    busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    busy_before = sum(before) - before.idle - getattr(before, "iowait", 0.0)
    total = sum(times) - sum(before)
    return round(100.0 * (busy - busy_before) / total, 2) if total > 0 else 0.0


def _network_rates() -> dict[str, float]:
    counters = psutil.net_io_counters()
    reading = (time.monotonic(), counters.bytes_sent, counters.bytes_recv)
    before, _previous.net = _previous.net, reading
    if before is None or reading[0] <= before[0]:
        return {}
    elapsed = reading[0] - before[0]
    return {
        "net_sent_bytes_per_second": max(0, reading[1] - before[1]) / elapsed,
        "net_recv_bytes_per_second": max(0, reading[2] - before[2]) / elapsed,
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
        return (
            proc.exe() == sys.executable
            or Path(proc.exe()).resolve() == Path(sys.executable).resolve()
        )
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
