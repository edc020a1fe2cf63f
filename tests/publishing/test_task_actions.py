"""Operator actions on tasks and the publisher switch, through services and commands."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from publishing.models import PublishingTask, TaskTransition
from publishing.services.dispatch import dispatch_once
from publishing.services.task_actions import (
    task_approve,
    task_cancel,
    task_edit_text,
    task_publish_now,
    task_retry,
)
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory

S = PublishingTask.Status
pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cancel_records_the_operator_and_refuses_a_published_task():
    task = TaskFactory()
    task_cancel(task=task, actor="user:ann")
    assert TaskTransition.objects.get(task=task).actor == "user:ann"

    done = TaskFactory(status=S.PUBLISHED, post_id="7")
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        task_cancel(task=done, actor="user:ann")


def test_retry_queues_a_failed_task_again_and_clears_its_error():
    task = TaskFactory(status=S.FAILED, last_error="gave up", error_class="network")
    task_retry(task=task, actor="user:ann")
    task.refresh_from_db()
    assert (task.status, task.last_error, task.error_class) == (S.PENDING, "", "")


def test_retry_refuses_a_task_that_is_publishing():
    task = TaskFactory(status=S.PUBLISHING)
    with pytest.raises(ValidationError, match="only failed"):
        task_retry(task=task, actor="user:ann")


def test_publish_now_makes_a_future_task_due(sandbox_account, xsandbox):
    task = TaskFactory(account=sandbox_account, scheduled_at=timezone.now() + timedelta(days=1))
    task_publish_now(task=task, actor="user:ann")
    assert dispatch_once().published == 1


def test_a_paused_publisher_sends_nothing_until_resumed(sandbox_account, xsandbox):
    TaskFactory(account=sandbox_account)
    run("publisher", "pause", "--reason", "campaign review")

    report = dispatch_once()
    status = json.loads(run("publisher", "status", "--json"))

    assert (report.claimed, report.paused) == (0, "campaign review")
    assert status["paused"] and status["tasks"] == {"pending": 1}
    run("publisher", "resume")
    assert dispatch_once().published == 1


def test_a_paused_project_waits_while_others_publish(sandbox_account, xsandbox):
    quiet = ProjectRowFactory(name="quiet")
    TaskFactory(account=sandbox_account, project=quiet, text="quiet one")
    TaskFactory(account=sandbox_account, text="loud one")
    run("publisher", "pause", "--project", "quiet")

    dispatch_once()

    assert [p["text"] for p in xsandbox.posts()] == ["loud one"]


def test_pausing_an_unknown_project_is_a_clear_error(db):
    with pytest.raises(CommandError, match="Unknown project 'nope'"):
        run("publisher", "pause", "--project", "nope")


def test_a_paused_account_holds_its_tasks_and_resume_releases_them(sandbox_account, xsandbox):
    TaskFactory(account=sandbox_account)
    run("publisher", "pause", "--account", sandbox_account.handle)
    assert dispatch_once().claimed == 0

    run("publisher", "resume", "--account", sandbox_account.handle)
    assert dispatch_once().published == 1


def test_a_project_that_requires_approval_publishes_only_approved_tasks(sandbox_account, xsandbox):
    project = ProjectRowFactory(requires_approval=True)
    waiting = TaskFactory(account=sandbox_account, project=project, text="not yet")
    approved = TaskFactory(account=sandbox_account, project=project, text="go ahead")
    task_approve(task=approved, actor="user:ann")

    dispatch_once()

    assert [p["text"] for p in xsandbox.posts()] == ["go ahead"]
    waiting.refresh_from_db()
    assert waiting.status == S.PENDING


def test_an_edited_text_is_validated_and_survives_a_rescan(sandbox_account):
    task = TaskFactory(account=sandbox_account, text="draft")
    with pytest.raises(ValidationError, match="limit is 280"):
        task_edit_text(task=task, text="字" * 141, actor="user:ann")

    task_edit_text(task=task, text="  Final words  ", actor="user:ann")

    task.refresh_from_db()
    assert (task.text, task.weighted_length, task.text_origin) == ("Final words", 11, "edited")


def test_the_text_of_a_published_task_cannot_change(sandbox_account):
    task = TaskFactory(account=sandbox_account, status=S.PUBLISHED, post_id="1")
    with pytest.raises(ValidationError, match="can no longer change"):
        task_edit_text(task=task, text="too late", actor="user:ann")
