"""The seed's default alert rules (CPU 80, memory 85, disk 90), the built-in rules, and
the worker's monitoring schedules. Thresholds are rows: change them in the admin."""

from django.db import migrations

THRESHOLDS = [
    # name, metric, value, minutes, severity
    ("CPU high", "cpu_percent", 80.0, 5, "warning"),
    ("Memory high", "memory_percent", 85.0, 5, "warning"),
    ("Disk nearly full", "disk_percent", 90.0, 5, "critical"),
]
BUILTINS = [
    ("X credentials refused", "x_auth_paused", "critical"),
    ("Gemini outage", "gemini_outage", "warning"),
    ("Security: burst of refused logins or API keys", "security_burst", "critical"),
]
SCHEDULES = [
    ("monitoring.minute", "monitoring.tasks.monitor_minute", "I", 1),
    ("monitoring.hourly", "monitoring.tasks.monitor_hourly", "H", None),
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for name, metric, value, minutes, severity in THRESHOLDS:
        AlertRule.objects.get_or_create(
            name=name,
            defaults={
                "kind": "threshold",
                "metric": metric,
                "operator": "gt",
                "value": value,
                "duration_minutes": minutes,
                "severity": severity,
            },
        )
    AlertRule.objects.get_or_create(
        name="X API errors rising",
        defaults={
            "kind": "trend",
            "metric": "x_api_errors",
            "value": 3.0,  # three times the usual rate
            "duration_minutes": 15,
            "baseline_minutes": 24 * 60,
            "floor": 0.2,  # at least 3 errors in the 15 minutes
        },
    )
    for name, check, severity in BUILTINS:
        AlertRule.objects.get_or_create(
            name=name, defaults={"kind": "builtin", "check_name": check, "severity": severity}
        )
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
        )


def unseed(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_metric_rollups_alerts_errors"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
