"""The access log: API and admin actions (writes) and refused requests, with who,
what, which object, the result and the client's address."""

from __future__ import annotations

from django.conf import settings

from security.client import client_address
from security.models import AccessLog

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Refusals are logged even for reads: they are what an investigation looks for.
# Not 429: a flood past the throttles would otherwise write a row per request.
REFUSED = (401, 403)
_CHANNELS = (("/api/", AccessLog.Channel.API), ("/admin/", AccessLog.Channel.ADMIN))


def access_channel(path: str) -> str | None:
    return next((channel for prefix, channel in _CHANNELS if path.startswith(prefix)), None)


def access_worth_logging(request, status_code: int) -> bool:
    if request.method not in SAFE_METHODS or status_code in REFUSED:
        return True
    return settings.ACCESS_LOG_READS


def access_log_record(*, request, status_code: int, channel: str) -> AccessLog:
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    api_key = getattr(request, "auth", None)
    match = request.resolver_match
    kwargs = match.kwargs if match else {}
    return AccessLog.objects.create(
        channel=channel,
        user=user,
        username=user.get_username() if user else "",
        api_key_prefix=getattr(api_key, "prefix", "") or "",
        method=request.method[:10],
        path=request.path[:500],
        action=_action(request, match),
        object_id=str(kwargs.get("pk") or kwargs.get("object_id") or "")[:64],
        status_code=status_code,
        address=client_address(request),
    )


def _action(request, match) -> str:
    name = match.view_name if match else ""
    # An admin change list's bulk action is named in the form ("delete_selected").
    if name.endswith("changelist") and request.method == "POST" and request.POST.get("action"):
        name = f"{name}:{request.POST['action']}"
    return name[:100]
