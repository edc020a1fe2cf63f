"""API key authentication: `Authorization: Bearer tpk_…` (or `X-API-Key: tpk_…`)."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from security.api.throttles import FailedKeyThrottle
from security.apikeys import KeyRefused, apikey_check
from security.client import client_address
from security.events import Kind, security_event_record


def _presented_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = _presented_key(request)
        if key is None:
            return None
        throttle = FailedKeyThrottle()
        if throttle.blocked(request):
            raise exceptions.Throttled(
                throttle.wait(),
                detail="Too many refused API keys from your address; wait and retry.",
            )
        try:
            api_key = apikey_check(key)
        except KeyRefused as refused:
            throttle.record_failure(request)
            security_event_record(
                kind=Kind.API_KEY_REFUSED, address=client_address(request), detail=str(refused)
            )
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate), not 403, without credentials.
        return 'Bearer realm="api"'
