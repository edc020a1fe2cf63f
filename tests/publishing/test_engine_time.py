"""The engine on a controlled clock: late tasks, leases, backoff, rate-limit resets,
pauses, ordering, daily caps and load shedding. The clock is frozen with time_machine
(the emulator reads the same clock, so X's windows move with ours) and every service
that takes `now=` gets it explicitly."""

import json
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from publishing.models import PublishingTask, RateLimitState, TaskTransition, XAccount
from publishing.services import dispatch
from publishing.services.dispatch import (
    concurrency_now,
    dispatch_once,
    task_claim,
    task_publish,
)
from publishing.services.reconcile import (
    leases_expire,
    publisher_pause,
    publisher_resume,
    tasks_reconcile,
)
from publishing.services.retries import account_resume, task_fail, tasks_release_due_retries
from publishing.xclient import XError
from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory, XAccountFactory

S = PublishingTask.Status
pytestmark = pytest.mark.django_db
START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def texts(xsandbox) -> list[str]:
    return [post["text"] for post in xsandbox.posts()]


def reloaded(task: PublishingTask) -> PublishingTask:
    task.refresh_from_db()
    return task


# --- the missed policy ----------------------------------------------------------------


def test_a_task_later_than_the_window_is_missed_and_says_how_late_it_was(
    clock, sandbox_account, xsandbox
):
    project = ProjectRowFactory(missed_policy="skip", missed_after_minutes=30)
    task = TaskFactory(
        account=sandbox_account, project=project, scheduled_at=START - timedelta(minutes=47)
    )

    report = dispatch_once(now=START)

    assert (report.missed, report.claimed, reloaded(task).status) == (1, 0, S.MISSED)
    transition = TaskTransition.objects.get(task=task)
    assert transition.reason.startswith("47 minutes late")
    assert xsandbox.posts() == []


def test_a_task_exactly_at_the_end_of_the_window_still_goes_out(clock, sandbox_account, xsandbox):
    project = ProjectRowFactory(missed_policy="skip", missed_after_minutes=30)
    task = TaskFactory(
        account=sandbox_account,
        project=project,
        text="just in time",
        scheduled_at=START - timedelta(minutes=30),
    )

    assert dispatch_once(now=START).published == 1
    assert (reloaded(task).status, texts(xsandbox)) == (S.PUBLISHED, ["just in time"])


def test_a_project_that_publishes_late_sends_a_task_hours_late(clock, sandbox_account, xsandbox):
    project = ProjectRowFactory(missed_policy="publish_late", missed_after_minutes=30)
    task = TaskFactory(
        account=sandbox_account, project=project, scheduled_at=START - timedelta(hours=5)
    )

    report = dispatch_once(now=START)

    task = reloaded(task)
    assert (report.published, report.missed, task.status) == (1, 0, S.PUBLISHED)
    assert task.published_at == START


# --- leases ---------------------------------------------------------------------------


@pytest.fixture
def lease(settings) -> timedelta:
    settings.PUBLISH_LEASE_SECONDS = 300
    return timedelta(seconds=300)


def test_a_claim_holds_until_its_lease_runs_out_and_not_a_second_longer(db, lease):
    task = TaskFactory()
    assert task_claim(task=task, worker="w1", now=START)
    assert reloaded(task).lease_expires_at == START + lease

    assert leases_expire(now=START + lease - SECOND) == 0
    assert leases_expire(now=START + lease) == 0
    assert reloaded(task).status == S.PUBLISHING

    assert leases_expire(now=START + lease + SECOND) == 1
    task = reloaded(task)
    assert (task.status, task.lease_expires_at, task.claimed_at) == (S.UNKNOWN, None, START)


def test_a_claimed_task_is_not_sent_again_while_its_lease_runs(
    clock, lease, sandbox_account, xsandbox
):
    task = TaskFactory(account=sandbox_account)
    task_claim(task=task, worker="a worker that is still uploading", now=START)

    clock.move_to(START + lease - SECOND)
    report = dispatch_once()

    assert (report.claimed, reloaded(task).status, xsandbox.posts()) == (0, S.PUBLISHING, [])


def test_a_worker_slower_than_its_lease_does_not_send_a_task_taken_over_meanwhile(
    clock, lease, sandbox_account, xsandbox
):
    task = TaskFactory(account=sandbox_account, text="one video, one post")
    slow = PublishingTask.objects.get(pk=task.pk)
    task_claim(task=slow, worker="stuck in a video upload", now=START)
    clock.move_to(START + lease + SECOND)
    leases_expire(now=timezone.now())
    tasks_reconcile(now=timezone.now())  # nothing on X: safe to resend
    assert dispatch_once().published == 1

    assert task_publish(task=slow) == S.PUBLISHED  # what the task is: not sent again

    # One create in all: X's own duplicate refusal is not what stopped the second.
    assert xsandbox.request_counts()["POST /2/tweets"] == 1
    assert texts(xsandbox) == ["one video, one post"]


def test_a_worker_slower_than_its_lease_still_sends_if_nobody_took_the_task_over(
    clock, lease, sandbox_account, xsandbox
):
    task = TaskFactory(account=sandbox_account)
    task_claim(task=task, worker="slow but alive", now=START)
    clock.move_to(START + lease + SECOND)  # expired, but no sweep has run

    assert task_publish(task=task) == S.PUBLISHED
    assert leases_expire(now=timezone.now()) == 0
    assert len(xsandbox.posts()) == 1


# --- backoff --------------------------------------------------------------------------


class _Ceiling:
    """The top of every jitter window: makes full-jitter backoff deterministic."""

    def uniform(self, low: float, high: float) -> float:
        return high


def test_backoff_doubles_with_each_attempt_up_to_the_cap_then_gives_up(db, settings, monkeypatch):
    settings.PUBLISH_RETRY_POLICIES = {
        "network": {"base": 5, "cap": 30, "max_attempts": 6},
        "unknown": {"base": 60, "cap": 1800, "max_attempts": 3},
    }
    monkeypatch.setattr("publishing.services.retries._rng", _Ceiling())
    task = TaskFactory()
    error = XError("The connection to X failed: ConnectionError", error_class="network")
    now, waits = START, []

    for _ in range(5):
        task_claim(task=reloaded(task), worker="w1", now=now)
        assert task_fail(task=task, error=error, now=now, execution_time=0.1) == S.RETRY_WAIT
        due = reloaded(task).next_attempt_at
        waits.append((due - now).total_seconds())
        assert tasks_release_due_retries(now=due - SECOND) == 0
        assert tasks_release_due_retries(now=due) == 1
        now = due

    assert waits == [5, 10, 20, 30, 30]
    task_claim(task=reloaded(task), worker="w1", now=now)
    assert task_fail(task=task, error=error, now=now, execution_time=0.1) == S.FAILED
    task = reloaded(task)
    assert (task.attempts, task.last_error[:24]) == (6, "gave up after 6 attempts")
    assert tasks_release_due_retries(now=now + timedelta(days=1)) == 0


def test_an_outage_of_x_does_not_resend_a_task_beyond_its_max_attempts(
    clock, settings, sandbox_account, xsandbox
):
    """A 5xx on create is ambiguous, so reconciliation looks for the post before each
    resend; a send X never took must still count against the class's max_attempts."""
    policies = settings.PUBLISH_RETRY_POLICIES
    settings.PUBLISH_RETRY_POLICIES = {
        **policies,
        "system": {**policies["system"], "max_attempts": 3},
    }
    settings.RECONCILE_INTERVAL_SECONDS = 0
    xsandbox.set_faults({"endpoint": "POST /2/tweets", "action": "error", "status": 503})
    task = TaskFactory(account=sandbox_account)

    for minute in range(60):  # an hour of X answering 503, one pass a minute
        clock.move_to(START + timedelta(minutes=minute))
        dispatch_once()

    assert xsandbox.request_counts()["POST /2/tweets"] <= 3
    assert reloaded(task).status == S.FAILED


# --- rate limits ----------------------------------------------------------------------


def test_a_429_waits_for_x_rate_limit_reset_and_sends_exactly_then(
    clock, sandbox_account, xsandbox
):
    xsandbox.configure(rate_limits={"POST /2/tweets": 2})
    other_app = xsandbox.client()  # the same X user posting from another app
    for n in range(2):
        other_app.posts.create(body={"text": f"posted elsewhere {n}"})
    task = TaskFactory(account=sandbox_account, text="after the reset")

    report = dispatch_once()

    task = reloaded(task)
    bucket = RateLimitState.objects.get(bucket="post_15m")
    assert (report.retrying, task.status, task.error_class) == (1, S.RETRY_WAIT, "rate_limit")
    assert bucket.remaining == 0
    assert START < bucket.reset_at <= START + timedelta(minutes=15)
    assert task.next_attempt_at == bucket.reset_at + SECOND

    clock.move_to(bucket.reset_at)
    assert dispatch_once().claimed == 0
    assert reloaded(task).status == S.RETRY_WAIT

    clock.move_to(bucket.reset_at + SECOND)
    assert dispatch_once().published == 1
    assert reloaded(task).status == S.PUBLISHED
    assert texts(xsandbox)[-1] == "after the reset"
    outcomes = xsandbox.request_outcomes()["POST /2/tweets"]
    assert outcomes == {"201": 3, "429": 1}


def test_an_exhausted_budget_holds_tasks_unsent_and_is_relearned_after_its_reset(
    clock, sandbox_account, xsandbox
):
    xsandbox.configure(rate_limits={"POST /2/tweets": 2})
    tasks = [TaskFactory(account=sandbox_account, text=f"post {n}") for n in range(3)]

    report = dispatch_once()

    spent = RateLimitState.objects.get(bucket="post_15m")
    assert (report.published, spent.remaining, reloaded(tasks[2]).status) == (2, 0, S.PENDING)
    assert xsandbox.request_outcomes()["POST /2/tweets"] == {"201": 2}  # no 429 asked for
    assert dispatch_once().claimed == 0

    clock.move_to(spent.reset_at + SECOND)
    assert dispatch_once().published == 1

    relearned = RateLimitState.objects.get(bucket="post_15m")
    assert relearned.reset_at > spent.reset_at
    assert (relearned.limit, relearned.remaining) == (2, 1)


def test_the_idle_dispatcher_wakes_at_the_reset_of_an_exhausted_bucket(clock, settings):
    settings.DISPATCH_POLL_SECONDS = 60
    window = {"scope": "user:1", "bucket": "post_15m", "limit": 100}
    RateLimitState.objects.create(**window, remaining=0, reset_at=START + 7 * SECOND)
    # A bucket with posts left holds nothing back: its reset is no reason to wake.
    app = {"scope": "app", "bucket": "post_app_24h", "limit": 100}
    RateLimitState.objects.create(**app, remaining=50, reset_at=START + 3 * SECOND)

    assert dispatch._idle_seconds(deadline=None) == 7.0


def test_a_reset_already_past_is_no_reason_to_wake(clock, settings):
    settings.DISPATCH_POLL_SECONDS = 60
    window = {"scope": "user:1", "bucket": "post_15m", "limit": 100, "remaining": 0}
    RateLimitState.objects.create(**window, reset_at=START - SECOND)

    assert dispatch._idle_seconds(deadline=None) == 60


# --- pauses ---------------------------------------------------------------------------


def test_a_paused_publisher_sends_nothing_until_it_is_resumed(clock, sandbox_account, xsandbox):
    task = TaskFactory(account=sandbox_account)
    publisher_pause(reason="maintenance window", actor="admin")

    report = dispatch_once(now=START)

    assert (report.paused, report.claimed) == ("maintenance window", 0)
    assert (reloaded(task).status, xsandbox.posts()) == (S.PENDING, [])

    publisher_resume(actor="admin")

    report = dispatch_once(now=START)
    assert (report.paused, report.published) == ("", 1)


def second_account(xsandbox, **fields):
    xsandbox.add_account(user_id="1000000002", username="brand")
    return XAccountFactory(
        handle="brand",
        x_user_id="1000000002",
        access_token="1000000002-sandbox-access-token",
        access_token_secret="1000000002-sandbox-access-token-secret",
        is_default=False,
        **fields,
    )


def test_paused_projects_and_accounts_keep_their_tasks_while_the_others_publish(
    clock, sandbox_account, xsandbox
):
    brand = second_account(xsandbox, paused=True)
    through_brand = ProjectRowFactory()
    brand.projects.add(through_brand)
    tasks = {
        "paused project": TaskFactory(
            account=sandbox_account, project=ProjectRowFactory(paused=True)
        ),
        "paused account": TaskFactory(account=brand),
        "paused fallback account": TaskFactory(account=None, project=through_brand),
        "running": TaskFactory(account=sandbox_account, text="the only one"),
    }

    report = dispatch_once(now=START)

    assert (report.claimed, texts(xsandbox)) == (1, ["the only one"])
    statuses = {name: reloaded(task).status for name, task in tasks.items()}
    assert statuses == {
        "paused project": S.PENDING,
        "paused account": S.PENDING,
        "paused fallback account": S.PENDING,
        "running": S.PUBLISHED,
    }


def test_credentials_fixed_after_a_401_are_used_as_soon_as_the_account_resumes(
    clock, xsandbox_settings, xsandbox
):
    account = XAccountFactory(consumer_secret="a typo")
    task = TaskFactory(account=account)
    dispatch_once()
    account.refresh_from_db()
    assert account.paused

    XAccount.objects.filter(pk=account.pk).update(consumer_secret=DEMO_ACCOUNT.consumer_secret)
    account.refresh_from_db()
    account_resume(account=account, actor="admin")

    assert dispatch_once().published == 1
    assert reloaded(task).status == S.PUBLISHED


# --- order and daily caps -------------------------------------------------------------


def test_higher_priority_goes_first_then_the_earlier_scheduled_time(
    clock, sandbox_account, xsandbox
):
    for text, priority, minutes_ago in [
        ("low, oldest", 0, 50),
        ("high, newer", 5, 10),
        ("mid", 1, 40),
        ("high, older", 5, 20),
        ("low, newer", 0, 30),
    ]:
        TaskFactory(
            account=sandbox_account,
            text=text,
            priority=priority,
            scheduled_at=START - timedelta(minutes=minutes_ago),
        )

    assert dispatch_once(now=START).published == 5

    assert texts(xsandbox) == ["high, older", "high, newer", "mid", "low, oldest", "low, newer"]


def test_the_daily_cap_in_the_projects_time_zone_stops_a_publish_now_burst(
    sandbox_account, xsandbox
):
    tokyo = ZoneInfo("Asia/Tokyo")
    project = ProjectRowFactory(name="tokyo", timezone="Asia/Tokyo", daily_max=3)
    morning = datetime(2026, 9, 2, 1, 0, tzinfo=tokyo)  # 16:00 UTC on 1 September
    last_night = datetime(2026, 9, 1, 23, 0, tzinfo=tokyo)  # 14:00 UTC, the same UTC day
    tonight = datetime(2026, 9, 2, 0, 30, tzinfo=tokyo)
    for n, at in enumerate([last_night, tonight]):
        TaskFactory(project=project, status=S.PUBLISHED, post_id=f"9{n}", published_at=at)
    burst = [
        TaskFactory(
            account=sandbox_account, project=project, scheduled_at=morning + timedelta(days=1)
        )
        for _ in range(5)
    ]

    with time_machine.travel(morning, tick=False) as traveller:
        first = publish_now("tokyo")
        traveller.move_to(datetime(2026, 9, 3, 0, 5, tzinfo=tokyo))
        second = publish_now("tokyo")

    assert (first["published"], second["published"]) == (2, 3)
    assert [reloaded(task).status for task in burst] == [S.PUBLISHED] * 5
    assert len(xsandbox.posts()) == 5


def publish_now(project: str) -> dict:
    out = StringIO()
    call_command("publish", "--now", "--project", project, "--json", stdout=out)
    return json.loads(out.getvalue())


# --- load shedding --------------------------------------------------------------------


@pytest.fixture
def load(settings, monkeypatch):
    """Sets the CPU and memory the dispatcher sees, with no CPU history behind them."""
    settings.RESOURCE_THRESHOLDS = {
        "cpu_slow": 80.0,
        "cpu_pause": 95.0,
        "memory_slow": 70.0,
        "memory_pause": 90.0,
    }
    reading = SimpleNamespace(cpu=0.0, memory=0.0)
    monkeypatch.setattr(dispatch, "_load", dispatch._Load())
    monkeypatch.setattr(dispatch.psutil, "cpu_percent", lambda interval=None: reading.cpu)
    monkeypatch.setattr(
        dispatch.psutil, "virtual_memory", lambda: SimpleNamespace(percent=reading.memory)
    )

    def set_load(*, cpu: float, memory: float) -> None:
        reading.cpu, reading.memory = cpu, memory

    return set_load


@pytest.mark.parametrize(
    ("cpu", "memory", "slots"),
    [
        (10, 10, 4),
        (79.9, 69.9, 4),
        (80, 10, 2),
        (10, 70, 2),
        (94.9, 89.9, 2),
        (95, 10, 0),
        (10, 90, 0),
        (100, 100, 0),
    ],
)
def test_concurrency_halves_when_busy_and_stops_when_critical(settings, load, cpu, memory, slots):
    settings.MAX_CONCURRENT_TASKS = 4
    load(cpu=cpu, memory=memory)

    assert concurrency_now() == slots


def test_a_busy_machine_still_publishes_one_at_a_time(settings, load):
    settings.MAX_CONCURRENT_TASKS = 1
    load(cpu=85, memory=10)

    assert concurrency_now() == 1


def test_without_a_cpu_pause_level_a_saturated_cpu_only_slows_dispatch(settings, load):
    settings.MAX_CONCURRENT_TASKS = 4
    settings.RESOURCE_THRESHOLDS = {**settings.RESOURCE_THRESHOLDS, "cpu_pause": None}
    load(cpu=100, memory=10)

    assert concurrency_now() == 2


def test_one_busy_second_does_not_slow_dispatch_but_a_busy_minute_does(settings, load):
    settings.MAX_CONCURRENT_TASKS = 4
    load(cpu=10, memory=10)
    assert concurrency_now() == 4

    # The average moves by (elapsed / 30 s) of the way: one second of 100% barely shows.
    dispatch._load.sampled = time.monotonic() - 1
    load(cpu=100, memory=10)
    assert concurrency_now() == 4

    dispatch._load.sampled = time.monotonic() - 60
    assert concurrency_now() == 0


def test_a_critical_load_pauses_dispatch_and_leaves_tasks_due(
    clock, load, sandbox_account, xsandbox
):
    task = TaskFactory(account=sandbox_account)
    load(cpu=10, memory=95)

    assert dispatch_once(now=START).claimed == 0
    assert (reloaded(task).status, xsandbox.posts()) == (S.PENDING, [])

    load(cpu=10, memory=10)
    assert dispatch_once(now=START).published == 1
