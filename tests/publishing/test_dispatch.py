"""The dispatcher against the real xdk client and the loopback emulator."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import PublishingLog, PublishingTask, TaskTransition
from publishing.services import dispatch
from publishing.services.dispatch import dispatch_once, task_claim, tasks_claim
from tests.fixtures.content import write_media
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory, XAccountFactory

S = PublishingTask.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def media_project(tmp_path):
    write_media(tmp_path / "videos" / "clip.mp4")
    write_media(tmp_path / "images" / "a.jpg")
    return ProjectRowFactory(path=str(tmp_path), made_with_ai=True)


def test_it_publishes_a_due_task_and_records_the_post_id_at_once(sandbox_account, xsandbox):
    task = TaskFactory(account=sandbox_account, text="Hello, X")

    report = dispatch_once()

    task.refresh_from_db()
    (post,) = xsandbox.posts()
    assert (report.published, task.status, task.post_id) == (1, S.PUBLISHED, post["id"])
    assert post["text"] == "Hello, X"
    log = PublishingLog.objects.get(task=task)
    assert (log.status, log.post_id) == ("success", post["id"])


def test_it_uploads_media_and_attaches_it_to_the_post(sandbox_account, xsandbox, media_project):
    task = TaskFactory(
        account=sandbox_account,
        project=media_project,
        content_path="videos/clip.mp4",
        media_paths=["videos/clip.mp4"],
        has_media=True,
    )

    dispatch_once()

    (post,) = xsandbox.posts()
    (media,) = xsandbox.media()
    assert post["media_ids"] == [media["id"]]
    assert post["made_with_ai"] is True
    task.refresh_from_db()
    assert task.status == S.PUBLISHED


def test_it_leaves_tasks_that_are_not_due_yet(sandbox_account, xsandbox):
    TaskFactory(account=sandbox_account, scheduled_at=timezone.now() + timedelta(hours=1))

    assert dispatch_once().claimed == 0
    assert xsandbox.posts() == []


def test_publishing_now_ignores_the_schedule(sandbox_account, xsandbox):
    TaskFactory(account=sandbox_account, scheduled_at=timezone.now() + timedelta(hours=1))

    assert dispatch_once(ignore_schedule=True).published == 1
    assert len(xsandbox.posts()) == 1


def test_higher_priority_goes_first(sandbox_account, xsandbox):
    earlier = timezone.now() - timedelta(minutes=5)
    TaskFactory(account=sandbox_account, text="low", priority=0, scheduled_at=earlier)
    TaskFactory(account=sandbox_account, text="high", priority=5)

    dispatch_once(limit=1)

    assert [p["text"] for p in xsandbox.posts()] == ["high"]


def test_wrong_credentials_pause_the_account_instead_of_burning_the_queue(
    xsandbox_settings, xsandbox
):
    account = XAccountFactory(consumer_secret="wrong")
    first, second = TaskFactory(account=account), TaskFactory(account=account)

    report = dispatch_once()

    first.refresh_from_db()
    account.refresh_from_db()
    assert report.claimed == 1  # the second task is held back, not sent to fail
    assert (first.status, first.error_class, first.attempts) == (S.RETRY_WAIT, "auth", 0)
    assert account.paused and "401" in account.paused_reason
    assert PublishingLog.objects.get(task=first).http_status == 401
    assert PublishingTask.objects.get(pk=second.pk).status == S.PENDING


def test_a_server_error_after_sending_leaves_the_outcome_unknown(sandbox_account, xsandbox):
    xsandbox.set_faults({"endpoint": "POST /2/tweets", "action": "error", "status": 503})
    task = TaskFactory(account=sandbox_account)

    report = dispatch_once()

    task.refresh_from_db()
    assert (report.unknown, task.status, task.error_class) == (1, S.UNKNOWN, "system")


def test_a_dropped_connection_after_x_accepted_is_unknown_not_failed(sandbox_account, xsandbox):
    xsandbox.set_faults({"endpoint": "POST /2/tweets", "action": "accept_then_drop"})
    task = TaskFactory(account=sandbox_account)

    dispatch_once()

    task.refresh_from_db()
    assert task.status == S.UNKNOWN
    assert task.error_class == "network"
    assert len(xsandbox.posts()) == 1  # the post exists: resending blindly would double it


def test_content_x_refuses_waits_for_review_and_is_not_sent_again(sandbox_account, xsandbox):
    task = TaskFactory(account=sandbox_account, text="x" * 300)  # X refuses: too long
    dispatch_once()

    assert dispatch_once().claimed == 0
    task.refresh_from_db()
    assert (task.status, task.attempts, task.error_class) == (S.NEEDS_REVIEW, 1, "content")


def test_a_missing_media_file_waits_to_retry_without_posting(
    sandbox_account, xsandbox, media_project
):
    task = TaskFactory(
        account=sandbox_account,
        project=media_project,
        content_path="videos/gone.mp4",
        media_paths=["videos/gone.mp4"],
        has_media=True,
    )

    dispatch_once()

    task.refresh_from_db()
    assert (task.status, task.error_class) == (S.RETRY_WAIT, "media")
    assert task.next_attempt_at > timezone.now() - timedelta(seconds=1)
    assert "videos/gone.mp4 is missing" in task.last_error
    assert xsandbox.posts() == []


def test_a_media_path_escaping_the_project_is_refused(sandbox_account, xsandbox, media_project):
    task = TaskFactory(
        account=sandbox_account,
        project=media_project,
        content_path="x.jpg",
        media_paths=["../../etc/passwd"],
        has_media=True,
    )

    dispatch_once()

    task.refresh_from_db()
    assert (task.status, task.error_class) == (S.NEEDS_REVIEW, "content")
    assert xsandbox.posts() == []


def test_a_task_without_any_account_waits_with_advice(db):
    task = TaskFactory(account=None)

    dispatch_once()

    task.refresh_from_db()
    assert task.status == S.RETRY_WAIT
    assert "manage.py account add" in task.last_error


def test_a_second_claim_on_the_same_task_loses(sandbox_account):
    task = TaskFactory(account=sandbox_account)
    copy = PublishingTask.objects.get(pk=task.pk)
    now = timezone.now()

    assert task_claim(task=task, worker="w1", now=now)
    assert not task_claim(task=copy, worker="w2", now=now)


def test_a_late_task_is_marked_missed_when_the_project_skips_late_posts(sandbox_account, xsandbox):
    project = ProjectRowFactory(missed_policy="skip", missed_after_minutes=30)
    task = TaskFactory(
        account=sandbox_account,
        project=project,
        scheduled_at=timezone.now() - timedelta(hours=2),
    )

    report = dispatch_once()

    task.refresh_from_db()
    assert (report.missed, task.status) == (1, S.MISSED)
    assert xsandbox.posts() == []


def test_a_late_task_is_published_when_the_project_allows_late_posts(sandbox_account, xsandbox):
    project = ProjectRowFactory(missed_policy="publish_late", missed_after_minutes=30)
    TaskFactory(
        account=sandbox_account, project=project, scheduled_at=timezone.now() - timedelta(hours=2)
    )

    assert dispatch_once().published == 1


# --- the publishing pool --------------------------------------------------------------


def test_a_slot_is_refilled_as_soon_as_it_frees_while_a_slow_post_is_still_in_flight(
    db, settings, monkeypatch
):
    """No batch barrier: the third task goes out while the first is still being sent
    (here the first waits until the third has started, so a barrier would stall it)."""
    settings.MAX_CONCURRENT_TASKS = settings.MAX_CONCURRENT_PER_ACCOUNT = 3
    # Two slots (the load is "slowed") bind, not the account's limit of 3: a task that
    # is done here (the fake publish) still counts as in flight in the database.
    account = XAccountFactory()
    for text, priority in [("slow", 2), ("quick", 1), ("next", 0)]:
        TaskFactory(account=account, text=text, priority=priority)
    third_started = threading.Event()
    events = []

    def publish(*, task):
        events.append(f"start {task.text}")
        if task.text == "slow":
            third_started.wait(timeout=30)  # only a guard against hanging the suite
        third_started.set() if task.text == "next" else None
        events.append(f"end {task.text}")
        return S.PUBLISHED

    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(dispatch, "_publishing_pool", lambda: pool)
    monkeypatch.setattr(dispatch, "concurrency_now", lambda: 2)
    monkeypatch.setattr(dispatch, "task_publish", publish)
    try:
        report = dispatch_once()
    finally:
        pool.shutdown()

    assert (report.claimed, report.published) == (3, 3)
    assert events.index("start next") < events.index("end slow")


def test_the_loop_does_not_wait_for_a_passs_last_post_before_the_next_pass(
    db, settings, monkeypatch
):
    """A pass of the loop ends after DISPATCH_BATCH_SIZE claims (1 here) and leaves its
    posts in flight; the next pass claims at once. The first post waits until the
    second has started, so draining between passes would stall it."""
    settings.MAX_CONCURRENT_TASKS = settings.MAX_CONCURRENT_PER_ACCOUNT = 2
    settings.DISPATCH_BATCH_SIZE = 1
    account = XAccountFactory()
    for text, priority in [("slow", 1), ("next", 0)]:
        TaskFactory(account=account, text=text, priority=priority)
    second_started, stop = threading.Event(), dispatch.Stop()
    events = []

    def publish(*, task):
        events.append(f"start {task.text}")
        if task.text == "slow":
            second_started.wait(timeout=30)  # only a guard against hanging the suite
        else:
            second_started.set()
            stop.event.set()
        events.append(f"end {task.text}")
        return S.PUBLISHED

    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(dispatch, "_publishing_pool", lambda: pool)
    monkeypatch.setattr(dispatch, "task_publish", publish)
    try:
        total = dispatch.dispatch_loop(stop=stop)
    finally:
        pool.shutdown()

    assert (total.claimed, total.published) == (2, 2)  # the loop waited for both
    assert events.index("start next") < events.index("end slow")


def test_claiming_a_batch_takes_only_the_tasks_still_pending(db):
    account = XAccountFactory()
    tasks = [TaskFactory(account=account) for _ in range(3)]
    taken_meanwhile = PublishingTask.objects.get(pk=tasks[1].pk)
    assert task_claim(task=taken_meanwhile, worker="another worker", now=timezone.now())

    claimed = tasks_claim(tasks=tasks, worker="w1", now=timezone.now())

    assert [t.pk for t in claimed] == [tasks[0].pk, tasks[2].pk]
    rows = {t.pk: t for t in PublishingTask.objects.all()}
    assert [rows[t.pk].claimed_by for t in tasks] == ["w1", "another worker", "w1"]
    assert all(rows[t.pk].attempts == 1 for t in tasks)
    moves = TaskTransition.objects.filter(actor="dispatcher:w1")
    assert sorted(moves.values_list("task_id", flat=True)) == [tasks[0].pk, tasks[2].pk]
