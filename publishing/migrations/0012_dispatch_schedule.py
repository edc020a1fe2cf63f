"""The dispatcher's minutely schedule, so a fresh install publishes once qcluster runs
(before, only `demo` and `db init` created it)."""

from django.db import migrations

DISPATCH_SCHEDULE = "publishing.dispatch"  # publishing.services.schedules.DISPATCH_SCHEDULE


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    if not Schedule.objects.filter(name=DISPATCH_SCHEDULE).exists():
        Schedule.objects.create(
            name=DISPATCH_SCHEDULE,
            func="publishing.tasks.dispatch_due",
            schedule_type="I",  # Schedule.MINUTES
            minutes=1,
            repeats=-1,
        )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=DISPATCH_SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0011_task_project_status_with_id"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
