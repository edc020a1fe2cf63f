"""Scheduled backups and their retention: the newest backup of each of the last
BACKUP_KEEP_DAILY days, and of each of the last BACKUP_KEEP_WEEKLY ISO weeks, are kept.
Manual and safety backups are the operator's: never removed automatically."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from database.models import Backup
from database.services.backups import backup_create, backup_delete


def retention_keep(backups: Iterable[tuple[int, datetime]], *, daily: int, weekly: int) -> set[int]:
    """Ids to keep among (id, taken_at): the newest of each day and ISO week, as many
    days and weeks as asked, counting back from the newest backup."""
    newest_first = sorted(backups, key=lambda item: item[1], reverse=True)
    return _newest_per(newest_first, lambda at: at.date(), daily) | _newest_per(
        newest_first, lambda at: at.isocalendar()[:2], weekly
    )


def _newest_per(newest_first: list[tuple[int, datetime]], period, count: int) -> set[int]:
    seen: dict[object, int] = {}
    for pk, at in newest_first:
        if len(seen) >= count and period(at) not in seen:
            break
        seen.setdefault(period(at), pk)
    return set(seen.values())


def backups_prune() -> list[str]:
    """Delete scheduled backups outside retention; returns their names."""
    scheduled = list(Backup.objects.filter(kind=Backup.Kind.SCHEDULED))
    keep = retention_keep(
        [(b.pk, b.taken_at) for b in scheduled],
        daily=settings.BACKUP_KEEP_DAILY,
        weekly=settings.BACKUP_KEEP_WEEKLY,
    )
    dropped = [b for b in scheduled if b.pk not in keep]
    for backup in dropped:
        backup_delete(backup)
    return [b.name for b in dropped]


def backup_scheduled() -> dict:
    """The worker's daily backup, then retention."""
    backup = backup_create(kind=Backup.Kind.SCHEDULED)
    return {"backup": backup.name, "verified": backup.verified, "pruned": backups_prune()}
