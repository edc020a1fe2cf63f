"""Settling outcomes the publisher could not see: expired leases, unknown results, and a
database restored from a backup.

X has no idempotency key on POST /2/tweets, so a task whose request may have left is
never sent again blindly: it becomes `unknown`, and reconciliation looks for it on the
account's own timeline. Found: published, with X's id and time. Absent long enough for X
to have shown it: pending again, safe to resend. See docs/reliability.md.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import takewhile

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from publishing import textcount
from publishing.models import PublisherState, PublishingLog, PublishingTask, XAccount
from publishing.services.accounts import account_client, task_account
from publishing.services.retries import retry_policy
from publishing.services.threads import thread_part_found, thread_post_ids, thread_probe
from publishing.services.transitions import task_transition
from publishing.xclient import (
    ErrorClass,
    RemotePost,
    XClient,
    XError,
    error_from_response,
    error_from_transport,
)

logger = logging.getLogger(__name__)
S = PublishingTask.Status

ACTOR = "reconciler"
RESTORE_ACTOR = "restore"
FOUND_NOTE = "found on X by reconciliation"
RECORDED_NOTE = "post id already recorded; settled by reconciliation"
# Statuses a restored database may show for a post that went out after the backup.
# Unknown tasks are already where the restore wants them.
RESTORE_SUSPECTS = (S.PENDING, S.QUEUED, S.RETRY_WAIT, S.PUBLISHING)
# Stands for any URL: X rewrites every link to a t.co link of its own.
URL_WILDCARD = "\x00url\x00"


@dataclass
class ReconcileReport:
    found: int = 0
    resent: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Remote:
    """A post from the timeline, prepared once for matching against many tasks."""

    post: RemotePost
    created: datetime | None
    keys: frozenset[str]


# --- lease expiry -------------------------------------------------------------------


def leases_expire(*, now: datetime) -> int:
    """Claims whose lease ran out (the worker died or hung) become unknown, never
    pending: the request may already have reached X. Returns how many moved."""
    stale = PublishingTask.objects.filter(status=S.PUBLISHING, lease_expires_at__lt=now)
    pks = list(stale.order_by("lease_expires_at").values_list("pk", flat=True))
    return sum(_lease_expire(pk=pk, now=now) for pk in pks)


def _lease_expire(*, pk: int, now: datetime) -> bool:
    with transaction.atomic():
        # Re-read under a row lock: since the sweep's query the worker may have renewed
        # its lease, or finished and the task been claimed again by someone else.
        task = (
            PublishingTask.objects.select_for_update()
            .filter(pk=pk, status=S.PUBLISHING, lease_expires_at__lt=now)
            .first()
        )
        if task is None:
            return False
        reason = f"lease expired (worker {task.claimed_by or '?'} died or hung)"
        return task_transition(
            task=task,
            to=S.UNKNOWN,
            actor=ACTOR,
            reason=reason,
            last_error=reason,
            error_class=ErrorClass.UNKNOWN,
            lease_expires_at=None,
        )


# --- reconciliation -----------------------------------------------------------------


def tasks_reconcile(*, now: datetime, limit: int = 200) -> ReconcileReport:
    """One pass over unknown tasks, oldest claim first, one timeline read per account."""
    settle = timedelta(seconds=settings.RECONCILE_SETTLE_SECONDS)
    return _reconcile(now=now, limit=limit, settle=settle)


def _reconcile(*, now: datetime, limit: int | None, settle: timedelta) -> ReconcileReport:
    report = ReconcileReport()
    tasks = _unknown_tasks(limit)
    for task in tasks:
        if task.post_id:  # X answered and the id was committed, the status was not
            at = task.published_at or task.claimed_at or now
            _publish(task, task.post_id, at=at, note=RECORDED_NOTE, report=report)
    for account, group in _by_account([t for t in tasks if not t.post_id], report):
        _reconcile_account(account, group, now=now, settle=settle, report=report)
    return report


def _unknown_tasks(limit: int | None) -> list[PublishingTask]:
    qs = PublishingTask.objects.filter(status=S.UNKNOWN).select_related("account", "project")
    return list(qs.order_by("claimed_at", "id")[:limit])


def _by_account(
    tasks: list[PublishingTask], report: ReconcileReport
) -> list[tuple[XAccount, list[PublishingTask]]]:
    groups: dict[int, tuple[XAccount, list[PublishingTask]]] = {}
    defaults: dict[int, XAccount | None] = {}
    for task in tasks:
        account = task_account(task, defaults)
        if account is None:
            report.errors.append(f"Task #{task.pk}: no X account to look on; left unknown.")
            continue
        groups.setdefault(account.pk, (account, []))[1].append(task)
    return list(groups.values())


def _reconcile_account(
    account: XAccount,
    tasks: list[PublishingTask],
    *,
    now: datetime,
    settle: timedelta,
    report: ReconcileReport,
) -> None:
    since = min(_claimed(task) for task in tasks) - _margin()
    try:
        posts = _timeline(account, since)
    except Exception as exc:  # an unread timeline proves nothing: leave every task as it is
        if not isinstance(exc, XError):
            logger.exception("Reading the timeline of @%s failed", account.handle)
        report.errors.append(f"@{account.handle}: {len(tasks)} task(s) left unknown: {exc}")
        return
    # A begun thread is looked for by its first part without a post id.
    probes = {task.pk: thread_probe(task) for task in tasks}
    matches = _match([probes[task.pk] or task for task in tasks], _unowned(posts))
    for task in tasks:
        remote = matches.get(task.pk)
        if remote is not None and probes[task.pk] is not None:
            _settle_thread_part(task, remote, posts, now=now, report=report)
        else:
            _settle(task, remote, now=now, settle=settle, report=report)


def _settle_thread_part(
    task: PublishingTask,
    remote: _Remote,
    posts: list[_Remote],
    *,
    now: datetime,
    report: ReconcileReport,
) -> None:
    """X has the thread's open part: record it, and the parts after it that X has too
    (after a database restore several may be missing); then publish the task when the
    last part is on X, or make it due again so the dispatcher sends the rest."""
    found: _Remote | None = remote
    while found is not None:
        head = thread_part_found(task, found.post.id, at=found.created or now)
        if head is not None:
            at = head.posted_at or now
            _publish(task, head.post_id, at=at, note=FOUND_NOTE, report=report)
            return
        remote, probe = found, thread_probe(task)
        found = _match([probe], _unowned(posts)).get(task.pk) if probe else None
    reason = f"{FOUND_NOTE}: thread part {remote.post.id}; the rest of the thread is due"
    report.found += task_transition(
        task=task, to=S.PENDING, actor=ACTOR, reason=reason, lease_expires_at=None
    )


def _settle(
    task: PublishingTask,
    remote: _Remote | None,
    *,
    now: datetime,
    settle: timedelta,
    report: ReconcileReport,
) -> None:
    age = now - _claimed(task)
    if remote is not None:
        _publish(task, remote.post.id, at=remote.created or now, note=FOUND_NOTE, report=report)
    elif age >= settle:
        _resend(task, age=age, report=report)
    else:
        report.waiting += 1  # X may not show a post this young yet


# --- reading X ----------------------------------------------------------------------


def _timeline(account: XAccount, since: datetime) -> list[_Remote]:
    client = account_client(account)
    user_id = account.x_user_id or _resolve_user_id(account, client)
    try:
        posts = takewhile(lambda p: not _older(p, since), client.recent_posts(user_id, since=since))
        return [_remote(post) for post in posts]
    # xdk fetches pages lazily, so its HTTP errors escape XClient's own wrapping.
    except requests.HTTPError as exc:
        raise error_from_response(exc.response, write=False, media=False) from exc
    except requests.RequestException as exc:
        raise error_from_transport(exc, write=False) from exc


def _resolve_user_id(account: XAccount, client: XClient) -> str:
    # An account stored without verification has no user id, and timelines are by id.
    user_id, _ = client.get_me()
    XAccount.objects.filter(pk=account.pk).update(x_user_id=user_id)
    account.x_user_id = user_id
    return user_id


def _older(post: RemotePost, since: datetime) -> bool:
    # Newest first: once one post is older than needed, so is the rest (stop paging).
    created = _created_at(post)
    return created is not None and created < since


def _created_at(post: RemotePost) -> datetime | None:
    return datetime.fromisoformat(post.created_at) if post.created_at else None


def _remote(post: RemotePost) -> _Remote:
    return _Remote(post, _created_at(post), _remote_keys(post))


def _unowned(posts: list[_Remote]) -> list[_Remote]:
    """Posts no task holds yet: task_post_id_unique allows one task per post."""
    ids = [remote.post.id for remote in posts]
    owned = set(PublishingTask.objects.filter(post_id__in=ids).values_list("post_id", flat=True))
    owned |= thread_post_ids(ids)
    return [remote for remote in posts if remote.post.id not in owned]


# --- matching -----------------------------------------------------------------------


def text_key(text: str) -> str:
    """A text as compared with X's copy: NFC, whitespace collapsed, each URL (as X's own
    extractor finds them, bare domains included) replaced by one wildcard token."""
    text = textcount.normalize(text)
    urls = [entity for entity in textcount.entities(text) if entity.kind == "url"]
    for url in reversed(urls):
        text = f"{text[: url.start]} {URL_WILDCARD} {text[url.end :]}"
    return " ".join(text.split())


def _remote_keys(post: RemotePost) -> frozenset[str]:
    # X's API returns text with &, < and > escaped as HTML entities.
    key = text_key(html.unescape(post.text))
    if post.media_keys and key.endswith(URL_WILDCARD):
        # X appends a link to the media to the text of a post that carries media.
        return frozenset({key, key.removesuffix(URL_WILDCARD).rstrip()})
    return frozenset({key})


def _match(tasks: list[PublishingTask], posts: Iterable[_Remote]) -> dict[int, _Remote]:
    """Task pk → its post. Tasks come oldest claim first and each takes the oldest post
    that fits, so identical texts pair oldest with oldest and no post serves twice."""
    free = sorted(posts, key=lambda remote: int(remote.post.id))  # snowflakes: by time
    found: dict[int, _Remote] = {}
    for task in tasks:
        key, floor = text_key(task.text), _claimed(task) - _margin()
        remote = next((r for r in free if _fits(r, task, key=key, floor=floor)), None)
        if remote is not None:
            free.remove(remote)
            found[task.pk] = remote
    return found


def _fits(remote: _Remote, task: PublishingTask, *, key: str, floor: datetime) -> bool:
    return (
        len(remote.post.media_keys) == len(task.media_paths)
        and (remote.created is None or remote.created >= floor)
        and key in remote.keys
    )


# --- outcomes -----------------------------------------------------------------------


def _publish(
    task: PublishingTask, post_id: str, *, at: datetime, note: str, report: ReconcileReport
) -> None:
    try:
        with transaction.atomic():
            moved = task_transition(
                task=task,
                to=S.PUBLISHED,
                actor=ACTOR,
                reason=f"{note}: post {post_id}",
                post_id=post_id,
                published_at=at,
                last_error="",
                error_class="",
                lease_expires_at=None,
            )
            if moved:
                _log_found(task, post_id, note)
    except IntegrityError:  # task_post_id_unique: a concurrent pass gave it to another task
        report.errors.append(f"Task #{task.pk}: post {post_id} belongs to another task.")
        return
    report.found += moved


def _log_found(task: PublishingTask, post_id: str, note: str) -> None:
    # PublishingLog has no message column: the note goes where a reader looks, `error`.
    # The attempt's duration was never measured, hence 0.
    PublishingLog.objects.create(
        task=task,
        status=PublishingLog.Outcome.SUCCESS,
        post_id=post_id,
        error=note,
        execution_time=0.0,
    )


def _resend(task: PublishingTask, *, age: timedelta, report: ReconcileReport) -> None:
    # scheduled_at is kept: the task is due, and the dispatcher takes it on its next pass.
    reason = f"not found on X after {int(age.total_seconds())} s: safe to resend"
    with transaction.atomic():
        # Since our timeline read another pass may have resent the task, and its new
        # send ended unknown too: the read cannot show that post. Only the claim we
        # looked for may be resent (the status alone would let this pass resend it).
        same_claim = PublishingTask.objects.select_for_update().filter(
            pk=task.pk, status=S.UNKNOWN, claimed_at=task.claimed_at
        )
        if not same_claim.exists():
            return
        limit = retry_policy(task.error_class or "unknown")["max_attempts"]
        if task.attempts >= limit:
            # An outage makes every send unknown: without a bound it would resend forever.
            reason = f"gave up after {task.attempts} attempts; last: {task.last_error or reason}"
            task_transition(task=task, to=S.FAILED, actor=ACTOR, reason=reason, last_error=reason)
            return
        report.resent += task_transition(
            task=task, to=S.PENDING, actor=ACTOR, reason=reason, lease_expires_at=None
        )


def _claimed(task: PublishingTask) -> datetime:
    return task.claimed_at or task.created


def _margin() -> timedelta:
    return timedelta(seconds=settings.RECONCILE_MARGIN_SECONDS)


# --- the publisher's switch and restore safety --------------------------------------


def publisher_state() -> PublisherState:
    state, _ = PublisherState.objects.get_or_create(pk=1)
    return state


def publisher_pause(*, reason: str, actor: str) -> PublisherState:
    with transaction.atomic():
        state = _locked_state()
        _pause(state, reason=reason, actor=actor)
    return state


def publisher_resume(*, actor: str) -> PublisherState:
    """Refused while a restore awaits reconciliation: due tasks may already be on X."""
    with transaction.atomic():
        state = _locked_state()
        if state.reconcile_required:
            raise ValidationError(
                "The database was restored from a backup: reconcile with X first "
                "(publisher_reconcile_after_restore); resuming now could post twice."
            )
        state.paused, state.reason, state.changed_by = False, "", actor
        state.save()
    return state


def publisher_reconcile_after_restore(*, now: datetime) -> ReconcileReport:
    """Check every due task against X, as if each may have been sent after the backup.

    Does nothing unless reconcile_required is set. Clears it, and resumes a publisher
    paused for the restore, only after a pass without errors; otherwise the next call
    tries again."""
    # One transaction holding the state row: dispatcher loops overlap and each calls
    # this first; a second one waits, then finds the work done. A loop that turned a
    # task pending again must never see it taken back to unknown while it sends it.
    with transaction.atomic():
        state = _locked_state()
        if not state.reconcile_required:
            return ReconcileReport()
        if not state.paused:
            _pause(state, reason="restore: checking X for posts sent after the backup")
        return _restore_check(state, now=now)


def _restore_check(state: PublisherState, *, now: datetime) -> ReconcileReport:
    suspects = PublishingTask.objects.filter(status__in=RESTORE_SUSPECTS, scheduled_at__lte=now)
    for task in list(suspects):
        _suspect(task)
    # Those posts went out before the restore finished: X has long shown them.
    report = _reconcile(now=now, limit=None, settle=timedelta(0))
    if not report.errors:
        _restore_finish(state)
    return report


def _suspect(task: PublishingTask) -> None:
    # The earliest moment a send missing from the backup could have started: `updated`
    # is the row's last write the backup holds (the backup came later), scheduled_at
    # bounds a normal send, claimed_at an in-flight one. The earliest of them covers
    # "publish now" and clock skew too; it only widens the timeline read.
    moments = (task.scheduled_at, task.updated, task.claimed_at)
    task_transition(
        task=task,
        to=S.UNKNOWN,
        actor=RESTORE_ACTOR,
        reason="database restored: may have been sent after the backup",
        claimed_at=min(moment for moment in moments if moment is not None),
        lease_expires_at=None,
    )


def _restore_finish(state: PublisherState) -> None:
    state.reconcile_required = False
    # An operator's own pause outlives the restore; only the restore's pause is lifted.
    if state.paused and state.reason.startswith("restore"):
        state.paused, state.reason = False, ""
    state.changed_by = ACTOR
    state.save()


def _pause(state: PublisherState, *, reason: str, actor: str = ACTOR) -> None:
    state.paused, state.reason, state.changed_by = True, reason, actor
    state.save()


def _locked_state() -> PublisherState:
    state, _ = PublisherState.objects.select_for_update().get_or_create(pk=1)
    return state
