"""A restore brings back the backup's moment, and never publishes a post twice: the
publisher starts paused and checks X for everything the backup still thought was due."""

import json
from collections import Counter
from pathlib import Path

import pytest

from database.models import Backup
from database.services.backups import backup_create, backup_restore
from publishing.models import PublishingTask
from publishing.services.dispatch import dispatch_once
from publishing.services.reconcile import publisher_state
from tests.fixtures.publishing import TaskFactory
from tests.fixtures.xsandbox import wait_until

S = PublishingTask.Status

WRITER = """
from pathlib import Path
from django.contrib.auth.models import Group
flag = Path({flag!r})
n = 0
while True:
    Group.objects.create(name=f"writer-{{n:07d}}")
    n += 1
    if n == 50:
        flag.write_text("writing")
"""
WRITER_ROWS = (
    "from django.contrib.auth.models import Group;"
    "print(list(Group.objects.filter(name__startswith='writer-')"
    ".order_by('name').values_list('name', flat=True)))"
)


@pytest.mark.slow
def test_a_backup_taken_while_a_writer_inserts_restores_one_consistent_moment(processes, tmp_path):
    flag, folder = tmp_path / "writing", str(tmp_path / "backups")
    writer = processes.spawn("shell", "-c", WRITER.format(flag=str(flag)))
    wait_until(flag.exists, timeout=120)

    backup = json.loads(processes.run("db", "backup", "--json", BACKUP_DIR=folder))
    # The writer went on after the snapshot.
    wait_until(lambda: _rows(processes) > backup["row_counts"]["auth_group"], timeout=60)
    assert writer.poll() is None
    writer.kill()
    writer.wait()
    live = _names(processes)
    restored = json.loads(
        processes.run(
            "db", "restore", backup["path"], "--json", "--no-reconcile", BACKUP_DIR=folder
        )
    )

    names = _names(processes)
    assert backup["verified"] is True
    assert restored["row_counts"] == backup["row_counts"]
    assert restored["matches_manifest"] is True
    # One moment of the writer's history: its first n rows, none missing in between.
    assert names == [f"writer-{n:07d}" for n in range(len(names))]
    assert 50 <= len(names) < len(live)
    assert names == live[: len(names)]


def _names(processes) -> list[str]:
    return json.loads(_python(processes, WRITER_ROWS).replace("'", '"'))


def _rows(processes) -> int:
    code = "from django.contrib.auth.models import Group; print(Group.objects.count())"
    return int(_python(processes, code))


def _python(processes, code: str) -> str:
    return processes.run("shell", "-v", "0", "-c", code)


@pytest.mark.django_db(transaction=True)
def test_after_a_restore_posts_sent_since_the_backup_are_not_published_again(
    sandbox_account, xsandbox, backup_dir
):
    before = [TaskFactory(account=sandbox_account, text=f"Before the backup {n}") for n in range(2)]
    dispatch_once()
    after = [TaskFactory(account=sandbox_account, text=f"After the backup {n}") for n in range(4)]
    backup = backup_create(name="midday")
    # The old system goes on: three of the four go out after the backup was taken.
    dispatch_once(limit=3)
    assert len(xsandbox.posts()) == 5

    report = backup_restore(path=Path(backup.path), safety_backup=False, reconcile=False)

    # The restored database believes the later posts are still waiting to go out.
    assert (report.backup, report.matches_manifest) == ("midday", True)
    assert {t.status for t in PublishingTask.objects.filter(pk__in=[t.pk for t in after])} == {
        S.PENDING
    }
    state = publisher_state()
    assert (state.paused, state.reconcile_required) == (True, True)
    assert state.reason.startswith("restore: from midday")

    dispatch_once()  # reconciles with X first, then publishes what never went out

    posts = xsandbox.posts()
    assert Counter(p["text"] for p in posts) == Counter(t.text for t in before + after)
    assert all(n == 1 for n in Counter(p["text"] for p in posts).values())
    by_text = {p["text"]: p["id"] for p in posts}
    for task in PublishingTask.objects.all():
        assert (task.status, task.post_id) == (S.PUBLISHED, by_text[task.text])
    state = publisher_state()
    assert (state.paused, state.reconcile_required) == (False, False)


@pytest.mark.django_db(transaction=True)
def test_a_restore_takes_a_safety_backup_and_remembers_later_backups(backup_dir):
    first = backup_create(name="first")
    backup_create(name="second")  # taken after "first": the restored table lacks it

    report = backup_restore(path=Path(first.path), reconcile=False)

    names = set(Backup.objects.values_list("name", flat=True))
    assert {"first", "second", report.safety_backup} <= names
    assert Backup.objects.get(name=report.safety_backup).kind == Backup.Kind.SAFETY


@pytest.mark.django_db(transaction=True)
def test_an_operators_pause_in_the_backup_survives_the_restore(backup_dir):
    state = publisher_state()
    state.paused, state.reason = True, "maintenance"
    state.save()
    backup = backup_create(name="paused")

    backup_restore(path=Path(backup.path), safety_backup=False, reconcile=True)

    state = publisher_state()
    assert (state.paused, state.reason, state.reconcile_required) == (True, "maintenance", False)
