"""Reads of the runtime configuration.

config_current() is called on hot paths (every dispatch pass, every retry decision), so
it returns a cached, validated, frozen Config and asks the database for the number of
the version in force at most every REVALIDATE_SECONDS: one indexed query, and a change
reaches every process, web or worker, within that time plus one pass. With no version
stored, the configuration is built from Django settings (and so from the environment
and from a test's settings overrides)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from django.db.models import QuerySet
from pydantic import ValidationError

from configuration.defaults import settings_document
from configuration.diff import config_diff, diff_lines
from configuration.models import ConfigVersion
from configuration.schema import ERROR_CLASSES, Config, problems_of

logger = logging.getLogger(__name__)
REVALIDATE_SECONDS = 2.0


@dataclass(frozen=True)
class _Cached:
    config: Config
    number: int | None  # None: built from Django settings
    checked: float


_cache: list[_Cached | None] = [None]
_refresh_lock = threading.Lock()


def config_current() -> Config:
    """The configuration in force in this process (see the module's docstring)."""
    cached = _cache[0]
    if cached is not None and time.monotonic() - cached.checked < REVALIDATE_SECONDS:
        return cached.config
    with _refresh_lock:  # one query per process, not one per thread of a pool
        return _refresh().config


def config_value(path: str) -> Any:
    """One value by dotted path, e.g. config_value("publishing.max_concurrent_tasks")."""
    value: Any = config_current()
    for name in path.split("."):
        value = getattr(value, name)
    return value


def config_dict(path: str) -> dict:
    """A section by dotted path as a plain dict, e.g. "performance.throttle"."""
    return config_value(path).model_dump(mode="json")


def config_retry_policy(error_class: str) -> dict[str, int]:
    """The publishing retry policy of an error class (see config_policy); the "unknown"
    class's policy for a class the schema does not name."""
    name = error_class if error_class in ERROR_CLASSES else "unknown"
    return config_policy(f"publishing.retry.{name}")


def config_policy(path: str) -> dict[str, int]:
    """A retry policy by dotted path as {"base", "cap", "max_attempts"} (seconds), the
    shape the engine and monitoring compute backoff with."""
    policy = config_value(path)
    return {
        "base": policy.base_seconds,
        "cap": policy.cap_seconds,
        "max_attempts": policy.max_attempts,
    }


def config_cache_clear(**_signal_kwargs: Any) -> None:
    """Forget the cached configuration (a version was saved here, or settings changed)."""
    _cache[0] = None
    _default.cache_clear()


def _refresh() -> _Cached:
    cached, now = _cache[0], time.monotonic()
    if cached is not None and now - cached.checked < REVALIDATE_SECONDS:
        return cached  # another thread refreshed it while this one waited
    number = config_active_number()
    if cached is not None and cached.number == number:
        fresh = replace(cached, checked=now)
    else:
        fresh = _Cached(_load(number, cached), number, now)
        _announce(cached, fresh)
    _cache[0] = fresh
    return fresh


def _load(number: int | None, cached: _Cached | None) -> Config:
    if number is None:
        return config_default()
    data = ConfigVersion.objects.values_list("data", flat=True).get(number=number)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        # Only possible if the schema changed under stored data: keep going on what
        # this process had, and say why loudly.
        logger.error("Configuration version %s is invalid, not applied: %s", number, exc)
        return cached.config if cached is not None else config_default()


def _announce(old: _Cached | None, new: _Cached) -> None:
    """Log which configuration this process now runs, and what changed: a worker's log
    shows when it applied a version."""
    source = f"version {new.number}" if new.number is not None else "the defaults (settings)"
    if old is None:
        logger.info("Configuration %s in force", source)
        return
    changes = diff_lines(
        config_diff(old.config.model_dump(mode="json"), new.config.model_dump(mode="json"))
    )
    logger.info("Configuration %s in force: %s", source, "; ".join(changes) or "no change")


def config_active_number() -> int | None:
    """The number of the version in force (the highest), None when none is stored."""
    return ConfigVersion.objects.order_by("-number").values_list("number", flat=True).first()


def config_default() -> Config:
    """The configuration before any version is stored: Django settings where the engine
    has a setting, the schema's defaults elsewhere."""
    return _default()


@cache
def _default() -> Config:
    document = settings_document()
    for _ in range(20):
        try:
            return Config.model_validate(document)
        except ValidationError as exc:
            # Another app's setting out of range (its system check says so at start)
            # must not stop publishing: that value takes the schema's default.
            logger.error(
                "A Django setting gives an invalid runtime configuration; the schema's "
                "default stands in: %s",
                "; ".join(problems_of(exc)),
            )
            for error in exc.errors():
                _drop(document, error["loc"])
    return Config()


def _drop(document: dict, loc: tuple) -> None:
    """Remove the value at `loc` (a pydantic error location) from a nested document."""
    *parents, last = loc or ("",)
    for key in parents:
        document = document.get(key) if isinstance(document, dict) else None
    if isinstance(document, dict):
        document.pop(last, None)


def config_versions() -> QuerySet[ConfigVersion]:
    return ConfigVersion.objects.select_related("author").order_by("-number")


def config_version_get(number: int) -> ConfigVersion | None:
    return ConfigVersion.objects.filter(number=number).first()


def config_document(number: int | None = None) -> dict:
    """A version's document, or the one in force (the defaults when none is stored)."""
    if number is None:
        number = config_active_number()
        if number is None:
            return config_default().model_dump(mode="json")
    return ConfigVersion.objects.values_list("data", flat=True).get(number=number)
