"""django-q2 entry points (schedules in services.schedules): thin wrappers."""

from django.utils import timezone

from monitoring.services.passes import maintenance_pass, monitor_pass


def monitor_minute() -> dict:
    return monitor_pass(now=timezone.now())


def monitor_hourly() -> dict:
    return maintenance_pass(now=timezone.now())
