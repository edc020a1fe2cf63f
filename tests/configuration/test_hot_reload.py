"""Hot reload observed in a running worker: a dispatcher process applies a stored
version without a restart, and says so in its log."""

import queue
import threading

import pytest

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
