"""Hot reload observed in running processes: a dispatcher and a web server apply a
stored version without a restart."""

import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
PATIENCE = 60.0  # generous: the machine is shared; the wait is for an event, not a deadline


class LogWatcher:
    """Reads a process's stderr in a thread, so the test can wait for a line."""

    def __init__(self, stream):
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str) -> str:
        while True:
            try:
                line = self.lines.get(timeout=PATIENCE)
            except queue.Empty:
                seen = "\n".join(self.seen)
                raise AssertionError(f"never logged {text!r}; log:\n{seen}") from None
            self.seen.append(line)
            if text in line:
                return line


def test_a_running_dispatcher_applies_each_new_version_without_a_restart(processes, tmp_path):
    worker = processes.spawn("dispatcher")
    log = LogWatcher(worker.stderr)
    log.wait_for("Configuration the defaults (settings) in force")

    busier = tmp_path / "busier.yaml"
    busier.write_text("publishing:\n  max_concurrent_tasks: 3\n")
    processes.run("config", "import", str(busier))
    applied = log.wait_for("Configuration version 1 in force")

    assert "publishing.max_concurrent_tasks: 1 → 3" in applied
    calmer = tmp_path / "calmer.yaml"
    calmer.write_text("publishing:\n  max_concurrent_tasks: 2\n")
    processes.run("config", "import", str(calmer))
    again = log.wait_for("Configuration version 2 in force")

    assert "publishing.max_concurrent_tasks: 3 → 2" in again
    assert worker.poll() is None  # the same process, never restarted


GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code
    except OSError:
        return 0  # not listening yet


def test_a_running_web_server_applies_new_api_rates_without_a_restart(processes, tmp_path):
    key = processes.run("apikey", "create", "--user", "ops", "--role", "Admin", "--create-user")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/config/"
    # One worker: throttle counts live in its local memory cache.
    server = subprocess.Popen(
        [GUNICORN, "twitterpub.wsgi:application", "--bind", f"127.0.0.1:{port}", "-w", "1"],
        cwd=settings.BASE_DIR,
        env=processes.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    processes.procs.append(server)
    answers = [status(url, key.strip())]
    while answers[-1] != 200 and len(answers) < 300:
        time.sleep(0.2)
        answers.append(status(url, key.strip()))
    assert answers[-1] == 200, answers[-5:]

    slow = tmp_path / "slow.yaml"
    slow.write_text("security:\n  api_throttle: {apikey: 3/min}\n")
    processes.run("config", "import", str(slow))

    # At 600/min nothing is refused; the server refuses once it runs the new version.
    deadline = time.monotonic() + PATIENCE
    while answers[-1] != 429 and time.monotonic() < deadline:
        time.sleep(0.5)
        answers.append(status(url, key.strip()))
    assert answers[-1] == 429
    assert server.poll() is None  # the same server, never restarted
