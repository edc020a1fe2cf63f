"""The client's address, as far as this server can trust it.

Behind N trusted proxies (TRUSTED_PROXY_COUNT) each proxy appends the address it saw
to X-Forwarded-For, so the client is the Nth entry from the right; whatever a client
wrote further left is its own claim and ignored. Without proxies only REMOTE_ADDR
counts. django-axes, the throttles and the access log all use this one function, so
a forged X-Forwarded-For can neither reset a lockout nor dodge a throttle."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return _valid(forwarded[-count])
    return _valid(request.META.get("REMOTE_ADDR", ""))


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
