"""Publishing due tasks, exactly once.

A pass: expire dead workers' leases, release tasks whose retry time has come, then
claim due tasks (row locks with SKIP LOCKED on PostgreSQL, an IMMEDIATE write
transaction on SQLite, and a compare-and-set in both) within each account's rate
budget, each account's and the whole publisher's concurrency, and each project's daily
cap, into the slots of a long-lived pool of publishing threads; each slot is refilled
the moment its post is done (no batch barrier). Each post id is recorded the moment X
answers. Failures go through the retry policies; ambiguous outcomes wait for
reconciliation and are never sent again blindly."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import partial

import psutil
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from configuration.selectors import config_dict, config_value
from projects.paths import PathNotAllowed, resolve_inside
from publishing import selectors
from publishing.models import PublishingLog, PublishingTask, TaskTransition, XAccount
from publishing.scheduling import lateness_status
from publishing.services.accounts import (
    account_client,
    account_credentials,
    account_for_project,
    task_account,
)
from publishing.services.budget import (
    budget_record,
    budgets_available,
    project_daily_remaining,
    tasks_in_flight_by_account,
)
from publishing.services.media import media_id_for
from publishing.services.reconcile import (
    leases_expire,
    publisher_reconcile_after_restore,
    publisher_state,
    tasks_reconcile,
)
from publishing.services.retries import task_fail, tasks_release_due_retries
from publishing.services.threads import thread_needed, thread_send
from publishing.services.transitions import check_transition, task_transition
from publishing.xclient import ErrorClass, XClient, XError

logger = logging.getLogger(__name__)
S = PublishingTask.Status


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass
class DispatchReport:
    claimed: int = 0
    published: int = 0
    failed: int = 0
    retrying: int = 0
    unknown: int = 0
    needs_review: int = 0
    missed: int = 0
    paused: str = ""
    results: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def add(self, other: DispatchReport) -> None:
        """Add `other`'s counters to these (the loop's totals)."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# The counters, named once: the dataclass's int fields.
_COUNTERS = tuple(f.name for f in fields(DispatchReport) if f.type in (int, "int"))


def dispatch_once(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    ignore_schedule: bool = False,
    project_id: int | None = None,
    flight: _Flight | None = None,
) -> DispatchReport:
    """One pass: publish every due task (at most `limit`), highest priority first, and
    wait for them. With the `flight` of a dispatch loop, the pass ends once `limit`
    tasks are claimed, leaving them in flight: the next pass goes on refilling the
    slots, so there is no wait for the last posts every `limit` tasks."""
    report = DispatchReport()
    if flight is not None:
        flight.report = report  # posts still in flight from the last pass count here
    now = now or timezone.now()
    state = publisher_state()
    if state.reconcile_required:
        # After a restore: find out what already went out before sending anything.
        publisher_reconcile_after_restore(now=now)
        state = publisher_state()
    if state.paused:
        report.paused = state.reason or "the publisher is paused"
        return report
    leases_expire(now=now)
    _reconcile_now_and_then(now)
    tasks_release_due_retries(now=now)
    looping = flight is not None
    flight = _Flight(report) if flight is None else flight  # an idle flight is falsy
    limit = limit or settings.DISPATCH_BATCH_SIZE
    while True:
        # Refill the slots that are free now; wait for one to free only when none is.
        free = min(flight.slots() - len(flight), limit - report.claimed)
        batch = tasks_claim_batch(
            now=now,
            size=free,
            ignore_schedule=ignore_schedule,
            project_id=project_id,
            report=report,
        )
        report.claimed += len(batch)
        flight.start(batch)
        now = timezone.now()
        if 0 < free == len(batch):
            continue  # every free slot got a task: there may be more for the next
        if looping and report.claimed >= limit:
            return report
        # Nothing more is due now: claim again when a slot frees (or after a poll
        # interval in a loop, for work that comes due meanwhile).
        if not flight.settle_one(timeout=settings.DISPATCH_POLL_SECONDS if looping else None):
            return report


_last_reconcile = [0.0]


def _reconcile_now_and_then(now: datetime) -> None:
    """Settle unknown outcomes, at most every RECONCILE_INTERVAL_SECONDS per process:
    each pass reads the accounts' timelines, which X rate-limits too."""
    if time.monotonic() - _last_reconcile[0] < settings.RECONCILE_INTERVAL_SECONDS:
        return
    _last_reconcile[0] = time.monotonic()
    if selectors.tasks_unknown_exist():
        tasks_reconcile(now=now)


# --- capacity ------------------------------------------------------------------------


def concurrency_now() -> int:
    """MAX_CONCURRENT_TASKS, halved when CPU or memory runs hot, zero when critical.

    CPU is a moving average over about 30 s: one busy second must not stall posts."""
    limits = config_dict("performance.throttle")
    cpu, memory = _load.cpu(), psutil.virtual_memory().percent
    level = "normal"
    if _over(cpu, limits.get("cpu_pause")) or _over(memory, limits.get("memory_pause")):
        level = "paused"
    elif _over(cpu, limits.get("cpu_slow")) or _over(memory, limits.get("memory_slow")):
        level = "slowed"
    _load.report(level, cpu, memory)
    slots = config_value("publishing.max_concurrent_tasks")
    return {"normal": slots, "slowed": max(1, slots // 2), "paused": 0}[level]


def _over(value: float, threshold: float | None) -> bool:
    return threshold is not None and value >= threshold


class _Load:
    """CPU load smoothed with an exponential moving average; logs level changes once."""

    TIME_CONSTANT = 30.0

    def __init__(self):
        self.average: float | None = None
        self.sampled = 0.0
        self.level = "normal"

    def cpu(self) -> float:
        now, sample = time.monotonic(), psutil.cpu_percent(interval=None)
        if self.average is None:
            self.average = sample
        else:
            weight = min(1.0, (now - self.sampled) / self.TIME_CONSTANT)
            self.average += weight * (sample - self.average)
        self.sampled = now
        return self.average

    def report(self, level: str, cpu: float, memory: float) -> None:
        if level != self.level:
            log = logger.info if level == "normal" else logger.warning
            log("Dispatch %s: CPU %.0f%% (30 s average), memory %.0f%%", level, cpu, memory)
            self.level = level


_load = _Load()


# --- writes --------------------------------------------------------------------------

_write_lock = threading.RLock()


@contextmanager
def serialised_writes():
    """On SQLite, this process's threads write one at a time, queued on a lock that
    hands over at once. Left to SQLite, a writer that finds the database locked sleeps
    1, 2, 5, 10, 15… ms in its busy handler, however soon the lock is free: with a
    claimer and publishing threads that costs more than the writes. PostgreSQL locks
    rows, not the database: nothing to do."""
    if connection.vendor != "sqlite":
        yield
        return
    with _write_lock:
        yield


# --- claiming ------------------------------------------------------------------------


def tasks_claim_batch(
    *,
    now: datetime,
    size: int,
    ignore_schedule: bool = False,
    project_id: int | None = None,
    report: DispatchReport | None = None,
) -> list[PublishingTask]:
    """Claim up to `size` due tasks for this worker, within every budget: one due query,
    the budgets read once, one UPDATE per account and one INSERT of the transitions."""
    if size <= 0:
        return []
    report = report or DispatchReport()
    due = partial(
        selectors.tasks_due,
        now=now,
        limit=size * 4,
        ignore_schedule=ignore_schedule,
        project_id=project_id,
    )
    # SQLite locks the whole database for the claim: read the candidates before taking
    # the write lock, so the publishing threads' writes wait less. A candidate taken
    # meanwhile fails the compare-and-set; the gate's counts are read under the lock.
    early = due(lock=False) if connection.vendor == "sqlite" else None
    with serialised_writes(), transaction.atomic():
        # PostgreSQL: rows another worker holds are skipped, not waited for. SQLite
        # ignores the lock; its IMMEDIATE transaction serialises claimers instead.
        rows = due(lock=True) if early is None else early
        chosen = _within_budgets(rows, size, now, ignore_schedule, report)
        claimed = tasks_claim(tasks=chosen, worker=worker_id(), now=now)
    for _ in claimed:
        crash_point("after_claim")  # committed: a death here leaves claims with no send
    return claimed


def _within_budgets(
    rows: list[PublishingTask], size: int, now: datetime, ignore_schedule: bool, report
) -> list[PublishingTask]:
    if not rows:
        return []
    gate = _Gate(now, rows)
    chosen = []
    for task in rows:
        if not ignore_schedule and _handle_missed(task, now, report):
            continue
        if gate.admit(task):
            chosen.append(task)
            if len(chosen) == size:
                break
    return chosen


class _Gate:
    """Per-pass bookkeeping of rate budget, per-account concurrency and daily caps, read
    once per pass: the accounts in one query, in-flight counts in one, the rate-limit
    buckets in one, and each project's daily count once."""

    def __init__(self, now: datetime, rows: list[PublishingTask]):
        self.now = now
        self.accounts = _accounts_of(rows)
        self.budget: dict[int, int] = {}
        self.project_left: dict[int, int] = {}
        self.taken: Counter = Counter()
        self._read_budgets()

    def _read_budgets(self) -> None:
        live = {a.pk: a for a in self.accounts.values() if a is not None and not a.paused}
        if not live:
            return
        in_flight = tasks_in_flight_by_account()
        budgets = budgets_available(accounts=list(live.values()), now=self.now, in_flight=in_flight)
        per_account = config_value("publishing.max_concurrent_per_account")
        for pk, budget in budgets.items():
            concurrency = per_account - in_flight.get(pk, 0)
            self.budget[pk] = min(concurrency, budget)

    def admit(self, task: PublishingTask) -> bool:
        account = self._account(task)
        if account is None or account.paused:
            return account is None  # no account: let it fail with advice
        if self._left(account) <= 0 or self._project_left(task) <= 0:
            return False
        self.taken[("account", account.pk)] += 1
        self.taken[("project", task.project_id)] += 1
        task.account = account
        return True

    def _account(self, task: PublishingTask) -> XAccount | None:
        return self.accounts[_account_key(task)]

    def _left(self, account: XAccount) -> int:
        return self.budget[account.pk] - self.taken[("account", account.pk)]

    def _project_left(self, task: PublishingTask) -> int:
        if task.project_id not in self.project_left:
            left = project_daily_remaining(project=task.project, now=self.now)
            self.project_left[task.project_id] = left
        return self.project_left[task.project_id] - self.taken[("project", task.project_id)]


def _account_key(task: PublishingTask) -> int:
    return task.account_id or -task.project_id


def _accounts_of(rows: list[PublishingTask]) -> dict[int, XAccount | None]:
    """Each task's account, by _account_key: its own, or its project's (the fallback)."""
    own = XAccount.objects.in_bulk({t.account_id for t in rows if t.account_id})
    accounts: dict[int, XAccount | None] = {}
    for task in rows:
        key = _account_key(task)
        if key not in accounts:
            accounts[key] = own.get(task.account_id) or account_for_project(task.project)
    return accounts


def _handle_missed(task: PublishingTask, now: datetime, report: DispatchReport) -> bool:
    project = task.project
    verdict = lateness_status(
        task.scheduled_at,
        now,
        timedelta(minutes=project.missed_after_minutes),
        project.missed_policy,
    )
    if verdict != "missed":
        return False
    late = int((now - task.scheduled_at).total_seconds() // 60)
    if task_transition(
        task=task,
        to=S.MISSED,
        actor="dispatcher",
        reason=f"{late} minutes late; the project's policy skips late posts.",
    ):
        report.missed += 1
    return True


def tasks_claim(*, tasks: list[PublishingTask], worker: str, now: datetime) -> list[PublishingTask]:
    """Take pending `tasks` for this worker, inside the transaction that read them: one
    compare-and-set UPDATE per account (a task another worker took first is left out)
    and one INSERT of the transitions. Returns the tasks claimed."""
    lease = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    values = {"claimed_by": worker, "claimed_at": now, "lease_expires_at": lease}
    claimed = []
    for account, group in _by_account(tasks).items():
        claimed += _claim_group(group, account, values, now)
    TaskTransition.objects.bulk_create(
        TaskTransition(
            task_id=task.pk,
            from_status=S.PENDING,
            to_status=S.PUBLISHING,
            actor=f"dispatcher:{worker}",
            reason="claimed",
        )
        for task in claimed
    )
    return claimed


def _by_account(tasks: list[PublishingTask]) -> dict[XAccount | None, list[PublishingTask]]:
    groups: dict[XAccount | None, list[PublishingTask]] = {}
    for task in tasks:
        check_transition(task.status, S.PUBLISHING)
        groups.setdefault(task.account, []).append(task)
    return groups


def _claim_group(
    group: list[PublishingTask], account: XAccount | None, values: dict, now: datetime
) -> list[PublishingTask]:
    ids = [task.pk for task in group]
    # Store the account the gate resolved: in-flight counts per account depend on it.
    extra = {"account": account} if account is not None else {}
    changed = PublishingTask.objects.filter(pk__in=ids, status=S.PENDING).update(
        status=S.PUBLISHING, attempts=F("attempts") + 1, updated=now, **extra, **values
    )
    if changed != len(ids):  # some were taken meanwhile: keep the ones that are ours
        mine = PublishingTask.objects.filter(pk__in=ids, status=S.PUBLISHING, **values)
        ids = set(mine.values_list("pk", flat=True))
    claimed = [task for task in group if task.pk in ids]
    for task in claimed:
        task.status, task.attempts = S.PUBLISHING, task.attempts + 1
        for name, value in values.items():
            setattr(task, name, value)
    return claimed


def task_claim(*, task: PublishingTask, worker: str, now: datetime) -> bool:
    """Take the task for this worker; False if another worker took it first."""
    # Store the account the gate resolved: in-flight counts per account depend on it.
    account = {"account": task.account} if task.account is not None else {}
    claimed = task_transition(
        task=task,
        to=S.PUBLISHING,
        actor=f"dispatcher:{worker}",
        reason="claimed",
        **account,
        claimed_by=worker,
        claimed_at=now,
        lease_expires_at=now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS),
        attempts=task.attempts + 1,
    )
    return claimed


# --- publishing ----------------------------------------------------------------------

_local = threading.local()


class _Flight:
    """The claimed tasks being published: in the pool's threads, or one at a time in
    the caller's thread when there is no pool."""

    def __init__(self, report: DispatchReport | None = None):
        self.report = report or DispatchReport()  # where outcomes are counted
        self.pool = _publishing_pool()
        self.running: dict[Future, PublishingTask] = {}
        self.checked = -SLOTS_CHECK_SECONDS
        self.slots_now = 0

    def __len__(self) -> int:
        return len(self.running)

    def slots(self) -> int:
        """concurrency_now(), read at most every SLOTS_CHECK_SECONDS: reading CPU and
        memory opens two /proc files, too slow for every post."""
        if time.monotonic() - self.checked >= SLOTS_CHECK_SECONDS:
            self.slots_now = concurrency_now()
            self.checked = time.monotonic()
        return self.slots_now

    def start(self, batch: list[PublishingTask]) -> None:
        for task in batch:
            if self.pool is None:
                _record(self.report, task, task_publish(task=task))
            else:
                self.running[self.pool.submit(_publish_in_thread, task)] = task

    def settle_one(self, timeout: float | None = None) -> bool:
        """Wait until a running post is done (at most `timeout` seconds) and record what
        is done; False if none is running."""
        if not self.running:
            return False
        done, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
        for future in done:
            _record(self.report, self.running.pop(future), future.result())
        return True

    def drain(self, report: DispatchReport) -> None:
        """Wait for every running post and count it in `report`."""
        self.report = report
        while self.settle_one():
            pass


SLOTS_CHECK_SECONDS = 1.0


class _Pool:
    """The process's publishing threads, created once, so each thread's database
    connection and X clients (keep-alive connections) serve post after post."""

    lock = threading.Lock()
    executor: ThreadPoolExecutor | None = None
    size = 0


def _publishing_pool() -> ThreadPoolExecutor | None:
    """None when posts go out one at a time: one slot, or an in-memory SQLite database
    (another thread's connection would see an empty database)."""
    slots = config_value("publishing.max_concurrent_tasks")
    if slots <= 1 or (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        return None
    with _Pool.lock:
        if _Pool.size != slots:
            if _Pool.executor is not None:
                _Pool.executor.shutdown(wait=True)  # idle: every pass waits for its posts
            _Pool.executor = ThreadPoolExecutor(slots, thread_name_prefix="publish")
            _Pool.size = slots
        return _Pool.executor


# How often a publishing thread lets Django drop its connection if broken or too old.
CONNECTION_CHECK_SECONDS = 30.0


def _publish_in_thread(task: PublishingTask) -> str:
    try:
        return task_publish(task=task)
    except Exception:  # the claim stays; the lease sweep and reconciliation settle it
        logger.exception("Publishing task %s failed outside its error handling", task.pk)
        _local.checked = 0.0  # a broken connection must not serve the next post
        return task.status
    finally:
        _check_connection()


def _check_connection() -> None:
    # Not after every post: each check makes the next query run a health check first.
    if time.monotonic() - getattr(_local, "checked", 0.0) >= CONNECTION_CHECK_SECONDS:
        close_old_connections()
        _local.checked = time.monotonic()


def _record(report: DispatchReport, task: PublishingTask, outcome: str) -> None:
    counter = {
        S.PUBLISHED: "published",
        S.UNKNOWN: "unknown",
        S.RETRY_WAIT: "retrying",
        S.NEEDS_REVIEW: "needs_review",
    }.get(outcome, "failed")
    setattr(report, counter, getattr(report, counter) + 1)
    report.results.append(
        {"task": task.pk, "status": outcome, "post_id": task.post_id, "error": task.last_error}
    )


def task_publish(*, task: PublishingTask) -> str:
    """Send a claimed task to X; returns the status it ends in."""
    started = time.monotonic()
    try:
        post_id = _send(task)
    except ClaimLost:
        task.refresh_from_db(fields=["status"])
        logger.warning("Task %s was %s before it was sent: not sent", task.pk, task.status)
        return task.status
    except XError as exc:
        return _fail(task, exc, started)
    except Exception as exc:  # a bug must leave a trace on the task, not vanish
        logger.exception("Unexpected error publishing task %s", task.pk)
        error = XError(f"Internal error: {exc!r}", error_class=ErrorClass.SYSTEM)
        return _fail(task, error, started)
    _mark_published(task, post_id, started)
    return S.PUBLISHED


def _client(account: XAccount) -> XClient:
    """One client (one keep-alive connection) per account per thread."""
    clients = _local.__dict__.setdefault("clients", {})
    # Every credential is in the key: credentials fixed after a 401 must be used at once.
    key = (account.pk, account_credentials(account), settings.X_API_BASE_URL)
    if key not in clients:
        clients[key] = account_client(account)
    return clients[key]


def _send(task: PublishingTask) -> str:
    account = task_account(task)
    if account is None:
        raise XError("No X account: add one with `manage.py account add`.", error_class="auth")
    task.account = account
    client = _client(account)
    media_ids = [
        media_id_for(client=client, account=account, path=path, alt_text=alt)
        for path, alt in zip(_media_files(task), _alt_texts(task), strict=False)
    ]
    if not _claim_renew(task):
        raise ClaimLost(task.pk)
    if thread_needed(task, account):
        return thread_send(task=task, client=client, account=account, media_ids=media_ids)
    crash_point("after_send", delay=0.05)  # dies while the create is in flight
    try:
        created = client.create_post(
            task.text, media_ids=media_ids, made_with_ai=task.project.made_with_ai
        )
    except XError as exc:
        exc.operation = "create_post"
        raise
    crash_point("after_answer")
    # Before the post id, in one short transaction: the task counts as in flight until
    # the buckets hold this answer, so no gate ever sees the post in neither.
    with serialised_writes():
        budget_record(account=account, rate_limit=created.rate_limit, now=timezone.now())
    return created.id


class ClaimLost(Exception):
    """The worker no longer holds the task it was about to send."""


def _claim_renew(task: PublishingTask) -> bool:
    """Renew this worker's lease just before the create, or find the claim gone. A
    worker slower than its lease (a long video upload, a stall) must not send a task
    that the lease sweep, reconciliation or an operator has moved on meanwhile."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    mine = PublishingTask.objects.filter(
        pk=task.pk, status=S.PUBLISHING, claimed_by=task.claimed_by, claimed_at=task.claimed_at
    )
    with serialised_writes():
        renewed = mine.update(lease_expires_at=lease, updated=now)
    task.lease_expires_at = lease
    return renewed == 1


def _alt_texts(task: PublishingTask):
    """Alt text per media file, from the metadata's `alt` (a string, or one per file)."""
    meta = (task.source.metadata if task.source_id else {}).get(task.language, {})
    alt = meta.get("alt", "")
    texts = alt if isinstance(alt, list) else [alt]
    for index in range(len(task.media_paths)):
        yield str(texts[index]) if index < len(texts) and texts[index] else ""


def _media_files(task: PublishingTask):
    base = task.project.path
    for relative in task.media_paths:
        try:
            path = resolve_inside(base, relative)
        except PathNotAllowed as exc:
            # Retrying cannot fix a path outside the project: a person must look.
            raise XError(str(exc), error_class=ErrorClass.CONTENT) from exc
        except OSError as exc:
            raise XError(str(exc), error_class=ErrorClass.MEDIA) from exc
        if not path.is_file():
            raise XError(f"Media file {relative} is missing.", error_class=ErrorClass.MEDIA)
        yield path


def _mark_published(task: PublishingTask, post_id: str, started: float) -> None:
    # The post exists on X now: commit its id before anything else can fail.
    with serialised_writes(), transaction.atomic():
        task_transition(
            task=task,
            to=S.PUBLISHED,
            actor="dispatcher",
            reason=f"X created post {post_id}",
            post_id=post_id,
            published_at=timezone.now(),
            last_error="",
            error_class="",
            lease_expires_at=None,
        )
        PublishingLog.objects.create(
            task=task,
            status=PublishingLog.Outcome.SUCCESS,
            post_id=post_id,
            execution_time=time.monotonic() - started,
        )
    crash_point("after_commit")


def _fail(task: PublishingTask, exc: XError, started: float) -> str:
    with serialised_writes():
        return _settle_failure(task, exc, started)


def _settle_failure(task: PublishingTask, exc: XError, started: float) -> str:
    now = timezone.now()
    # A refused create (429) is recorded by task_fail; other answers still carry headers.
    refused = exc.error_class == ErrorClass.RATE_LIMIT
    if exc.operation == "create_post" and exc.rate_limit and task.account and not refused:
        budget_record(account=task.account, rate_limit=exc.rate_limit, now=now)
    outcome = task_fail(task=task, error=exc, now=now, execution_time=time.monotonic() - started)
    logger.warning("Task %s → %s: %s", task.pk, outcome, exc)
    return outcome


# --- crash points (fault-injection tests only) -------------------------------------------


def crash_point(name: str, *, delay: float = 0.0) -> None:
    """Die here, as a SIGKILL would, when the fault-injection suite asks for it.

    TWITTERPUB_CRASH_POINTS="after_claim@20,after_answer@50" kills this process the
    20th time it passes after_claim (counted per process), once per test run: a marker
    file in TWITTERPUB_CRASH_DIR stops the restarted worker from dying at the same
    place again. `delay` kills that long after returning (the request is in flight).
    Unset in every real deployment."""
    spec = os.environ.get("TWITTERPUB_CRASH_POINTS")
    if not spec:
        return
    target = dict(part.split("@") for part in spec.split(",")).get(name)
    with _crash_lock:
        _crash_counts[name] += 1
        due = target is not None and _crash_counts[name] == int(target)
    if due and _claim_crash_marker(name):
        logger.error("Crash point %s: killing process %s", name, os.getpid())
        if delay:
            threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL)).start()
        else:
            os.kill(os.getpid(), signal.SIGKILL)


_crash_lock = threading.Lock()
_crash_counts: Counter = Counter()


def _claim_crash_marker(name: str) -> bool:
    folder = os.environ.get("TWITTERPUB_CRASH_DIR", "")
    if not folder:
        return True
    try:
        os.close(os.open(os.path.join(folder, f"{name}.crashed"), os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True


# --- the loop ------------------------------------------------------------------------


class Stop:
    """Set by a signal handler (or a test) to end the loop after the current pass."""

    def __init__(self):
        self.event = threading.Event()

    def __bool__(self) -> bool:
        return self.event.is_set()

    @classmethod
    @contextmanager
    def on_signals(cls, *signums: int):
        """A Stop that SIGTERM or SIGINT (by default) sets, handlers restored on exit.
        Only the main thread may install handlers; elsewhere the Stop is never set."""
        stop = cls()
        signums = signums or (signal.SIGTERM, signal.SIGINT)
        if threading.current_thread() is not threading.main_thread():
            yield stop
            return
        previous = {sig: signal.signal(sig, lambda *_: stop.event.set()) for sig in signums}
        try:
            yield stop
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def dispatch_loop(*, seconds: float | None = None, stop: Stop | None = None) -> DispatchReport:
    """Dispatch passes until `seconds` have passed (forever when None) or `stop` is set.
    Between passes it sleeps until the next due time, retry or rate-limit reset, but
    never longer than DISPATCH_POLL_SECONDS (new work from other processes), so a task
    scheduled for T goes out within about a second of T."""
    # Not `stop or Stop()`: an unset Stop is falsy, and the caller's would be dropped.
    stop = Stop() if stop is None else stop
    deadline = None if seconds is None else time.monotonic() + seconds
    total = DispatchReport()
    flight = _Flight()  # posts in flight carry over from one pass to the next
    try:
        while not stop and (deadline is None or time.monotonic() < deadline):
            report = dispatch_once(flight=flight)
            total.add(report)
            if not report.claimed and not len(flight):
                stop.event.wait(_idle_seconds(deadline))
    finally:
        flight.drain(total)  # every post id recorded before the loop returns
    return total


def _idle_seconds(deadline: float | None) -> float:
    wait = settings.DISPATCH_POLL_SECONDS
    wakeup = selectors.next_wakeup(now=timezone.now())
    if wakeup is not None:
        wait = min(wait, max(0.0, (wakeup - timezone.now()).total_seconds()))
    if deadline is not None:
        wait = min(wait, max(0.0, deadline - time.monotonic()))
    return wait
