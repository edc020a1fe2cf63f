"""A dispatcher loop, in its own process or in a django-q2 worker, stops on SIGTERM or
SIGINT after recording the posts in flight, and gives the signals back afterwards."""

import signal
import threading

import pytest

from publishing import tasks
from publishing.services.dispatch import DispatchReport, Stop


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_sets_the_stop_and_the_old_handler_comes_back(signum):
    before = signal.getsignal(signum)

    with Stop.on_signals() as stop:
        assert not stop
        signal.raise_signal(signum)
        assert stop

    assert signal.getsignal(signum) is before


def test_outside_the_main_thread_no_handler_is_installed():
    seen = {}

    def run():
        with Stop.on_signals() as stop:
            seen["handler"] = signal.getsignal(signal.SIGTERM)
            seen["stop"] = bool(stop)

    before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()

    assert seen == {"handler": before, "stop": False}


def test_the_worker_task_hands_its_loop_a_stop_the_signals_set(monkeypatch):
    handed = {}

    def loop(*, seconds, stop):
        signal.raise_signal(signal.SIGTERM)  # as the cluster's stop would send
        handed["seconds"], handed["stopped"] = seconds, bool(stop)
        return DispatchReport()

    monkeypatch.setattr(tasks, "dispatch_loop", loop)

    tasks.dispatch_due()

    assert handed == {"seconds": tasks.LOOP_SECONDS, "stopped": True}
