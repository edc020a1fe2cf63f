"""Writes for projects: registering a content folder, and storing what a scan found."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone as django_timezone

from configuration.selectors import config_dict
from projects.models import ContentSource, Language, Layout, Project, ScanReport
from projects.paths import PathNotAllowed, resolve_inside_roots
from projects.scanning import ScannedItem, ScanResult, detect_layout, scan_tree

# Rows per INSERT/UPDATE statement at most; Django lowers it on SQLite to stay within
# 999 bound variables (about 99 rows of ContentSource).
SCAN_BATCH_SIZE = 500
_SCHEDULING = (
    "enabled",
    "priority",
    "daily_max",
    "preferred_hours",
    "blackout_hours",
    "min_interval_minutes",
    "missed_after_minutes",
    "missed_policy",
    "made_with_ai",
)
SCHEDULING_FIELDS = frozenset(_SCHEDULING)
# What project_create takes; the review settings are project_update's only.
CREATE_FIELDS = frozenset({"name", "path", "language", "timezone", "layout"}) | SCHEDULING_FIELDS
# A project's settings in the order the API shows them: scheduling, then review.
SETTINGS_FIELDS = (*_SCHEDULING, "text_mode", "requires_approval", "language_mode", "thread_mode")
UPDATABLE_FIELDS = CREATE_FIELDS | frozenset(SETTINGS_FIELDS)
_UPDATED_FIELDS = ["kind", "media_paths", "metadata", "fingerprint", "status", "error", "last_seen"]
Status = ContentSource.Status


@dataclass(frozen=True)
class ScanOutcome:
    """ContentSource ids by what the scan did to them, ordered by key.

    created/updated/unchanged/removed partition the rows the scan saw or removed;
    `errored` lists those (among created/updated/unchanged) now in error."""

    created: list[int]
    updated: list[int]
    unchanged: list[int]
    removed: list[int]
    errored: list[int]
    report: ScanReport


# --- project_create ---------------------------------------------------------------


def project_create(
    *,
    owner,
    name: str,
    path: str,
    language: str = Language.EN,
    timezone: str = "UTC",
    layout: str | None = None,
    **scheduling,
) -> Project:
    """Registers a content folder. Raises ValidationError (by field) and creates nothing
    when any value is wrong."""
    if unknown := sorted(set(scheduling) - SCHEDULING_FIELDS):
        raise TypeError(f"project_create() got unexpected keyword arguments: {unknown}")
    # What is not given takes the runtime configuration's defaults for new projects.
    scheduling = {**config_dict("scheduling"), **scheduling}
    errors: dict[str, list[str]] = {}
    real = _collect(errors, "path", project_path_clean, path)
    project = Project(
        owner=owner,
        name=_collect(errors, "name", _clean_name, owner, name),
        path=str(real or ""),
        language=_collect(errors, "language", _clean_language, language),
        timezone=_collect(errors, "timezone", _clean_timezone, timezone),
        layout=_collect(errors, "layout", _clean_layout, layout, real),
        **scheduling,
    )
    _clean_scheduling(project, scheduling, errors)
    if errors:
        raise ValidationError(errors)
    return _save_new(project)


def _collect(errors: dict[str, list[str]], field: str, clean: Callable, *args):
    try:
        return clean(*args)
    except ValidationError as exc:
        errors[field] = exc.messages
        return None


def _clean_name(owner, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the project a name.")
    if Project.objects.filter(owner=owner, name=name).exists():
        raise ValidationError(f"You already have a project named {name!r}.")
    return name


def project_path_clean(path: str) -> Path:
    """The real path of a project folder inside CONTENT_ROOTS, or ValidationError with
    the reason; what project_create, project_update and the admin's form check."""
    try:
        real = resolve_inside_roots(path, settings.CONTENT_ROOTS)
    except PathNotAllowed as exc:
        raise ValidationError(str(exc)) from exc
    if not real.is_dir():
        state = "is not a folder" if real.exists() else "does not exist"
        raise ValidationError(f"The project folder {real} {state}.")
    return real


def _clean_language(language: str) -> str:
    language = "cn" if language == "zh" else language  # file names say zh too
    if language not in Language.values:
        raise ValidationError(
            f"Unknown language {language!r}; choose one of {', '.join(Language.values)}."
        )
    return language


def _clean_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValidationError(
            f"Unknown time zone {name!r}; use an IANA name such as Europe/Paris or Asia/Tokyo."
        ) from None
    return name


def _clean_layout(layout: str | None, real: Path | None) -> str:
    if layout is None:
        return detect_layout(real) if real else ""
    if layout not in Layout.values:
        raise ValidationError(
            f"Unknown layout {layout!r}; choose one of {', '.join(Layout.values)}."
        )
    return layout


def _clean_scheduling(project: Project, scheduling: dict, errors: dict[str, list[str]]) -> None:
    for field in ("preferred_hours", "blackout_hours"):
        hours = scheduling.get(field, [])
        if not isinstance(hours, list) or not all(_is_hour(hour) for hour in hours):
            errors[field] = ["Hours must be a list of whole hours from 0 to 23."]
    if not isinstance(project.daily_max, int) or project.daily_max < 1:
        errors["daily_max"] = ["The daily maximum must be at least 1."]
    try:
        # Field checks (choices, ranges, lengths); the checks above give clearer words.
        skip = [*errors, *([] if project.layout else ["layout"])]
        project.full_clean(exclude=skip, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)


def _is_hour(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 23


def _save_new(project: Project) -> Project:
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        # Another request created the same name between the check and the insert.
        message = f"You already have a project named {project.name!r}."
        raise ValidationError({"name": [message]}) from None
    return project


# --- project_scan -----------------------------------------------------------------


def project_scan(
    *, project: Project, now: datetime | None = None, max_video_seconds: int | None = None
) -> ScanOutcome:
    """Scans the project's folder and brings its ContentSource rows in line with it.
    `max_video_seconds` is the posting account's video limit (140 s when not given).

    Never raises for what is on disk: problems are in the report. Rows of an unchanged
    tree are not written at all (their last_seen stays; project.last_scan says when
    they were last confirmed)."""
    started = now or django_timezone.now()
    clock = time.monotonic()
    result = _scan_folder(project, max_video_seconds)
    # The slow part (the disk) runs outside the transaction; the diff runs under the lock.
    with transaction.atomic():
        previous_scan = _lock(project)
        ids = _store(project, result, started, previous_scan)
        finished = started + timedelta(seconds=time.monotonic() - clock)
        report = _save_report(project, result, ids, started, finished)
        if "." not in result.unscanned:
            project.last_scan = started
            project.save(update_fields=["last_scan"])
    return ScanOutcome(**ids, report=report)


def _scan_folder(project: Project, max_video_seconds: int | None) -> ScanResult:
    # Confined again at every scan: the folder or a link above it may have moved.
    try:
        root = resolve_inside_roots(project.path, settings.CONTENT_ROOTS)
    except PathNotAllowed as exc:
        return ScanResult(errors=[{"path": ".", "error": str(exc)}], unscanned=["."])
    return scan_tree(root, project.layout, project.language, max_video_seconds=max_video_seconds)


def _lock(project: Project) -> datetime | None:
    """Serializes scans of one project (SQLite: the IMMEDIATE transaction already does);
    returns the previous scan's time."""
    locked = Project.objects.select_for_update().filter(pk=project.pk)
    return locked.values_list("last_scan", flat=True).get()


def _store(
    project: Project, result: ScanResult, now: datetime, previous_scan: datetime | None
) -> dict[str, list[int]]:
    existing = {
        key: (pk, fingerprint, status)
        for pk, key, fingerprint, status in project.sources.values_list(
            "pk", "key", "fingerprint", "status"
        )
    }
    new, changed, unchanged = _diff(project, result.items, existing, now)
    created = _create(project, new)
    _update(changed)
    # A removed row was present at the previous scan: that is when it was last seen.
    removed = _remove(_missing(existing, result), last_seen=previous_scan or now)
    errored = [row.pk for row in (*new, *changed) if row.status == Status.ERROR]
    errored += [pk for pk, item in unchanged if item.error]
    return {
        "created": created,
        "updated": [row.pk for row in changed],
        "unchanged": [pk for pk, _item in unchanged],
        "removed": removed,
        "errored": sorted(errored),
    }


def _diff(project: Project, items: list[ScannedItem], existing: dict, now: datetime):
    new: list[ContentSource] = []
    changed: list[ContentSource] = []
    unchanged: list[tuple[int, ScannedItem]] = []
    for item in items:
        row = existing.get(item.key)
        if row is None:
            new.append(_row(item, now, project=project))
        elif row[1:] != (item.fingerprint, _status(item)):
            changed.append(_row(item, now, pk=row[0], project_id=project.pk))
        else:
            unchanged.append((row[0], item))
    return new, changed, unchanged


def _status(item: ScannedItem) -> str:
    return Status.ERROR if item.error else Status.ACTIVE


def _row(item: ScannedItem, now: datetime, **identity) -> ContentSource:
    return ContentSource(
        key=item.key,
        kind=item.kind,
        media_paths=item.media_paths,
        metadata=item.metadata,
        fingerprint=item.fingerprint,
        status=_status(item),
        error=item.error,
        last_seen=now,
        **identity,
    )


def _create(project: Project, rows: list[ContentSource]) -> list[int]:
    ContentSource.objects.bulk_create(rows, batch_size=SCAN_BATCH_SIZE)
    if any(row.pk is None for row in rows):
        # Databases without INSERT ... RETURNING leave the ids unset.
        ids = dict(project.sources.values_list("key", "pk"))
        for row in rows:
            row.pk = ids[row.key]
    return [row.pk for row in rows]


def _update(rows: list[ContentSource]) -> None:
    ContentSource.objects.bulk_update(rows, _UPDATED_FIELDS, batch_size=SCAN_BATCH_SIZE)


def _missing(existing: dict, result: ScanResult) -> list[int]:
    """Rows not found on disk, except under folders the scan could not read."""
    seen = {item.key for item in result.items}
    return sorted(
        pk
        for key, (pk, _fingerprint, status) in existing.items()
        if key not in seen and status != Status.REMOVED and not _unscanned(key, result.unscanned)
    )


def _unscanned(key: str, folders: list[str]) -> bool:
    return any(folder == "." or key.startswith(folder + "/") for folder in folders)


def _remove(pks: list[int], *, last_seen: datetime) -> list[int]:
    for batch in _batches(pks):
        ContentSource.objects.filter(pk__in=batch).update(
            status=Status.REMOVED, last_seen=last_seen
        )
    return pks


def _batches(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), SCAN_BATCH_SIZE):
        yield values[start : start + SCAN_BATCH_SIZE]


def _save_report(
    project: Project,
    result: ScanResult,
    ids: dict[str, list[int]],
    started: datetime,
    finished: datetime,
) -> ScanReport:
    return ScanReport.objects.create(
        project=project,
        started=started,
        finished=finished,
        created_count=len(ids["created"]),
        updated_count=len(ids["updated"]),
        unchanged_count=len(ids["unchanged"]),
        removed_count=len(ids["removed"]),
        error_count=len(result.errors),
        errors=result.errors,
    )


# --- project_update ---------------------------------------------------------------


def project_update(*, project: Project, **changes) -> Project:
    """Changes a project's settings. Raises ValidationError (by field) and changes
    nothing when any value is wrong; a new path is confined like a new project's."""
    if unknown := sorted(set(changes) - UPDATABLE_FIELDS):
        raise TypeError(f"project_update() got unexpected keyword arguments: {unknown}")
    errors: dict[str, list[str]] = {}
    cleaners = {
        "name": lambda value: _clean_new_name(project, value),
        "path": lambda value: str(project_path_clean(value)),
        "language": _clean_language,
        "timezone": _clean_timezone,
        "layout": lambda value: _clean_layout(value, None),
    }
    cleaned = {
        field: _collect(errors, field, cleaners[field], value) if field in cleaners else value
        for field, value in changes.items()
    }
    updated = Project.objects.get(pk=project.pk)
    for field, value in cleaned.items():
        setattr(updated, field, value)
    _clean_scheduling(updated, {**_hours(updated), **changes}, errors)
    if errors:
        raise ValidationError(errors)
    return _save_changed(updated, list(changes))


def _clean_new_name(project: Project, name: str) -> str:
    if (name or "").strip() == project.name:
        return project.name
    return _clean_name(project.owner, name)


def _hours(project: Project) -> dict:
    return {"preferred_hours": project.preferred_hours, "blackout_hours": project.blackout_hours}


def _save_changed(project: Project, fields: list[str]) -> Project:
    try:
        with transaction.atomic():
            project.save(update_fields=[*fields, "updated"] if fields else None)
    except IntegrityError:
        message = f"You already have a project named {project.name!r}."
        raise ValidationError({"name": [message]}) from None
    return project


def project_set_members(*, project: Project, members) -> None:
    """Who besides the owner sees the project."""
    project.members.set([user for user in members if user.pk != project.owner_id])


def project_set_paused(*, project: Project, paused: bool) -> bool:
    """Stop (or restart) publishing the project's tasks; scanning goes on. False if it
    was in that state already."""
    changed = Project.objects.filter(pk=project.pk).exclude(paused=paused).update(paused=paused)
    project.paused = paused
    return bool(changed)


def project_delete(*, project: Project) -> None:
    """Deletes the project with its content rows and tasks (their history goes too)."""
    project.delete()
