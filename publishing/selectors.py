"""Reads for publishing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet

from projects.selectors import project_ids_visible_to
from publishing.models import GeminiStatus, PublishingLog, PublishingTask, RateLimitState

S = PublishingTask.Status


def tasks_due(
    *,
    now: datetime,
    limit: int,
    ignore_schedule: bool = False,
    project_id: int | None = None,
    lock: bool = False,
) -> list[PublishingTask]:
    """Pending tasks whose time has come, highest priority first, skipping paused
    projects and accounts. With `lock`, the rows are locked for the caller's
    transaction, and rows another transaction holds are skipped (PostgreSQL)."""
    qs = (
        PublishingTask.objects.filter(status=S.PENDING, project__paused=False)
        .filter(Q(project__requires_approval=False) | Q(approved_at__isnull=False))
        .exclude(account__paused=True)
    )
    if not ignore_schedule:
        qs = qs.filter(scheduled_at__lte=now)
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if lock:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    # Not the account: the dispatcher reads each account once per pass, not once per
    # row (four Fernet decryptions each); nor the source, read only for media alt text.
    qs = qs.select_related("project")
    return list(qs.order_by("-priority", "scheduled_at", "id")[:limit])


def tasks_unknown_exist() -> bool:
    return PublishingTask.objects.filter(status=S.UNKNOWN).exists()


def next_wakeup(*, now: datetime) -> datetime | None:
    """The earliest time something becomes due: a scheduled task, a retry, or the reset
    of an exhausted rate-limit bucket (tasks it holds back may go then)."""
    found = PublishingTask.objects.filter(
        Q(status=S.PENDING, scheduled_at__gt=now) | Q(status=S.RETRY_WAIT)
    ).aggregate(
        scheduled=Min("scheduled_at", filter=Q(status=S.PENDING)),
        retry=Min("next_attempt_at", filter=Q(status=S.RETRY_WAIT)),
    )
    exhausted = RateLimitState.objects.filter(remaining__lte=0, reset_at__gt=now)
    found["reset"] = exhausted.aggregate(reset=Min("reset_at"))["reset"]
    times = [t for t in found.values() if t is not None]
    return min(times) if times else None


def task_list(
    *, project_id: int | None = None, status: str | None = None
) -> QuerySet[PublishingTask]:
    qs = PublishingTask.objects.select_related("project", "account").order_by("scheduled_at", "id")
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if status:
        qs = qs.filter(status=status)
    return qs


# --- API reads (scoped to the projects a user sees) ----------------------------------


def tasks_visible_to(user) -> QuerySet[PublishingTask]:
    visible = project_ids_visible_to(user)
    tasks = PublishingTask.objects.all()
    return tasks if visible is None else tasks.filter(project_id__in=visible)


def task_search(
    tasks: QuerySet[PublishingTask],
    *,
    project: int | None = None,
    status: list[str] | None = None,
    language: str | None = None,
    scheduled_after: datetime | None = None,
    scheduled_before: datetime | None = None,
    search: str = "",
) -> QuerySet[PublishingTask]:
    """Narrows `tasks` by the API's list filters (all optional)."""
    lookups = {
        "project_id": project,
        "status__in": status or None,
        "language": language,
        "scheduled_at__gte": scheduled_after,
        "scheduled_at__lt": scheduled_before,
    }
    tasks = tasks.filter(**{key: value for key, value in lookups.items() if value is not None})
    if search:
        tasks = tasks.filter(Q(text__icontains=search) | Q(content_path__icontains=search))
    return tasks


def logs_visible_to(user) -> QuerySet[PublishingLog]:
    visible = project_ids_visible_to(user)
    logs = PublishingLog.objects.all()
    return logs if visible is None else logs.filter(task__project_id__in=visible)


def project_statistics(project) -> dict:
    """Task counts by status, content counts by status, and publishing times."""
    tasks = PublishingTask.objects.filter(project=project)
    by_status = dict(tasks.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    sources = dict(
        project.sources.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    times = tasks.aggregate(
        last_published=Max("published_at"),
        next_scheduled=Min("scheduled_at", filter=Q(status=S.PENDING)),
    )
    return {
        "tasks": {value: by_status.get(value, 0) for value in S.values},
        "tasks_total": sum(by_status.values()),
        "sources": sources,
        **times,
        "last_scan": project.last_scan,
    }


@dataclass(frozen=True)
class GeminiOutage:
    """Gemini failing since `since` (posts are composed directly meanwhile)."""

    since: datetime
    failures: int
    last_error: str
    last_error_at: datetime | None

    @property
    def reason(self) -> str:
        return (
            f"{self.last_error}; {self.failures} failed call(s) since "
            f"{self.since.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )


def gemini_outage_state() -> GeminiOutage | None:
    """The current Gemini outage, or None while Gemini answers. Without GEMINI_API_KEY
    there is none: direct mode is then the configuration, not a failure. An outage
    lasts from the first failed call until a call succeeds (publishing.services.
    generation records both); monitoring's alert rules read it here."""
    if not settings.GEMINI_API_KEY:
        return None
    status = GeminiStatus.objects.filter(pk=1, outage_since__isnull=False).first()
    if status is None:
        return None
    return GeminiOutage(
        status.outage_since, status.failures, status.last_error, status.last_error_at
    )
