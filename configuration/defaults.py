"""The configuration before any version is stored, read from Django settings: each
knob that had a setting keeps it as its default, so the environment variables and a
test's settings overrides still decide until an operator stores a version."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from configuration.schema import ERROR_CLASSES


def settings_document() -> dict[str, Any]:
    return {
        "environment": _environment(),
        "publishing": _publishing(),
        "performance": {
            "throttle": _throttle(),
            **_present(retention=getattr(settings, "MONITORING_RETENTION", None)),
        },
        "security": {"api_throttle": _rates()},
        "notifications": _notifications(),
    }


def _present(**values: Any) -> dict[str, Any]:
    """The values whose setting exists (another app's settings may be absent)."""
    return {name: value for name, value in values.items() if value is not None}


def _environment() -> str:
    module = settings.SETTINGS_MODULE or ""
    for suffix, name in ((".test", "test"), (".local", "development")):
        if module.endswith(suffix):
            return name
    return "production"


def _publishing() -> dict[str, Any]:
    total = settings.MAX_CONCURRENT_TASKS
    return {
        "max_concurrent_tasks": total,
        # More per account than in all means nothing: the total caps every pass.
        "max_concurrent_per_account": min(settings.MAX_CONCURRENT_PER_ACCOUNT, total),
        "retry": {name: _retry(name) for name in ERROR_CLASSES},
        **_present(prices_usd=getattr(settings, "X_API_PRICES", None)),
    }


def _retry(error_class: str) -> dict[str, int]:
    # A class without a policy of its own always took the "unknown" one.
    policies = settings.PUBLISH_RETRY_POLICIES
    return _policy(policies.get(error_class, policies["unknown"]))


def _policy(policy: dict) -> dict[str, int]:
    return {
        "base_seconds": policy["base"],
        "cap_seconds": policy["cap"],
        "max_attempts": policy["max_attempts"],
    }


def _throttle() -> dict[str, float | None]:
    # A level above 100% is never reached (test settings use 101): it means "never".
    return {
        name: None if level is None or level > 100 else level
        for name, level in settings.RESOURCE_THRESHOLDS.items()
    }


def _rates() -> dict[str, str]:
    rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES") or {}
    scopes = ("apikey", "user", "anon", "apikey_failure")
    return {scope: rates[scope] for scope in scopes if rates.get(scope)}


def _notifications() -> dict[str, Any]:
    retry = getattr(settings, "MONITORING_NOTIFY_RETRY", None)
    return _present(
        email_from=getattr(settings, "MONITORING_EMAIL_FROM", None),
        webhook_timeout_seconds=getattr(settings, "MONITORING_WEBHOOK_TIMEOUT_SECONDS", None),
        retry=_policy(retry) if retry else None,
    )
