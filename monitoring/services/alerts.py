"""Alert evaluation: each enabled rule's findings open, refresh or resolve its alerts.

De-duplication: one firing alert per rule and subject (a database constraint), and a
finding that is already firing sends nothing. Cool-down: a rule that fires again for
the same subject within `cooldown_minutes` of its last notified episode opens an
alert without notifying, and that alert's resolution is not sent either, so a
flapping condition costs one firing and one resolved message per cool-down."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from monitoring.models import Alert, AlertRule, Notification
from monitoring.services.notify import notifications_queue
from monitoring.services.rules import Finding, rule_findings

logger = logging.getLogger(__name__)
FIRING, RESOLVED = Alert.Status.FIRING, Alert.Status.RESOLVED


@dataclass
class EvaluationReport:
    fired: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"fired": self.fired, "resolved": self.resolved, "broken": self.broken}


def alerts_evaluate(*, now: datetime) -> EvaluationReport:
    report = EvaluationReport()
    for rule in AlertRule.objects.filter(enabled=True).prefetch_related("children"):
        try:
            findings = rule_findings(rule, now=now)
        except Exception:
            # A broken rule (a metric that never existed, a bug) must not silence the rest.
            logger.exception("Alert rule %r could not be evaluated", rule.name)
            report.broken.append(rule.name)
            continue
        _apply(rule, findings, now, report)
    # A rule switched off while firing would otherwise stay firing for ever.
    for alert in Alert.objects.filter(status=FIRING, rule__enabled=False).select_related("rule"):
        if alert_resolve(alert=alert, now=now):
            report.resolved.append(_label(alert.rule, alert.subject))
    return report


def _apply(rule: AlertRule, findings: list[Finding], now: datetime, report) -> None:
    open_alerts = {a.subject: a for a in rule.alerts.filter(status=FIRING)}
    for finding in findings:
        alert = open_alerts.pop(finding.subject, None)
        if alert is None:
            if _open(rule, finding, now):
                report.fired.append(_label(rule, finding.subject))
        else:
            _refresh(alert, finding, now)
    for alert in open_alerts.values():
        if alert_resolve(alert=alert, now=now):
            report.resolved.append(_label(rule, alert.subject))


def _open(rule: AlertRule, finding: Finding, now: datetime) -> Alert | None:
    notify = not _cooling_down(rule, finding.subject, now)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                subject=finding.subject,
                message=finding.message,
                value=finding.value,
                started_at=now,
                last_seen_at=now,
                notified=notify,
            )
            if notify:
                notifications_queue(alert=alert, event=Notification.Event.FIRING, now=now)
    except IntegrityError:
        return None  # another evaluator opened it a moment ago: that one notifies
    log = logger.warning if notify else logger.info
    log(
        "Alert %s fired%s: %s",
        _label(rule, finding.subject),
        "" if notify else " (cool-down)",
        finding.message,
    )
    return alert


def _cooling_down(rule: AlertRule, subject: str, now: datetime) -> bool:
    since = now - timedelta(minutes=rule.cooldown_minutes)
    return rule.alerts.filter(subject=subject, notified=True, started_at__gt=since).exists()


def _refresh(alert: Alert, finding: Finding, now: datetime) -> None:
    alert.message, alert.value, alert.last_seen_at = finding.message, finding.value, now
    alert.save(update_fields=["message", "value", "last_seen_at"])


def alert_resolve(*, alert: Alert, now: datetime) -> bool:
    """Close a firing alert (its condition cleared); False if it was closed already."""
    with transaction.atomic():
        closed = Alert.objects.filter(pk=alert.pk, status=FIRING).update(
            status=RESOLVED, resolved_at=now
        )
        if not closed:
            return False
        alert.status, alert.resolved_at = RESOLVED, now
        if alert.notified:
            notifications_queue(alert=alert, event=Notification.Event.RESOLVED, now=now)
    logger.info("Alert %s resolved", _label(alert.rule, alert.subject))
    return True


def alert_acknowledge(*, alert: Alert, user: str, now: datetime) -> bool:
    """Someone is on it. False unless the alert is firing and not acknowledged yet (the
    first acknowledgement is the one that says who took it)."""
    changed = Alert.objects.filter(pk=alert.pk, status=FIRING, acknowledged_at=None).update(
        acknowledged_by=user[:150], acknowledged_at=now
    )
    if changed:
        alert.acknowledged_by, alert.acknowledged_at = user[:150], now
    return bool(changed)


def _label(rule: AlertRule, subject: str) -> str:
    return f"{rule.name} {subject}".strip()
