"""Gunicorn reads this file from the working folder by default (`make run`, the Docker
image). It makes /metrics correct with several workers: prometheus-client's
multiprocess mode keeps each worker's counters in files under PROMETHEUS_MULTIPROC_DIR
and sums them at scrape time (docs/monitoring.md)."""

import os
import tempfile
from pathlib import Path

# Before any worker imports prometheus_client: it picks its storage at import time.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="twitterpub-prometheus-")


def on_starting(server):
    """Start from empty files: counters left by an earlier run would be summed in."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server, worker):
    """A dead worker's live gauges must not be reported; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
