"""What a monitoring installation starts with: the worker's schedules and the seed's
alert rules (CPU 80, memory 85, disk 90, X errors rising, the built-in checks).

Migration 0003 seeds them on a fresh install. An emptied database needs them again
(`db init --force-reset` flushes every table, and so does a test's flush): the
post_migrate receiver (monitoring.apps) calls defaults_ensure after both. Rules are
seeded only into a table with no rule at all, so an operator's edits and deletions
stay as they are; the schedules are always repaired."""

from __future__ import annotations

from django.db import connections

from monitoring.models import AlertRule
from monitoring.services.schedules import schedules_ensure

THRESHOLDS = [
    # name, metric, value, minutes, severity
    ("CPU high", "cpu_percent", 80.0, 5, AlertRule.Severity.WARNING),
    ("Memory high", "memory_percent", 85.0, 5, AlertRule.Severity.WARNING),
    ("Disk nearly full", "disk_percent", 90.0, 5, AlertRule.Severity.CRITICAL),
]
TREND = {
    "name": "X API errors rising",
    "kind": AlertRule.Kind.TREND,
    "metric": "x_api_errors",
    "value": 3.0,  # three times the usual rate
    "duration_minutes": 15,
    "baseline_minutes": 24 * 60,
    "floor": 0.2,  # at least 3 errors in the 15 minutes
}
BUILTINS = [
    ("X credentials refused", AlertRule.Check.X_AUTH_PAUSED, AlertRule.Severity.CRITICAL),
    ("Gemini outage", AlertRule.Check.GEMINI_OUTAGE, AlertRule.Severity.WARNING),
    (
        "Security: burst of refused logins or API keys",
        AlertRule.Check.SECURITY_BURST,
        AlertRule.Severity.CRITICAL,
    ),
]
TABLES = {"monitoring_alertrule", "django_q_schedule"}


def default_rules() -> list[AlertRule]:
    rules = [
        AlertRule(
            name=name,
            kind=AlertRule.Kind.THRESHOLD,
            metric=metric,
            operator=AlertRule.Operator.GT,
            value=value,
            duration_minutes=minutes,
            severity=severity,
        )
        for name, metric, value, minutes, severity in THRESHOLDS
    ]
    rules.append(AlertRule(**TREND))
    rules += [
        AlertRule(name=name, kind=AlertRule.Kind.BUILTIN, check_name=check, severity=severity)
        for name, check, severity in BUILTINS
    ]
    return rules


def defaults_ensure(*, using: str = "default") -> dict[str, list[str]]:
    """Repair the schedules, seed the rules into an empty table; returns what it made.
    Does nothing on a database whose monitoring tables are not migrated (yet)."""
    if not set(connections[using].introspection.table_names()) >= TABLES:
        return {"schedules": [], "rules": []}
    rules = []
    if not AlertRule.objects.using(using).exists():
        rules = [r.name for r in AlertRule.objects.using(using).bulk_create(default_rules())]
    return {"schedules": schedules_ensure(using=using), "rules": rules}
