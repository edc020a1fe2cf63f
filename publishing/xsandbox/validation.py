"""Parameter checks that answer the way X does: 400 invalid-request naming the parameter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from .problems import invalid_request

_ID = re.compile(r"^[0-9]{1,19}$")


def reject_unknown(body: Mapping[str, object], allowed: Iterable[str], prefix: str = "$") -> None:
    for name in body:
        if name not in allowed:
            raise invalid_request(
                f"{prefix}.{name}: is not defined in the schema and the schema does not "
                "allow additional properties",
                parameter=name,
            )


def snowflake(value: object, parameter: str) -> int:
    if not isinstance(value, str) or not _ID.match(value):
        raise invalid_request(
            f"The `{parameter}` value [{value}] does not match ^[0-9]{{1,19}}$",
            parameter=parameter,
            value=value,
        )
    return int(value)


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_request(
            f"The `{name}` query parameter value [{raw}] is not between {low} and {high}",
            parameter=name,
            value=raw,
        )
    return int(raw)


def time_param(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_request(
            f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 date-time",
            parameter=name,
            value=raw,
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def list_param(params: Mapping[str, str], *names: str) -> frozenset[str]:
    """Comma-separated values; X's old and new names (tweet.fields, post.fields) are merged."""
    values = (params.get(name, "") for name in names)
    return frozenset(item for value in values for item in value.split(",") if item)


def text_field(body: Mapping[str, object], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise invalid_request(f"$.{name}: string expected", parameter=name)
    return value
