"""GET /2/users/me and GET /2/usage/tweets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .messages import Call, Reply
from .validation import int_param

PROJECT_ID = "1000000000000000001"
CLIENT_APP_ID = "1000000000000000002"
PROJECT_CAP = 2_000_000


def me(call: Call) -> Reply:
    account = call.account
    data = {"id": account.user_id, "name": account.name, "username": account.username}
    return Reply(200, {"data": data})


def usage(call: Call) -> Reply:
    """Posts read through the emulator per UTC day, shaped like X's project usage."""
    days = int_param(call.params, "days", default=7, low=1, high=90)
    today = datetime.fromtimestamp(call.now, UTC).date()
    dates = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    reads = call.emulator.reads_per_day
    daily = [{"date": f"{day}T00:00:00.000Z", "usage": str(reads[str(day)])} for day in dates]
    data = {
        "project_id": PROJECT_ID,
        "project_cap": str(PROJECT_CAP),
        "project_usage": str(sum(reads.values())),
        "cap_reset_day": 1,
        "daily_project_usage": {"project_id": PROJECT_ID, "usage": daily},
        "daily_client_app_usage": [
            {"client_app_id": CLIENT_APP_ID, "usage": daily, "usage_result_count": len(daily)}
        ],
    }
    return Reply(200, {"data": data})
