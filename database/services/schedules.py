"""The daily backup schedule, created idempotently (by the data migration, `db init`
and `demo`-style set-ups)."""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

BACKUP_SCHEDULE = "database.backup"
BACKUP_FUNC = "database.tasks.backup_daily"


def next_backup_time(now: datetime, hour: int) -> datetime:
    """The next BACKUP_HOUR_UTC o'clock after `now`."""
    at = datetime.combine(now.date(), time(hour), tzinfo=UTC)
    return at if at > now else at + timedelta(days=1)


def backup_schedule_defaults(now: datetime) -> dict:
    return {
        "func": BACKUP_FUNC,
        "schedule_type": Schedule.DAILY,
        "repeats": -1,
        "next_run": next_backup_time(now, settings.BACKUP_HOUR_UTC),
    }


def database_schedules_ensure() -> list[str]:
    """Create the backup schedule if missing, repair its function if changed; returns the
    names it created. An operator's chosen next run is kept."""
    schedule = Schedule.objects.filter(name=BACKUP_SCHEDULE).first()
    if schedule is None:
        Schedule.objects.create(name=BACKUP_SCHEDULE, **backup_schedule_defaults(timezone.now()))
        return [BACKUP_SCHEDULE]
    if (schedule.func, schedule.repeats) != (BACKUP_FUNC, -1):
        schedule.func, schedule.repeats = BACKUP_FUNC, -1
        schedule.save()
    return []
