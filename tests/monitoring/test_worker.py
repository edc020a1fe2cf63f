"""The real worker: `manage.py qcluster` runs the monitoring schedule the migration
created, and its minute pass samples, checks in and makes /health/ready's worker
check pass."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.fixtures.processes import MANAGE

pytestmark = pytest.mark.slow

STATE = (
    "import json; from monitoring.models import PerformanceMetric, WorkerHeartbeat;"
    "from monitoring.health import check_worker; from django.utils import timezone;"
    "print(json.dumps({'samples': PerformanceMetric.objects.count(),"
    " 'hosts': WorkerHeartbeat.objects.count(),"
    " 'worker_ok': check_worker(timezone.now())[0]}))"
)


def test_the_worker_samples_every_minute_and_checks_in(processes, tmp_path):
    log = (tmp_path / "qcluster.log").open("w")
    cluster = subprocess.Popen(
        [sys.executable, MANAGE, "qcluster"],
        env=processes.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        state = {}
        deadline = time.monotonic() + 120  # django-q2's scheduler ticks every ~30 s
        while time.monotonic() < deadline:
            state = json.loads(processes.python(STATE).strip().splitlines()[-1])
            if state["samples"]:
                break
            time.sleep(3)
        assert state["samples"] >= 10, (tmp_path / "qcluster.log").read_text()[-2000:]
        assert state["hosts"] == 1
        assert state["worker_ok"] is True
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=30)
        log.close()
