"""The seeded defaults, the worker's schedules and `manage.py monitor`."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils.module_loading import import_string
from django_q.models import Schedule

from monitoring.models import AlertRule, PerformanceMetric
from monitoring.services.defaults import defaults_ensure
from monitoring.services.schedules import schedules_ensure


def run(*args) -> str:
    out = StringIO()
    call_command("monitor", *args, stdout=out)
    return out.getvalue()


def test_the_seed_thresholds_are_the_defaults(db):
    rules = {
        r.metric: (r.operator, r.value, r.duration_minutes)
        for r in AlertRule.objects.filter(kind="threshold")
    }
    assert rules == {
        "cpu_percent": ("gt", 80.0, 5),
        "memory_percent": ("gt", 85.0, 5),
        "disk_percent": ("gt", 90.0, 5),
    }
    checks = set(AlertRule.objects.filter(kind="builtin").values_list("check_name", flat=True))
    assert checks == {"x_auth_paused", "gemini_outage", "security_burst"}


def test_the_worker_schedules_exist_and_are_repaired(db):
    schedules = dict(
        Schedule.objects.filter(name__startswith="monitoring.").values_list("name", "func")
    )
    assert schedules == {
        "monitoring.minute": "monitoring.tasks.monitor_minute",
        "monitoring.hourly": "monitoring.tasks.monitor_hourly",
    }
    Schedule.objects.filter(name="monitoring.minute").delete()
    assert schedules_ensure() == ["monitoring.minute"]
    assert schedules_ensure() == []


def test_monitor_once_runs_a_pass_and_reports_it(db):
    AlertRule.objects.all().delete()
    report = json.loads(run("once", "--json"))
    assert report["sample"] >= 10  # the first pass on a host has no CPU or network rate
    assert report["alerts"] == {"fired": [], "resolved": [], "broken": []}
    assert PerformanceMetric.objects.filter(name="memory_percent").exists()


def test_monitor_status_shows_health_and_costs(db):
    out = run("status")
    assert "health:" in out
    assert "pending_queue:" in out


RULE_FIELDS = ("name", "kind", "metric", "operator", "value", "duration_minutes", "check_name")


def _rules() -> list[tuple]:
    return list(AlertRule.objects.order_by("name").values_list(*RULE_FIELDS))


def test_an_emptied_rule_table_gets_the_same_defaults_the_migration_seeded(db):
    seeded = _rules()
    AlertRule.objects.all().delete()
    Schedule.objects.filter(name__startswith="monitoring.").delete()

    made = defaults_ensure()

    assert _rules() == seeded
    assert sorted(made["schedules"]) == ["monitoring.hourly", "monitoring.minute"]


def test_migrate_keeps_an_operators_rules_as_they_are(db):
    AlertRule.objects.filter(name="Gemini outage").delete()
    AlertRule.objects.filter(name="CPU high").update(value=95.0)

    call_command("migrate", verbosity=0)

    assert not AlertRule.objects.filter(name="Gemini outage").exists()
    assert AlertRule.objects.get(name="CPU high").value == 95.0


@pytest.mark.django_db(transaction=True)
def test_a_force_reset_keeps_the_worker_sampling_and_the_default_alerts(backup_dir):
    call_command("db", "init", "--force-reset", "--json", stdout=StringIO(), stderr=StringIO())

    names = set(Schedule.objects.values_list("name", flat=True))
    assert {"monitoring.minute", "monitoring.hourly"} <= names
    thresholds = dict(AlertRule.objects.filter(kind="threshold").values_list("metric", "value"))
    assert thresholds == {"cpu_percent": 80.0, "memory_percent": 85.0, "disk_percent": 90.0}


def test_every_schedule_of_a_fresh_install_names_a_function_that_exists(db):
    """A renamed task would leave its schedule failing in the worker, every minute."""
    schedules = dict(Schedule.objects.values_list("name", "func"))

    assert {"monitoring.minute", "monitoring.hourly", "database.backup"} <= set(schedules)
    for name, func in schedules.items():
        assert callable(import_string(func)), name
