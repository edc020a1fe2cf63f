"""Start-up checks of the django-q2 settings the publisher relies on for "exactly once"."""

from django.conf import settings
from django.core.checks import Error, register

# Seconds of slack between a task's timeout and the broker handing it out again.
RETRY_MARGIN = 30


def _error(msg: str, hint: str, n: int) -> Error:
    return Error(msg, hint=hint, id=f"publishing.E{n:03d}")


@register()
def q_cluster_settings(app_configs=None, **kwargs) -> list[Error]:
    conf = getattr(settings, "Q_CLUSTER", {})
    errors = []
    timeout, retry = conf.get("timeout"), conf.get("retry")
    if timeout is None or retry is None or retry <= timeout + RETRY_MARGIN:
        errors.append(
            _error(
                f"Q_CLUSTER retry ({retry}) must exceed timeout ({timeout}) + {RETRY_MARGIN} s.",
                "Otherwise the ORM broker hands a running dispatcher task to a second worker.",
                1,
            )
        )
    if not conf.get("max_attempts"):
        errors.append(
            _error(
                "Q_CLUSTER max_attempts is not set (0 means retry forever).",
                "Set it to 1: the publisher retries by its own policies, not the broker's.",
                2,
            )
        )
    errors += _explicit(conf)
    return errors


def _explicit(conf: dict) -> list[Error]:
    errors = []
    if "ack_failures" not in conf:
        errors.append(
            _error(
                "Q_CLUSTER ack_failures is not set explicitly.",
                "Set it to True so a failed dispatcher run is acknowledged, not redelivered.",
                3,
            )
        )
    if conf.get("catch_up", True):
        errors.append(
            _error(
                "Q_CLUSTER catch_up is on.",
                "Set it to False: after downtime, one dispatcher run catches up, not hundreds.",
                4,
            )
        )
    if conf.get("orm") != "default":
        errors.append(
            _error(
                f"Q_CLUSTER broker is {conf.get('orm')!r}, not the 'default' database alias.",
                "Claims and the queue must share one database so their transactions agree.",
                5,
            )
        )
    return errors


# A create's connect and its read may each take the whole client timeout.
IN_FLIGHT_FACTOR = 2


@register()
def timeout_settings(app_configs=None, **kwargs) -> list[Error]:
    """The claim lease and the reconciliation settle time must outlast a create in
    flight, or a post X is still accepting is taken for lost and sent again."""
    longest = IN_FLIGHT_FACTOR * settings.X_API_TIMEOUT_SECONDS
    rules = [
        (
            "PUBLISH_LEASE_SECONDS",
            6,
            "A lease that ends while the create is in flight lets reconciliation resend it.",
        ),
        (
            "RECONCILE_SETTLE_SECONDS",
            7,
            "Reconciliation would call a post missing from the timeline before it could land.",
        ),
    ]
    return [
        _error(
            f"{name} ({getattr(settings, name)}) must be at least {IN_FLIGHT_FACTOR} x "
            f"X_API_TIMEOUT_SECONDS ({settings.X_API_TIMEOUT_SECONDS:g}) = {longest:g} s.",
            f"{why} Raise {name} or lower X_API_TIMEOUT_SECONDS.",
            n,
        )
        for name, n, why in rules
        if getattr(settings, name) < longest
    ]
