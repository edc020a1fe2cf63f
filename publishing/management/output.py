"""Shared output helpers for the publishing commands."""

import json


def dumps(obj) -> str:
    """JSON for scripts: UTF-8 text as is, datetimes as ISO strings."""
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str)
