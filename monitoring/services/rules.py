"""What each kind of alert rule sees now: a list of findings, one per subject for which
its condition holds (empty: all clear). Reads only; services.alerts acts on them."""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring import selectors
from monitoring.models import AlertRule

logger = logging.getLogger(__name__)
Kind = AlertRule.Kind
Check = AlertRule.Check
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    AlertRule.Operator.GT: operator.gt,
    AlertRule.Operator.GTE: operator.ge,
    AlertRule.Operator.LT: operator.lt,
    AlertRule.Operator.LTE: operator.le,
}
# Samples come about once a minute (django-q2's scheduler ticks every ~30 s): a gap
# longer than this means the sampler stopped, and old data proves nothing.
MAX_GAP = timedelta(minutes=3)
# Composites may nest; a rule reached again this deep is a cycle, not a condition.
MAX_DEPTH = 5


@dataclass(frozen=True)
class Finding:
    subject: str
    message: str
    value: float | None = None


def rule_findings(rule: AlertRule, *, now: datetime, depth: int = 0) -> list[Finding]:
    return _KINDS[rule.kind](rule, now, depth)


# --- threshold ------------------------------------------------------------------------


def _threshold(rule: AlertRule, now: datetime, depth: int) -> list[Finding]:
    """Holds when the metric breached at the start of the window (the sample at or
    before it) and at every sample since: continuously true for `duration_minutes`."""
    window_start = now - timedelta(minutes=rule.duration_minutes)
    anchor = selectors.metric_last_before(name=rule.metric, until=window_start)
    samples = selectors.metric_values(name=rule.metric, since=window_start, until=now)
    if anchor is None or window_start - anchor[0] > MAX_GAP:
        return []
    latest = samples[-1] if samples else anchor
    if now - latest[0] > MAX_GAP:
        return []
    breach = OPERATORS[rule.operator]
    if not all(breach(value, rule.value) for _, value in [anchor, *samples]):
        return []
    symbol = AlertRule.Operator(rule.operator).label
    held = f" for {rule.duration_minutes} min" if rule.duration_minutes else ""
    message = f"{rule.metric} {symbol} {rule.value:g}{held} (now {latest[1]:.4g})"
    return [Finding("", message, latest[1])]


# --- trend ----------------------------------------------------------------------------


def _trend(rule: AlertRule, now: datetime, depth: int) -> list[Finding]:
    """Holds when the recent mean is at least `value` times the baseline mean, above
    the baseline, and at least `floor`. No baseline yet counts as zero."""
    recent_start = now - timedelta(minutes=rule.duration_minutes)
    recent = selectors.metric_mean(name=rule.metric, since=recent_start, until=now)
    if recent is None or recent < rule.floor:
        return []
    baseline_start = recent_start - timedelta(minutes=rule.baseline_minutes)
    baseline = selectors.metric_mean(name=rule.metric, since=baseline_start, until=recent_start)
    baseline = baseline or 0.0
    if recent <= baseline or recent < rule.value * baseline:
        return []
    message = (
        f"{rule.metric} rising: {recent:.4g} on average over {rule.duration_minutes} min, "
        f"against {baseline:.4g} over the {rule.baseline_minutes} min before"
    )
    return [Finding("", message, recent)]


# --- composite ------------------------------------------------------------------------


def _composite(rule: AlertRule, now: datetime, depth: int) -> list[Finding]:
    """Children's conditions combined. A child need not be enabled: a disabled rule is
    a condition that does not notify on its own."""
    if depth >= MAX_DEPTH:
        logger.error("Alert rule %r nests too deep (a cycle?); treated as clear", rule.name)
        return []
    children = list(rule.children.all())
    if not children:
        return []
    found = {child.name: rule_findings(child, now=now, depth=depth + 1) for child in children}
    held = [name for name, findings in found.items() if findings]
    combine = all if rule.combine == AlertRule.Combine.AND else any
    if not combine(found.values()):
        return []
    details = "; ".join(f.message for name in held for f in found[name])
    joiner = " and " if rule.combine == AlertRule.Combine.AND else " or "
    return [Finding("", f"{joiner.join(held)}: {details}")]


# --- built-in checks ------------------------------------------------------------------


def _builtin(rule: AlertRule, now: datetime, depth: int) -> list[Finding]:
    return _CHECKS[rule.check_name](now)


def _x_auth_paused(now: datetime) -> list[Finding]:
    return [
        Finding(
            f"@{account.handle}",
            f"X refused the credentials of @{account.handle}; publishing through it is "
            f"paused since {account.paused_at:%Y-%m-%d %H:%M} UTC. Fix the credentials "
            f"(manage.py account) and resume the account. ({account.paused_reason[:200]})",
        )
        for account in selectors.accounts_paused_for_auth()
    ]


def _gemini_outage(now: datetime) -> list[Finding]:
    reason = selectors.gemini_outage_reason()
    if not reason:
        return []
    return [Finding("", f"Gemini is failing ({reason}); posts are composed directly.")]


def _security_burst(now: datetime) -> list[Finding]:
    burst = selectors.security_burst(now=now)
    return [Finding("", burst)] if burst else []


_KINDS = {
    Kind.THRESHOLD: _threshold,
    Kind.TREND: _trend,
    Kind.COMPOSITE: _composite,
    Kind.BUILTIN: _builtin,
}
_CHECKS = {
    Check.X_AUTH_PAUSED: _x_auth_paused,
    Check.GEMINI_OUTAGE: _gemini_outage,
    Check.SECURITY_BURST: _security_burst,
}
