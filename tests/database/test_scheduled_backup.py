"""The daily backup runs in the worker: a real qcluster picks the schedule up."""

import json

import pytest

from tests.fixtures.xsandbox import wait_until

DUE_NOW = (
    "from django.utils import timezone; from django_q.models import Schedule;"
    "Schedule.objects.filter(name='database.backup').update(next_run=timezone.now())"
)
BACKUPS = (
    "import json; from database.models import Backup;"
    "print(json.dumps(list(Backup.objects.values('kind', 'verified'))))"
)


@pytest.mark.slow
def test_the_worker_takes_the_scheduled_backup(processes, tmp_path):
    folder = tmp_path / "backups"
    processes.run("shell", "-v", "0", "-c", DUE_NOW)

    worker = processes.spawn("qcluster", BACKUP_DIR=str(folder))
    wait_until(lambda: list(folder.glob("*.json")), timeout=180)
    worker.terminate()
    worker.wait(timeout=60)

    backups = json.loads(processes.run("shell", "-v", "0", "-c", BACKUPS))
    assert backups == [{"kind": "scheduled", "verified": True}]
