"""The runtime configuration's schema: the seed's sections, with types, ranges and the
rules that tie fields together. A Config is frozen: processes share one object and
replace it whole when a new version is stored."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from functools import cache
from types import SimpleNamespace
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1
ERROR_CLASSES = ("rate_limit", "network", "content", "auth", "media", "system", "unknown")

Hour = Annotated[int, Field(ge=0, le=23)]
Percent = Annotated[float, Field(gt=0, le=100)]
# DRF's throttle rate: "<count>/<period>", the period read by its first letter.
RATE = re.compile(r"^[1-9]\d*/[smhd][a-z]*$")


Rule = Callable[[Any], str | None]


class Section(BaseModel):
    """A part of the configuration. Its cross-field RULES each take the section's values
    (attributes) and return a problem or None. They are checked as a model validator,
    and again by rule_problems() when pydantic skipped them because another field of
    the section failed: a refused document lists every problem at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    RULES: ClassVar[tuple[Rule, ...]] = ()

    @classmethod
    def broken_rules(cls, values: Any) -> list[str]:
        return [message for rule in cls.RULES if (message := _checked(rule, values))]

    @model_validator(mode="after")
    def _rules_hold(self) -> Section:
        if messages := self.broken_rules(self):
            raise ValueError("; ".join(messages))
        return self


def _checked(rule: Rule, values: Any) -> str | None:
    try:
        return rule(values)
    except AttributeError:
        return None  # a field the rule reads is invalid itself: that is reported already


class Scheduling(Section):
    """Defaults for new projects; each project keeps its own copy once created."""

    preferred_hours: tuple[Hour, ...] = (9, 12, 15, 18, 21)
    blackout_hours: tuple[Hour, ...] = ()
    min_interval_minutes: int = Field(60, ge=0, le=1440)
    daily_max: int = Field(5, ge=1, le=1000)
    missed_policy: Literal["skip", "publish_late"] = "publish_late"
    missed_after_minutes: int = Field(120, ge=0, le=10080)

    @field_validator("preferred_hours", "blackout_hours")
    @classmethod
    def _no_repeats(cls, hours: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(hours)) != len(hours):
            raise ValueError("an hour is listed twice")
        return hours

    RULES = (
        lambda v: (
            "all 24 hours are blackout hours: nothing could ever be scheduled"
            if len(set(v.blackout_hours)) == 24
            else None
        ),
        lambda v: (
            "every preferred hour is also a blackout hour"
            if v.preferred_hours and set(v.preferred_hours) <= set(v.blackout_hours)
            else None
        ),
    )


class RetryPolicy(Section):
    """Exponential backoff with full jitter: random(0, min(cap, base * 2**(attempt-1)))."""

    base_seconds: int = Field(ge=0, le=86400)
    cap_seconds: int = Field(ge=1, le=7 * 86400)
    max_attempts: int = Field(ge=1, le=100)

    RULES = (
        lambda v: (
            f"cap_seconds ({v.cap_seconds}) must be at least base_seconds ({v.base_seconds})"
            if v.cap_seconds < v.base_seconds
            else None
        ),
    )


def _policy(base: int, cap: int, attempts: int) -> RetryPolicy:
    return RetryPolicy(base_seconds=base, cap_seconds=cap, max_attempts=attempts)


class RetryPolicies(Section):
    """One policy per error class. content (needs review) and auth (pauses the account)
    never back off in the normal course; their policies apply only in corner cases,
    e.g. an auth error on a task with no account to pause."""

    rate_limit: RetryPolicy = _policy(60, 900, 8)
    network: RetryPolicy = _policy(5, 300, 5)
    content: RetryPolicy = _policy(60, 1800, 3)
    auth: RetryPolicy = _policy(60, 1800, 3)
    media: RetryPolicy = _policy(60, 1800, 3)
    system: RetryPolicy = _policy(30, 900, 5)
    unknown: RetryPolicy = _policy(60, 1800, 3)


class Prices(Section):
    """X's pay-per-use prices in US dollars (../shared/X_API.md, "Money")."""

    post: float = Field(0.015, ge=0, le=100)
    post_with_url: float = Field(0.20, ge=0, le=100)
    media_metadata: float = Field(0.005, ge=0, le=100)


class Publishing(Section):
    max_concurrent_tasks: int = Field(4, ge=1, le=64)
    max_concurrent_per_account: int = Field(2, ge=1, le=64)
    retry: RetryPolicies = RetryPolicies()
    prices_usd: Prices = Prices()

    RULES = (
        lambda v: (
            f"max_concurrent_per_account ({v.max_concurrent_per_account}) must not "
            f"exceed max_concurrent_tasks ({v.max_concurrent_tasks})"
            if v.max_concurrent_per_account > v.max_concurrent_tasks
            else None
        ),
    )


class Throttle(Section):
    """The dispatcher halves its concurrency at a *_slow level and stops at a *_pause
    level (null: never). CPU is a 30 s average of the whole machine."""

    cpu_slow: Percent | None = 85.0
    cpu_pause: Percent | None = None
    memory_slow: Percent | None = 85.0
    memory_pause: Percent | None = 95.0

    RULES = (
        lambda v: _below(v.cpu_slow, v.cpu_pause, "cpu"),
        lambda v: _below(v.memory_slow, v.memory_pause, "memory"),
    )


def _below(slow: float | None, pause: float | None, resource: str) -> str | None:
    if slow is not None and pause is not None and slow >= pause:
        return f"{resource}_slow ({slow:g}) must be below {resource}_pause ({pause:g})"
    return None


class Retention(Section):
    """Days that monitoring keeps each resolution of its metrics, and resolved alerts."""

    raw_days: int = Field(7, ge=1, le=366)
    hour_days: int = Field(90, ge=1, le=3660)
    day_days: int = Field(5 * 365, ge=1, le=36600)
    alerts_days: int = Field(90, ge=1, le=3660)

    RULES = (
        lambda v: (
            f"hour_days ({v.hour_days}) must be at least raw_days ({v.raw_days})"
            if v.hour_days < v.raw_days
            else None
        ),
        lambda v: (
            f"day_days ({v.day_days}) must be at least hour_days ({v.hour_days})"
            if v.day_days < v.hour_days
            else None
        ),
    )


class Performance(Section):
    throttle: Throttle = Throttle()
    retention: Retention = Retention()


class ApiThrottle(Section):
    """DRF rates per scope (security.api.throttles): per API key, per user, per
    anonymous address, and refused API keys per address."""

    apikey: str = "600/min"
    user: str = "1200/min"
    anon: str = "60/min"
    apikey_failure: str = "10/min"

    @field_validator("apikey", "user", "anon", "apikey_failure")
    @classmethod
    def _rate(cls, rate: str) -> str:
        if not RATE.match(rate):
            raise ValueError(f"{rate!r} is not a rate like '600/min' (s, min, hour, day)")
        return rate


class Security(Section):
    api_throttle: ApiThrottle = ApiThrottle()
    # Lifetime of an API key made without an expiry date; null: such keys never expire.
    api_key_expiry_days: int | None = Field(None, ge=1, le=3650)


class Notifications(Section):
    """How monitoring sends alerts. Which alerts, to whom and their cool-down are rows
    (AlertRule, NotificationChannel) edited in the admin: a channel's URL may be a
    secret, and secrets are stored encrypted, never in a configuration version."""

    email_from: str = "twitterpub@localhost"
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=120)
    # Failed notifications: base * 2**(attempt-1) seconds, capped, then given up.
    retry: RetryPolicy = _policy(60, 3600, 6)

    @field_validator("email_from")
    @classmethod
    def _email(cls, address: str) -> str:
        try:
            validate_email(address)
        except DjangoValidationError:
            raise ValueError(f"{address!r} is not an email address") from None
        return address


class Config(Section):
    version: Literal[1] = SCHEMA_VERSION
    environment: Literal["development", "staging", "production", "test"] = "production"
    scheduling: Scheduling = Scheduling()
    publishing: Publishing = Publishing()
    performance: Performance = Performance()
    security: Security = Security()
    notifications: Notifications = Notifications()


class ConfigInvalid(ValueError):
    """A configuration document was refused; `problems` lists every reason, each one
    "dotted.path: message"."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def problems_of(error: ValidationError) -> list[str]:
    return [_problem(item) for item in error.errors(include_url=False)]


def _problem(item: dict) -> str:
    where = ".".join(str(part) for part in item["loc"]) or "(top level)"
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{where}: {message}"


def rule_problems(model: type[Section], data: Any, path: str = "") -> list[str]:
    """The cross-field rules broken in `data`, checked with every field that is valid on
    its own, in this section and in those inside it."""
    if not isinstance(data, dict):
        return []
    problems, values = [], {}
    for name, field in model.model_fields.items():
        raw = data.get(name, field.get_default(call_default_factory=True))
        for inner, inner_data, inner_path in _sections_in(field.annotation, raw, f"{path}{name}"):
            problems += rule_problems(inner, inner_data, inner_path)
        with contextlib.suppress(ValidationError):
            values[name] = _adapter(model, name).validate_python(raw)
    if messages := model.broken_rules(SimpleNamespace(**values)):
        problems.append(f"{path.rstrip('.') or '(top level)'}: {'; '.join(messages)}")
    return problems


def _sections_in(annotation: Any, raw: Any, path: str):
    if isinstance(annotation, type) and issubclass(annotation, Section):
        yield annotation, raw, f"{path}."
    elif get_origin(annotation) is tuple and isinstance(raw, list | tuple):
        inner = get_args(annotation)[0]
        if isinstance(inner, type) and issubclass(inner, Section):
            for index, item in enumerate(raw):
                yield inner, item, f"{path}.{index}."


@cache
def _adapter(model: type[Section], name: str) -> TypeAdapter:
    field = model.model_fields[name]
    if not field.metadata:
        return TypeAdapter(field.annotation)
    return TypeAdapter(Annotated[field.annotation, *field.metadata])
