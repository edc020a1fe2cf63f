"""Thread mode: a text over the account's limit goes out as a numbered reply chain.

- The text is split by publishing.threadsplit: at sentence ends, numbered " i/n",
  each part within the account's limit by X's count, numbering included.
- The split is stored (ThreadPart) before the first part is sent, and each part's post
  id is committed in its own transaction the moment X answers: a crash resumes the
  thread after the last recorded part, never sending a part twice. A part whose answer
  was lost is settled by reconciliation like a single post (publishing.services.reconcile
  looks for the open part on the account's timeline).
- Since February 2026 X may refuse API replies with a 403, even to one's own posts.
  That refusal is final for this thread: the task waits for review with advice, and
  the parts already posted stay recorded.

The dispatcher calls `thread_needed` and `thread_send` from its send path; the rules
are documented in docs/composing.md ("Thread mode")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from publishing.models import PublishingTask, ThreadPart, XAccount
from publishing.services.budget import budget_record
from publishing.textcount import weighted_length
from publishing.threadsplit import ThreadError, split_thread
from publishing.xclient import ErrorClass, XClient, XError

REPLY_ADVICE = (
    "Since February 2026 X lets an API reply through only where the author of the post "
    "replied to mentioned or quoted the replying account, and it may refuse even replies "
    "to one's own posts; retrying will not help. Post the rest of the thread by hand as "
    "replies to the last part on X, or shorten the text to one post (paid accounts post "
    "up to 25,000 characters) and turn thread mode off for this project."
)


# --- sending -----------------------------------------------------------------------------


def thread_needed(task: PublishingTask, account: XAccount) -> bool:
    """Whether `task` goes out as a thread: its project is in thread mode and the text
    is over the account's limit, or a thread of it has already begun."""
    over = weighted_length(task.text) > account.char_limit
    if not (over or task.project.thread_mode):
        return False  # the common case, decided without a query
    return (over and task.project.thread_mode) or task.thread_parts.exists()


def thread_send(
    *, task: PublishingTask, client: XClient, account: XAccount, media_ids: list[str]
) -> str:
    """Send the parts X does not have yet, each a reply to the one before; returns the
    first part's post id (the task's post id). Media go with the first part."""
    # The dispatcher calls this module, so its helpers are imported at use.
    from publishing.services.dispatch import ClaimLost, _claim_renew, crash_point

    parts = thread_parts_for(task, account.char_limit)
    previous = ""
    for part in parts:
        if not part.post_id:
            if not _claim_renew(task):
                raise ClaimLost(task.pk)
            created = _send_part(task, client, part, parts, previous, media_ids)
            crash_point("thread_after_answer")  # X has the part; it is not recorded yet
            _checkpoint(part, created.id)
            crash_point("thread_after_checkpoint")
            budget_record(account=account, rate_limit=created.rate_limit, now=timezone.now())
        previous = part.post_id
    return parts[0].post_id


def thread_parts_for(task: PublishingTask, limit: int) -> list[ThreadPart]:
    """The task's stored parts; (re)made from its text while none has been posted (an
    operator may have edited the text, or the account's limit changed)."""
    stored = list(task.thread_parts.order_by("index"))
    if any(part.post_id for part in stored):
        return stored
    try:
        texts = split_thread(task.text, limit)
    except ThreadError as exc:
        raise XError(f"Thread mode: {exc}.", error_class=ErrorClass.CONTENT) from None
    if [part.text for part in stored] == texts:
        return stored
    with transaction.atomic():
        task.thread_parts.all().delete()
        return ThreadPart.objects.bulk_create(
            ThreadPart(task=task, index=i, text=text, weighted_length=weighted_length(text))
            for i, text in enumerate(texts)
        )


def _send_part(task, client, part, parts, previous, media_ids):
    try:
        return client.create_post(
            part.text,
            media_ids=media_ids if part.index == 0 else None,
            reply_to=previous or None,
            made_with_ai=task.project.made_with_ai,
        )
    except XError as exc:
        exc.operation = "create_post"
        if previous and exc.http_status == 403 and not exc.ambiguous:
            raise _reply_refused(exc, part, parts) from exc
        raise


def _reply_refused(exc: XError, part: ThreadPart, parts: list[ThreadPart]) -> XError:
    posted = ", ".join(p.post_id for p in parts if p.post_id)
    done = "Part 1 is" if part.index == 1 else f"Parts 1-{part.index} are"
    message = (
        f"X refused part {part.index + 1} of {len(parts)} as a reply ({exc}). "
        f"{done} on X ({posted}) and recorded. {REPLY_ADVICE}"
    )
    error = XError(message, error_class=ErrorClass.CONTENT, http_status=403)
    error.operation, error.rate_limit = "create_post", exc.rate_limit
    return error


def _checkpoint(part: ThreadPart, post_id: str) -> None:
    # Committed on its own, at once: from here on a crash must not send this part again.
    now = timezone.now()
    with transaction.atomic():
        ThreadPart.objects.filter(pk=part.pk, post_id="").update(post_id=post_id, posted_at=now)
    part.post_id, part.posted_at = post_id, now


# --- reconciliation ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadProbe:
    """What reconciliation looks for on the timeline instead of a thread task's whole
    text: its first part without a post id (shaped like a task for matching)."""

    pk: int
    text: str
    media_paths: list[str]
    claimed_at: datetime | None
    created: datetime


def thread_probe(task: PublishingTask) -> ThreadProbe | None:
    """The open part of a begun thread, or None for a task that is not one."""
    part = task.thread_parts.filter(post_id="").order_by("index").first()
    if part is None:
        return None
    media = task.media_paths if part.index == 0 else []
    return ThreadProbe(task.pk, part.text, media, task.claimed_at, task.created)


def thread_part_found(task: PublishingTask, post_id: str, at: datetime) -> ThreadPart | None:
    """Record that X has the task's open part as `post_id`. Returns the first part when
    the whole thread is now on X, None while parts remain to be sent."""
    part = task.thread_parts.filter(post_id="").order_by("index").first()
    if part is not None:
        with transaction.atomic():
            ThreadPart.objects.filter(pk=part.pk, post_id="").update(post_id=post_id, posted_at=at)
    if task.thread_parts.filter(post_id="").exists():
        return None
    return task.thread_parts.order_by("index").first()


def thread_post_ids(post_ids: Sequence[str]) -> set[str]:
    """Those of `post_ids` that are parts of a thread already recorded."""
    return set(ThreadPart.objects.filter(post_id__in=post_ids).values_list("post_id", flat=True))
