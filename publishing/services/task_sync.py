"""Turn a project's scanned content into publishing tasks, and keep them in step with
the files: new content gets a task and a time slot, changed content updates tasks that
have not gone out, removed content cancels what is still waiting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from projects.models import ContentSource, Language, Project
from publishing.composer import ComposeError, compose_post
from publishing.models import PublishingTask, XAccount
from publishing.scheduling import SlotPolicy, next_slots
from publishing.services.accounts import account_for_project
from publishing.services.generation import post_generate
from publishing.services.transitions import task_transition
from publishing.threadsplit import MAX_TEXT_WEIGHT

S = PublishingTask.Status
ACTOR = "scanner"
# Tasks whose text may still change: nothing has been sent for them.
EDITABLE = (S.PENDING, S.QUEUED, S.RETRY_WAIT, S.INVALID, S.NEEDS_REVIEW, S.FAILED, S.MISSED)
CANCELLABLE = EDITABLE
WAITING = (S.PENDING, S.QUEUED, S.RETRY_WAIT)
# Tasks whose post is on X or may be.
SENT = (S.PUBLISHED, S.PUBLISHING, S.UNKNOWN)
# How many of the account's latest posts a generated text is compared with.
RECENT_POSTS = 50


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    invalid: int = 0
    invalid_reasons: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "tasks_created": self.created,
            "tasks_updated": self.updated,
            "tasks_cancelled": self.cancelled,
            "tasks_invalid": self.invalid,
            "invalid": self.invalid_reasons,
        }


@dataclass(frozen=True)
class Draft:
    """What a source should publish as: text and media, or the reason it cannot."""

    text: str = ""
    weighted_length: int = 0
    error: str = ""
    origin: str = "direct"
    note: str = ""


@dataclass(frozen=True)
class Writer:
    """How one sync pass writes texts: the project's mode, the account's limit, the
    account's recent posts (Gemini must not repeat one: X refuses duplicates), and
    whether a text over the limit may go out as a thread (then direct mode and
    hand-written texts are not shortened to one post)."""

    mode: str
    char_limit: int
    recent: tuple[str, ...] = ()
    thread: bool = False

    @property
    def compose_limit(self) -> int:
        return MAX_TEXT_WEIGHT if self.thread else self.char_limit


def draft_for(source: ContentSource, language: str, writer: Writer) -> Draft:
    if source.status == ContentSource.Status.ERROR:
        return Draft(error=f"The content has an error: {source.error}")
    meta = source.metadata.get(language)
    if meta is None:
        found = ", ".join(sorted(source.metadata)) or "none"
        return Draft(error=f"No metadata in the project's language '{language}' (found: {found}).")
    try:
        return _write(meta, language, writer)
    except ComposeError as exc:
        return Draft(error=str(exc))


def _write(meta: dict, language: str, writer: Writer) -> Draft:
    # Gemini writes one post within the limit; in thread mode the others may run longer.
    if writer.mode != "gemini" or (writer.thread and "text" in meta):
        post = compose_post(meta, language, limit=writer.compose_limit)
        return Draft(text=post.text, weighted_length=post.weighted_length)
    made = post_generate(
        meta=meta, language=language, limit=writer.char_limit, recent_texts=writer.recent
    )
    return Draft(
        text=made.text,
        weighted_length=made.weighted_length,
        origin=made.mode,
        note=made.fallback_reason,
    )


def _writer(project: Project, account: XAccount | None) -> Writer:
    return Writer(
        mode=project.text_mode,
        char_limit=account.char_limit if account else 280,
        # Only Gemini is shown them: a direct-mode scan need not read them.
        recent=_recent_texts(account) if project.text_mode == "gemini" else (),
        thread=project.thread_mode,
    )


def _recent_texts(account: XAccount | None) -> tuple[str, ...]:
    recent = PublishingTask.objects.filter(status=S.PUBLISHED)
    if account is not None:
        recent = recent.filter(account=account)
    return tuple(recent.order_by("-published_at").values_list("text", flat=True)[:RECENT_POSTS])


def tasks_sync_for_project(*, project: Project, now: datetime | None = None) -> SyncReport:
    """Bring the project's tasks in line with its content sources (idempotent)."""
    now = now or timezone.now()
    account = account_for_project(project)
    writer = _writer(project, account)
    tasks: dict[int, dict[str, PublishingTask]] = {}
    for task in project.tasks.filter(source__isnull=False):
        tasks.setdefault(task.source_id, {})[task.language] = task
    report = SyncReport()
    new: list[PublishingTask] = []
    revived: list[tuple[PublishingTask, dict]] = []
    for source in project.sources.all().iterator(chunk_size=2000):
        existing = tasks.get(source.pk, {})
        wanted = languages_to_publish(project, source)
        for language, task in existing.items():
            if language in wanted:
                _sync_existing(task, source, writer, report, revived)
            else:
                _cancel_unwanted(task, project, report)
        for language in wanted:
            if language not in existing and _may_create(project, source, existing):
                new.append(_new_task(project, source, language, account, writer))
    _revive(project, revived, now, report)
    _create_scheduled(project, new, now, report)
    return report


def languages_to_publish(project: Project, source: ContentSource) -> list[str]:
    """The project's language (the original behaviour), or in "each" mode every
    language the file has metadata in (the project's when it has none)."""
    if project.language_mode == Project.LanguageMode.EACH:
        found = [language for language in sorted(source.metadata) if language in Language.values]
        return found or [project.language]
    return [project.language]


def _may_create(
    project: Project, source: ContentSource, existing: dict[str, PublishingTask]
) -> bool:
    # Sources in error are reported by the scan; they get a task once fixed.
    if source.status != ContentSource.Status.ACTIVE:
        return False
    if project.language_mode == Project.LanguageMode.EACH:
        return True
    # One post per file: a change of the project's language must not post it again.
    return not any(task.status in SENT for task in existing.values())


def _cancel_unwanted(task: PublishingTask, project: Project, report: SyncReport) -> None:
    if task.status not in CANCELLABLE:
        return
    if project.language_mode == Project.LanguageMode.EACH:
        reason = f"The file has no {task.language} metadata any more."
    else:
        reason = f"The project publishes only its language ({project.language}) now."
    if task_transition(task=task, to=S.CANCELLED, actor=ACTOR, reason=reason):
        report.cancelled += 1


def _new_task(
    project: Project,
    source: ContentSource,
    language: str,
    account: XAccount | None,
    writer: Writer,
) -> PublishingTask:
    draft = draft_for(source, language, writer)
    return PublishingTask(
        project=project,
        source=source,
        account=account,
        content_path=source.key,
        media_paths=source.media_paths,
        has_media=bool(source.media_paths),
        language=language,
        text=draft.text,
        weighted_length=draft.weighted_length,
        text_origin=draft.origin,
        text_note=draft.note,
        status=S.INVALID if draft.error else S.PENDING,
        last_error=draft.error,
        error_class="content" if draft.error else "",
        priority=project.priority,
    )


def _create_scheduled(
    project: Project, new: list[PublishingTask], now: datetime, report: SyncReport
) -> None:
    pending = [t for t in new if t.status == S.PENDING]
    for task, slot in zip(pending, _slots(project, len(pending), now), strict=True):
        task.scheduled_at = slot
    with transaction.atomic():
        PublishingTask.objects.bulk_create(new, batch_size=1000)
    report.created += len(new)
    for task in new:
        if task.status == S.INVALID:
            _note_invalid(report, task)


def _slots(project: Project, count: int, now: datetime) -> list[datetime]:
    if count == 0:
        return []
    horizon = now - timedelta(days=2)
    waiting = project.tasks.filter(status__in=WAITING, scheduled_at__isnull=False)
    published = project.tasks.filter(status=S.PUBLISHED, published_at__gte=horizon)
    taken = [*waiting.values_list("scheduled_at", flat=True)]
    taken += published.values_list("published_at", flat=True)
    return next_slots(SlotPolicy.from_project(project), taken=taken, now=now, count=count)


def _sync_existing(
    task: PublishingTask,
    source: ContentSource,
    writer: Writer,
    report: SyncReport,
    revived: list[tuple[PublishingTask, dict]],
) -> None:
    if source.status == ContentSource.Status.REMOVED:
        if task.status in CANCELLABLE and task_transition(
            task=task, to=S.CANCELLED, actor=ACTOR, reason="The file was removed from disk."
        ):
            report.cancelled += 1
        return
    if task.status not in (*EDITABLE, S.CANCELLED) or task.text_origin == "edited":
        return  # sent, on its way, or worded by an operator: the file no longer decides
    if task.status == S.CANCELLED and not _cancelled_by_scanner(task):
        return  # an operator's cancel stands until an operator retries
    draft = draft_for(source, task.language, writer)
    if draft.error:
        _make_invalid(task, draft, report)
    else:
        _refresh(task, source, draft, report, revived)


def _cancelled_by_scanner(task: PublishingTask) -> bool:
    last = task.transitions.filter(to_status=S.CANCELLED).order_by("-created", "-id").first()
    return last is not None and last.actor == ACTOR


def _make_invalid(task: PublishingTask, draft: Draft, report: SyncReport) -> None:
    if task.status == S.INVALID and task.last_error == draft.error:
        return
    if task.status == S.INVALID:
        PublishingTask.objects.filter(pk=task.pk, status=S.INVALID).update(last_error=draft.error)
    elif not task_transition(
        task=task, to=S.INVALID, actor=ACTOR, reason=draft.error, last_error=draft.error
    ):
        return
    task.last_error = draft.error
    _note_invalid(report, task)
    report.updated += 1


def _refresh(
    task: PublishingTask,
    source: ContentSource,
    draft: Draft,
    report: SyncReport,
    revived: list[tuple[PublishingTask, dict]],
) -> None:
    fields = {
        "text": draft.text,
        "weighted_length": draft.weighted_length,
        "media_paths": source.media_paths,
        "text_origin": draft.origin,
        "text_note": draft.note,
    }
    if draft.text != task.text:
        # An approval is for the words the operator read: new words need a new look.
        # (Cleared whatever this process last read: an approval given meanwhile was
        # for the old words too.)
        fields.update(approved_at=None, approved_by="")
    unchanged = all(getattr(task, k) == v for k, v in fields.items())
    if unchanged and task.status not in (S.INVALID, S.CANCELLED):
        return
    if task.status in (S.INVALID, S.CANCELLED):
        revived.append((task, fields))  # slots for all of them at once, see _revive
        return
    PublishingTask.objects.filter(pk=task.pk, status=task.status).update(**fields)
    report.updated += 1


def _revive(
    project: Project,
    revived: list[tuple[PublishingTask, dict]],
    now: datetime,
    report: SyncReport,
) -> None:
    """Fixed or back on disk: pending again, each in a new slot (an old slot may have
    passed). One slot query for all of them, not one per task."""
    for (task, fields), slot in zip(revived, _slots(project, len(revived), now), strict=True):
        fields.update(last_error="", error_class="", scheduled_at=slot)
        reason = "Content is valid"
        if task_transition(task=task, to=S.PENDING, actor=ACTOR, reason=reason, **fields):
            report.updated += 1


def _note_invalid(report: SyncReport, task: PublishingTask) -> None:
    report.invalid += 1
    report.invalid_reasons.append({"path": task.content_path, "error": task.last_error})
