"""The dedicated dispatcher process stops cleanly when asked."""

import signal

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_dispatcher_command_exits_on_sigterm(processes):
    proc = processes.spawn("dispatcher")
    assert "dispatcher started" in proc.stderr.readline()  # its handlers are in place

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(timeout=60) == 0
