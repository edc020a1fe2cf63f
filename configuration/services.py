"""Writes of the runtime configuration: parsing and validating documents, storing
versions, rolling back. A refused document changes nothing and lists every problem."""

from __future__ import annotations

import json
import logging

import yaml
from django.db import IntegrityError, transaction
from pydantic import ValidationError

from configuration.diff import config_diff
from configuration.models import ConfigVersion
from configuration.schema import Config, ConfigInvalid, problems_of, rule_problems
from configuration.selectors import config_cache_clear, config_default

logger = logging.getLogger(__name__)
FORMATS = ("yaml", "json")


class ConfigConflict(Exception):
    """Another version was saved since the one an edit started from."""


class ConfigUnchanged(Exception):
    """The document equals the version in force: no version is added."""


class ConfigVersionMissing(LookupError):
    pass


def config_parse(text: str, *, fmt: str = "yaml") -> dict:
    """A document from YAML (safe_load: no Python objects) or JSON text."""
    try:
        document = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigInvalid([f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigInvalid([_yaml_problem(exc)]) from None
    if document is None:
        raise ConfigInvalid(["(top level): the document is empty"])
    if not isinstance(document, dict):
        raise ConfigInvalid(["(top level): the document must be a mapping of sections"])
    return document


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return f"YAML: {problem}"
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def config_render(document: dict, *, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=None)


def config_validate(document: dict) -> Config:
    """The document as a Config. What it leaves out takes the defaults (see
    config_default), so a file holding one section is a whole configuration."""
    merged = _merged(config_default().model_dump(mode="json"), document)
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        problems = problems_of(exc)
        # pydantic skips a section's cross-field rules when one of its fields fails.
        skipped = [p for p in rule_problems(Config, merged) if p not in problems]
        raise ConfigInvalid(problems + skipped) from None


def _merged(base: dict, document: dict) -> dict:
    merged = dict(base)
    for key, value in document.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merged(base[key], value)
        else:
            merged[key] = value
    return merged


def config_version_create(
    *,
    document: dict,
    author_name: str,
    author=None,
    comment: str = "",
    based_on: int | None = None,
    rollback_of: int | None = None,
) -> ConfigVersion:
    """Validate the document and store it as the version in force.

    `based_on`: the version an editor started from; if another was saved since, the
    edit is refused (ConfigConflict) rather than silently undoing that change."""
    data = config_validate(document).model_dump(mode="json")
    try:
        with transaction.atomic():
            version = _store(data, author, author_name, comment, based_on, rollback_of)
    except IntegrityError:
        # Two saves took the same number at once; the other one won.
        raise ConfigConflict("another version was saved at the same moment; try again") from None
    config_cache_clear()
    logger.info("Configuration version %s saved by %s", version.number, author_name)
    return version


def _store(data, author, author_name, comment, based_on, rollback_of) -> ConfigVersion:
    latest = ConfigVersion.objects.select_for_update().order_by("-number").first()
    latest_number = latest.number if latest else 0
    if based_on is not None and based_on != latest_number:
        by = f" by {latest.author_name}" if latest else ""
        raise ConfigConflict(
            f"version {latest_number} was saved{by} after version {based_on}, which this "
            "edit started from; reload and make the change again"
        )
    previous = latest.data if latest else config_default().model_dump(mode="json")
    changes = config_diff(previous, data)
    if not changes:
        raise ConfigUnchanged(
            f"nothing changed: the document equals "
            f"{f'version {latest_number}' if latest else 'the defaults in force'}"
        )
    return ConfigVersion.objects.create(
        number=latest_number + 1,
        data=data,
        author=author,
        author_name=author_name,
        comment=comment,
        diff=changes,
        rollback_of=rollback_of,
    )


def config_rollback(
    *, number: int, author_name: str, author=None, comment: str = ""
) -> ConfigVersion:
    """Put version `number` back in force, as a new version equal to it."""
    old = ConfigVersion.objects.filter(number=number).first()
    if old is None:
        raise ConfigVersionMissing(f"there is no configuration version {number}")
    return config_version_create(
        document=old.data,
        author=author,
        author_name=author_name,
        comment=comment or f"rollback to version {number}",
        rollback_of=number,
    )
