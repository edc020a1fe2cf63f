"""django-q2's `qcluster`, with a stop that does not wait out a dispatcher loop.

django-q2 stops by letting each worker finish its current task, and a worker running
`publishing.tasks.dispatch_due` is in a 90 s loop. On SIGTERM or SIGINT this cluster
first sends SIGINT to its worker processes: a dispatcher loop ends after recording the
posts in flight (publishing.tasks installs that handler only while it runs; django-q2's
own processes ignore SIGINT). Then django-q2 stops as usual. This app is listed before
django_q in INSTALLED_APPS so that this command is the one `manage.py qcluster` runs."""

import os
import signal
from contextlib import suppress

import psutil
from django_q.cluster import Cluster
from django_q.management.commands import qcluster


class GracefulCluster(Cluster):
    def sig_handler(self, signum, frame):
        workers_interrupt()
        super().sig_handler(signum, frame)


def workers_interrupt() -> None:
    for child in psutil.Process(os.getpid()).children(recursive=True):
        with suppress(psutil.NoSuchProcess):  # already gone: nothing to stop
            child.send_signal(signal.SIGINT)


class Command(qcluster.Command):
    help = (
        "Start the django-q2 worker cluster (schedules: dispatcher, monitoring, backups). "
        "SIGTERM or Ctrl-C stops it after the posts in flight are recorded."
    )

    def handle(self, *args, **options):
        qcluster.Cluster = GracefulCluster  # the parent's handle builds `Cluster()`
        super().handle(*args, **options)
