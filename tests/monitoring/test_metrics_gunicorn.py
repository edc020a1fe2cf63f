"""/metrics under real gunicorn with several workers: every scrape, whichever worker
answers it, reports the requests of all of them, also of workers that were replaced."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> bytes:
    # A new connection each time, so the workers share the requests between them.
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (http://127.0.0.1)
        return response.read()


def live_requests(base: str) -> float:
    text = get(f"{base}/metrics").decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "twitterpub_http_requests_total"
                and sample.labels["endpoint"] == "health-live"
            ):
                return sample.value
    return 0.0


@pytest.fixture
def gunicorn(processes, tmp_path):
    port, folder = free_port(), tmp_path / "prometheus"
    env = {**processes.env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    proc = subprocess.Popen(
        [
            GUNICORN,
            "twitterpub.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--max-requests",
            "5",
        ],
        cwd=settings.BASE_DIR,  # where gunicorn.conf.py is
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            get(f"{base}/health/live")
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"gunicorn did not start: {proc.stderr.read().decode()[-2000:]}")
    yield base, proc, folder
    proc.terminate()
    proc.wait(timeout=30)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    )
    return [int(pid) for pid in out.stdout.split()]


def replace_workers(master: int) -> None:
    """SIGTERM every worker and wait for gunicorn to start new ones."""
    old = worker_pids(master)
    for pid in old:
        os.kill(pid, signal.SIGTERM)
    for _ in range(300):
        current = worker_pids(master)
        if len(current) == len(old) and not set(current) & set(old):
            return
        time.sleep(0.1)
    pytest.fail("gunicorn did not replace its workers")


def test_every_scrape_sums_all_workers_dead_or_alive(gunicorn):
    base, proc, folder = gunicorn
    start = live_requests(base)
    for _ in range(10):
        get(f"{base}/health/live")
    replace_workers(proc.pid)
    for _ in range(10):
        get(f"{base}/health/live")
    # Counted by at least two processes (one of them dead), whichever worker answers:
    assert len(list(folder.glob("counter_*.db"))) >= 2
    assert {live_requests(base) for _ in range(8)} == {start + 20}
