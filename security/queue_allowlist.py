"""Which functions django-q2 may run from a Schedule or a resubmitted task.

A Schedule names its function as a dotted string and the worker imports and calls it
with pickled arguments: a free-form name is remote code execution for whoever can write
the row. Names must match settings.Q_FUNC_ALLOWLIST, where `module.*` means a public
function defined in that module itself (not one it merely imports, such as `os.system`)."""

from __future__ import annotations

import importlib
import inspect

from django.conf import settings
from django.core.exceptions import ValidationError


def func_is_allowed(name: str) -> bool:
    name = (name or "").strip()
    return any(_matches(name, pattern) for pattern in settings.Q_FUNC_ALLOWLIST)


def func_check(name: str, *, field: str = "func") -> None:
    """Raise ValidationError (on `field`) unless `name` is allowlisted."""
    if not func_is_allowed(name):
        raise ValidationError(
            {
                field: f"{name!r} is not an allowed task function. Allowed: "
                f"{', '.join(settings.Q_FUNC_ALLOWLIST)} (setting Q_FUNC_ALLOWLIST)."
            }
        )


def _matches(name: str, pattern: str) -> bool:
    if not pattern.endswith(".*"):
        return name == pattern
    module, _, attr = name.rpartition(".")
    if module != pattern[:-2] or not attr.isidentifier() or attr.startswith("_"):
        return False
    return _defined_in(module, attr)


def _defined_in(module: str, attr: str) -> bool:
    try:
        target = getattr(importlib.import_module(module), attr, None)
    except ImportError:
        return False
    return inspect.isfunction(target) and target.__module__ == module


def schedule_guard(sender, instance, **kwargs) -> None:
    """pre_save of django_q.Schedule: no code path may store a non-allowlisted function.

    The scheduler saves each schedule in the transaction that enqueues its task, so a
    bad row slipped in with raw SQL is refused there too and its task rolled back."""
    func_check(instance.func, field="func")
    if instance.hook:
        func_check(instance.hook, field="hook")
