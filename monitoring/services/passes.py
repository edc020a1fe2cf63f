"""The worker's two recurring passes. Each step runs on its own: a failing step is
logged and reported, and the steps after it still run (an alert about a full disk
must go out even if sampling the network failed)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from monitoring.services.alerts import alerts_evaluate
from monitoring.services.errors import error_groups_ingest
from monitoring.services.notify import notifications_deliver
from monitoring.services.retention import alerts_prune, metrics_prune, metrics_rollup
from monitoring.services.sampling import heartbeat_beat, metrics_sample

logger = logging.getLogger(__name__)


def monitor_pass(*, now: datetime) -> dict:
    """Every minute: check in, sample, count errors, evaluate alerts, notify."""
    return _steps(
        now,
        heartbeat=heartbeat_beat,
        sample=lambda now: len(metrics_sample(now=now)),
        errors=lambda now: error_groups_ingest(now=now),
        alerts=lambda now: alerts_evaluate(now=now).as_dict(),
        notifications=lambda now: notifications_deliver(now=now),
    )


def maintenance_pass(*, now: datetime) -> dict:
    """Every hour: downsample, then drop samples and old alerts past their retention."""
    return _steps(
        now,
        rollup=lambda now: metrics_rollup(now=now),
        prune=lambda now: metrics_prune(now=now),
        alerts=lambda now: alerts_prune(now=now),
    )


def _steps(now: datetime, **steps: Callable[..., object]) -> dict:
    report = {}
    for name, step in steps.items():
        try:
            report[name] = step(now=now)
        except Exception as exc:
            logger.exception("Monitoring step %r failed", name)
            report[name] = {"error": type(exc).__name__}
    return report
