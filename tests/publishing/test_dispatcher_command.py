"""The dedicated dispatcher process stops cleanly when asked."""

import signal

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_the_dispatcher_command_exits_on_sigterm(processes):
    proc = processes.spawn("dispatcher")
    assert "dispatcher started" in proc.stderr.readline()  # its handlers are in place

    proc.send_signal(signal.SIGTERM)

    assert proc.wait(timeout=60) == 0


def test_qcluster_stops_without_waiting_out_a_running_dispatcher_loop(processes):
    # The publishing.dispatch schedule (created by migration) starts a 90 s loop.
    proc = processes.spawn("qcluster")
    for line in proc.stderr:
        if "processing" in line and "publishing.tasks.dispatch_due" in line:
            break  # a worker is inside the loop now

    proc.send_signal(signal.SIGTERM)

    # Well inside the loop's 90 s: django-q2 alone would wait for it to run out.
    assert proc.wait(timeout=60) == 0
    assert "dispatch_due" in proc.stderr.read()  # the loop returned and was recorded
