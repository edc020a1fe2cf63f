"""The django-q2 schedules the publisher needs, created idempotently."""

from django_q.models import Schedule

DISPATCH_SCHEDULE = "publishing.dispatch"


def schedules_ensure() -> list[str]:
    """Create or repair the recurring schedules; returns the names it touched."""
    _, created = Schedule.objects.update_or_create(
        name=DISPATCH_SCHEDULE,
        defaults={
            "func": "publishing.tasks.dispatch_due",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    return [DISPATCH_SCHEDULE] if created else []
