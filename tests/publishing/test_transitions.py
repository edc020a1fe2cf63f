import pytest

from publishing.models import PublishingTask, TaskTransition
from publishing.services.transitions import ALLOWED, TransitionError, task_transition
from tests.fixtures.publishing import TaskFactory

S = PublishingTask.Status
pytestmark = pytest.mark.django_db


def test_every_status_has_a_rule():
    assert set(ALLOWED) == set(S.values)


def test_it_refuses_to_move_a_published_task_anywhere():
    task = TaskFactory(status=S.PUBLISHED, post_id="123")
    for target in S.values:
        with pytest.raises(TransitionError, match="cannot go from published"):
            task_transition(task=task, to=target, actor="test")
    task.refresh_from_db()
    assert task.status == S.PUBLISHED


def test_it_records_who_moved_the_task_and_why():
    task = TaskFactory()
    assert task_transition(task=task, to=S.CANCELLED, actor="user:alice", reason="not today")
    row = TaskTransition.objects.get(task=task)
    assert (row.from_status, row.to_status, row.actor, row.reason) == (
        S.PENDING,
        S.CANCELLED,
        "user:alice",
        "not today",
    )


def test_it_loses_the_race_when_another_worker_moved_the_task_first():
    task = TaskFactory()
    stale = PublishingTask.objects.get(pk=task.pk)
    assert task_transition(task=task, to=S.PUBLISHING, actor="worker-1", claimed_by="worker-1")
    assert not task_transition(task=stale, to=S.PUBLISHING, actor="worker-2", claimed_by="w2")
    task.refresh_from_db()
    assert task.claimed_by == "worker-1"
    assert TaskTransition.objects.filter(task=task).count() == 1


def test_it_applies_extra_fields_with_the_move():
    task = TaskFactory(status=S.PUBLISHING)
    task_transition(task=task, to=S.PUBLISHED, actor="dispatcher", post_id="99")
    task.refresh_from_db()
    assert (task.status, task.post_id) == (S.PUBLISHED, "99")
