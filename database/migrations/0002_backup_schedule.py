"""The daily backup schedule, run by the django-q2 worker."""

from django.db import migrations
from django.utils import timezone

from database.services.schedules import BACKUP_SCHEDULE, backup_schedule_defaults


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    if not Schedule.objects.filter(name=BACKUP_SCHEDULE).exists():
        Schedule.objects.create(name=BACKUP_SCHEDULE, **backup_schedule_defaults(timezone.now()))


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=BACKUP_SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("database", "0001_backup"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
