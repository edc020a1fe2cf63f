"""A task's whole life as a hypothesis state machine: claims, sends that X answers in
every way it can, dead workers, reconciliation, retries, operators and paused accounts,
interleaved at random over a few tasks. Everything goes through the real services, the
real xdk client and the loopback emulator; the clock is frozen (time_machine, which the
emulator reads too) and only the rules move it, passing `now=` explicitly."""

from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from projects.models import Project
from publishing.models import PublishingTask, XAccount
from publishing.services.dispatch import task_claim, task_publish
from publishing.services.reconcile import leases_expire, tasks_reconcile
from publishing.services.retries import account_resume, tasks_release_due_retries
from publishing.services.task_actions import RETRYABLE, task_cancel, task_retry
from publishing.services.transitions import ALLOWED, TransitionError
from publishing.xsandbox import DEMO_ACCOUNT, XSandbox
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory

S = PublishingTask.Status
CREATE = "POST /2/tweets"
LEASE, SETTLE, MARGIN = 300, 60, 120
MAX_ATTEMPTS = 3
UNLIMITED = 1_000_000
POLICIES = {
    name: {"base": 5, "cap": 60, "max_attempts": MAX_ATTEMPTS}
    for name in ("rate_limit", "network", "system", "media", "unknown")
}
# A task whose post is on X is published, or its outcome is still being settled.
MAY_BE_ON_X = (S.PUBLISHED, S.PUBLISHING, S.UNKNOWN)
ANSWERS = st.sampled_from(
    [
        "201 created",
        "503",
        "accepted, then the connection dropped",
        "400 text too long",
        "401 credentials refused",
        "429",
    ]
)
texts = count(1)
workers = count(1)


class TaskLife(RuleBasedStateMachine):
    """Set by the test, shared by every example: one emulator, one account, one project."""

    sandbox: XSandbox
    account: XAccount
    project: Project

    tasks = Bundle("tasks")

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.sandbox.reset()
        start = datetime.now(UTC).replace(microsecond=0)
        self.traveller = time_machine.travel(start, tick=False)
        self.clock = self.traveller.start()
        self.pks: list[int] = []
        self.claims: list[PublishingTask] = []  # what each worker holds in memory
        self.published: dict[int, tuple[str, datetime]] = {}
        self.attempts_at_retry: dict[int, int] = {}

    def teardown(self):
        self.traveller.stop()
        transaction.savepoint_rollback(self.savepoint)
        self.sandbox.reset()

    # --- helpers ---

    @property
    def now(self) -> datetime:
        return timezone.now()

    def advance(self, seconds: float) -> None:
        self.clock.shift(timedelta(seconds=seconds))

    def load(self, pk: int) -> PublishingTask:
        return PublishingTask.objects.select_related("account", "project").get(pk=pk)

    @contextmanager
    def x_answers(self, answer: str):
        """Make the emulator answer the next create the way `answer` says."""
        sandbox = self.sandbox
        if answer == "503":
            sandbox.set_faults({"endpoint": CREATE, "action": "error", "status": 503, "count": 1})
        elif answer == "accepted, then the connection dropped":
            sandbox.set_faults({"endpoint": CREATE, "action": "accept_then_drop", "count": 1})
        elif answer == "400 text too long":
            sandbox.configure(char_limits={DEMO_ACCOUNT.user_id: 5})
        elif answer == "401 credentials refused":
            sandbox.add_account(replace(DEMO_ACCOUNT, access_token_secret="revoked"))
        elif answer == "429":
            sandbox.configure(rate_limits={CREATE: 0})
        try:
            yield
        finally:
            if answer in ("503", "accepted, then the connection dropped"):
                sandbox.clear_faults()
            elif answer == "400 text too long":
                sandbox.configure(char_limits={DEMO_ACCOUNT.user_id: 280})
            elif answer == "401 credentials refused":
                sandbox.add_account(DEMO_ACCOUNT)
            elif answer == "429":
                sandbox.configure(rate_limits={CREATE: UNLIMITED})

    # --- rules ---

    @initialize(target=tasks)
    def first_task(self) -> int:
        return self.add_task()

    @precondition(lambda self: len(self.pks) < 3)
    @rule(target=tasks)
    def add_task(self) -> int:
        task = TaskFactory(
            account=self.account,
            project=self.project,
            text=f"Life of task {next(texts)}",
            scheduled_at=self.now,
        )
        self.pks.append(task.pk)
        return task.pk

    @rule(pk=tasks, answer=ANSWERS)
    def dispatcher_sends(self, pk: int, answer: str) -> None:
        """The usual path: a pending task is claimed and sent at once."""
        task = self.load(pk)
        if task.status == S.PENDING:
            assert task_claim(task=task, worker=f"w{next(workers)}", now=self.now)
            with self.x_answers(answer):
                assert task_publish(task=task) == self.load(pk).status

    @rule(pk=tasks, stale=st.booleans())
    def claim(self, pk: int, stale: bool) -> None:
        """The dispatcher claims a pending task; with `stale`, from a copy it read before
        someone else moved the task (compare-and-set must refuse it)."""
        task = self.load(pk)
        was = task.status
        if stale:
            task.status = S.PENDING
        elif was != S.PENDING:
            if S.PUBLISHING not in ALLOWED[was]:
                with pytest.raises(TransitionError):
                    task_claim(task=task, worker="w0", now=self.now)
            return
        claimed = task_claim(task=task, worker=f"w{next(workers)}", now=self.now)
        assert claimed == (was == S.PENDING)
        if claimed:
            self.claims.append(task)

    @precondition(lambda self: self.claims)
    @rule(data=st.data(), answer=ANSWERS)
    def publish(self, data, answer: str) -> None:
        """A worker sends what it claimed: perhaps long after, if it hung meanwhile."""
        task = self.claims.pop(data.draw(st.integers(0, len(self.claims) - 1), label="claim"))
        with self.x_answers(answer):
            assert task_publish(task=task) == self.load(task.pk).status

    @rule()
    def workers_die_and_their_leases_run_out(self) -> None:
        self.advance(LEASE + 1)
        held = list(PublishingTask.objects.filter(pk__in=self.pks, status=S.PUBLISHING))
        leases_expire(now=self.now)
        assert all(self.load(task.pk).status == S.UNKNOWN for task in held)

    @rule()
    def reconcile_after_the_settle_time(self) -> None:
        self.advance(SETTLE + 1)
        report = tasks_reconcile(now=self.now)
        assert report.errors == []

    @rule()
    def retry_times_come(self) -> None:
        waiting = list(PublishingTask.objects.filter(pk__in=self.pks, status=S.RETRY_WAIT))
        latest = max((task.next_attempt_at for task in waiting), default=self.now)
        self.advance(max(0.0, (latest - self.now).total_seconds()))
        tasks_release_due_retries(now=self.now)
        held = self.load_account().paused
        for task in waiting:
            expected = S.RETRY_WAIT if held else S.PENDING
            assert self.load(task.pk).status == expected

    @rule(pk=tasks)
    def operator_cancels(self, pk: int) -> None:
        task = self.load(pk)
        if S.CANCELLED in ALLOWED[task.status]:
            task_cancel(task=task, actor="admin")
            assert self.load(pk).status == S.CANCELLED
        else:
            with pytest.raises(ValidationError):
                task_cancel(task=task, actor="admin")

    @rule(pk=tasks)
    def operator_retries(self, pk: int) -> None:
        task = self.load(pk)
        if task.status in RETRYABLE:
            task_retry(task=task, actor="admin")
            assert self.load(pk).status == S.PENDING
            self.attempts_at_retry[pk] = task.attempts
        else:
            with pytest.raises(ValidationError):
                task_retry(task=task, actor="admin")

    @rule()
    def operator_resumes_the_account(self) -> None:
        account_resume(account=self.account, actor="admin")
        assert not self.load_account().paused

    def load_account(self) -> XAccount:
        return XAccount.objects.get(pk=self.account.pk)

    # --- invariants, checked after every step ---

    @invariant()
    def the_engine_keeps_its_promises(self) -> None:
        # One read of the tasks and one of X per step: the checks below share them.
        tasks = list(
            PublishingTask.objects.filter(pk__in=self.pks)
            .prefetch_related("transitions")
            .order_by("pk")
        )
        posts = self.sandbox.posts()
        every_status_change_is_allowed_and_the_history_is_unbroken(tasks)
        self.a_published_task_holds_its_post_on_x_and_never_changes_again(tasks, posts)
        x_holds_each_task_at_most_once(posts)
        a_task_on_x_is_published_or_still_being_settled(tasks, posts)
        no_task_is_in_flight_without_a_lease(tasks)
        self.attempts_stay_within_the_retry_policy(tasks)

    def a_published_task_holds_its_post_on_x_and_never_changes_again(self, tasks, posts):
        by_id = {post["id"]: post for post in posts}
        for task in tasks:
            if task.pk in self.published:
                assert task.status == S.PUBLISHED, f"task {task.pk} left published"
            if task.status == S.PUBLISHED:
                assert by_id[task.post_id]["text"] == task.text
                first = self.published.setdefault(task.pk, (task.post_id, task.published_at))
                assert (task.post_id, task.published_at) == first

    def attempts_stay_within_the_retry_policy(self, tasks):
        for task in tasks:
            # An operator's retry starts a new run of attempts.
            attempts = task.attempts - self.attempts_at_retry.get(task.pk, 0)
            assert attempts <= MAX_ATTEMPTS + 1, f"task {task.pk}: {task.attempts} attempts"


def every_status_change_is_allowed_and_the_history_is_unbroken(tasks):
    for task in tasks:
        status = S.PENDING
        for row in sorted(task.transitions.all(), key=lambda row: row.pk):
            assert row.from_status == status, f"task {task.pk}: history skips {status}"
            assert row.to_status in ALLOWED[status], f"task {task.pk}: {status} → {row.to_status}"
            status = row.to_status
        assert status == task.status


def x_holds_each_task_at_most_once(posts):
    twice = [text for text, n in Counter(post["text"] for post in posts).items() if n > 1]
    assert twice == [], f"posted more than once: {twice}"


def a_task_on_x_is_published_or_still_being_settled(tasks, posts):
    on_x = {post["text"] for post in posts}
    for task in tasks:
        if task.text in on_x:
            assert task.status in MAY_BE_ON_X, f"task {task.pk} is {task.status}, yet on X"


def no_task_is_in_flight_without_a_lease(tasks):
    for task in tasks:
        assert task.status != S.PUBLISHING or task.lease_expires_at is not None


@pytest.mark.django_db
def test_every_interleaving_of_sends_failures_and_operators_publishes_each_task_at_most_once(
    settings, xsandbox_settings, sandbox_account
):
    settings.PUBLISH_LEASE_SECONDS = LEASE
    settings.RECONCILE_SETTLE_SECONDS = SETTLE
    settings.RECONCILE_MARGIN_SECONDS = MARGIN
    settings.PUBLISH_RETRY_POLICIES = POLICIES
    # X refuses a duplicate text itself; turned off, so "once" rests on the engine alone.
    xsandbox_settings.configure(duplicate_window_secs=-1.0, rate_limits={CREATE: UNLIMITED})

    class Machine(TaskLife):
        sandbox = xsandbox_settings
        account = sandbox_account
        project = ProjectRowFactory(missed_policy="publish_late")

    run_state_machine_as_test(
        Machine,
        settings=hypothesis_settings(max_examples=50, stateful_step_count=30, deadline=None),
    )
