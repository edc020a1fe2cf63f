"""A scan, end to end: the scanner reads the folder (projects), then publishing turns
what it found into tasks."""

from __future__ import annotations

from datetime import datetime

from projects.models import Project
from projects.services import project_scan
from publishing.services.accounts import account_for_project
from publishing.services.task_sync import tasks_sync_for_project


def project_ingest(*, project: Project, now: datetime | None = None) -> dict:
    # Videos are checked against the limit of the account that will post them.
    account = account_for_project(project)
    limit = account.max_video_seconds if account is not None else None
    outcome = project_scan(project=project, now=now, max_video_seconds=limit)
    sync = tasks_sync_for_project(project=project, now=now)
    report = outcome.report
    return {
        "project": project.name,
        "created": report.created_count,
        "updated": report.updated_count,
        "unchanged": report.unchanged_count,
        "removed": report.removed_count,
        "errors": report.errors,
        **sync.as_dict(),
    }
