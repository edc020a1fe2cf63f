"""The django-q2 schedules monitoring needs. The data migration creates them; this
repairs them (`manage.py monitor schedules`, and after every migrate or flush: see
services.defaults)."""

from django_q.models import Schedule

MINUTE_SCHEDULE = "monitoring.minute"
HOURLY_SCHEDULE = "monitoring.hourly"
SCHEDULES = {
    MINUTE_SCHEDULE: {
        "func": "monitoring.tasks.monitor_minute",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
    HOURLY_SCHEDULE: {
        "func": "monitoring.tasks.monitor_hourly",
        "schedule_type": Schedule.HOURLY,
        "minutes": None,
    },
}


def schedules_ensure(*, using: str = "default") -> list[str]:
    """Create or repair the recurring schedules; returns the names it created."""
    created = []
    for name, spec in SCHEDULES.items():
        _, new = Schedule.objects.using(using).update_or_create(
            name=name, defaults={**spec, "repeats": -1}
        )
        if new:
            created.append(name)
    return created
