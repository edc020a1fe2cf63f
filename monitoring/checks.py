"""Start-up checks of the monitoring settings: a bad price or retention is refused at
start, not discovered in a wrong bill or a pruned year of data."""

import os

from django.conf import settings
from django.core.checks import Error, Warning, register

PRICE_KEYS = ("post", "post_with_url", "media_metadata")


def _error(msg: str, hint: str, n: int) -> Error:
    return Error(msg, hint=hint, id=f"monitoring.E{n:03d}")


@register()
def monitoring_settings(app_configs=None, **kwargs) -> list:
    errors = _prices() + _retention()
    retry = settings.MONITORING_NOTIFY_RETRY
    if retry["base"] <= 0 or retry["cap"] < retry["base"] or retry["max_attempts"] < 1:
        errors.append(
            _error(
                f"MONITORING_NOTIFY_RETRY is not usable: {retry}.",
                "base > 0, cap >= base, max_attempts >= 1.",
                3,
            )
        )
    return errors + _multiprocess_dir()


def _prices() -> list[Error]:
    prices = settings.X_API_PRICES
    bad = [k for k in PRICE_KEYS if not isinstance(prices.get(k), int | float) or prices[k] < 0]
    if not bad:
        return []
    return [_error(f"X_API_PRICES has no usable {', '.join(bad)}.", "Dollars, 0 or more.", 1)]


def _retention() -> list[Error]:
    days = settings.MONITORING_RETENTION
    raw, hour, day = days["raw_days"], days["hour_days"], days["day_days"]
    if 1 <= raw <= hour <= day:
        return []
    return [
        _error(
            f"MONITORING_RETENTION must keep raw <= hourly <= daily, each >= 1 day: {days}.",
            "Coarser data must outlive the finer data it is made from.",
            2,
        )
    ]


def _multiprocess_dir() -> list:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path or (os.path.isdir(path) and os.access(path, os.W_OK)):
        return []
    return [
        Warning(
            f"PROMETHEUS_MULTIPROC_DIR={path} is not a writable folder.",
            hint="Create it (gunicorn.conf.py does so for the web server) or unset it.",
            id="monitoring.W001",
        )
    ]
