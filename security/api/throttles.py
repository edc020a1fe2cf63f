"""Rate limits, counted in the cache (a shared one, e.g. Redis, when several processes
serve the API): per API key, per user, per anonymous address, and on failed API key
lookups per address (someone guessing keys is stopped before the database is asked).

Rates come from the runtime configuration (security.api_throttle), read at each request
so a new version takes effect without a restart; its defaults are
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (a test's override included)."""

from rest_framework.throttling import SimpleRateThrottle

from configuration.selectors import config_value
from security.client import client_address
from security.models import APIKey


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self):
        return getattr(config_value("security.api_throttle"), self.scope, None)

    def get_ident(self, request):
        return client_address(request) or "unknown"


class APIKeyRateThrottle(_RateFromSettings):
    scope = "apikey"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, APIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_RateFromSettings):
    """Every request of a user, by session or by any of their keys."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_RateFromSettings):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FailedKeyThrottle(_RateFromSettings):
    """Counts refused API keys per client address; not a DRF view throttle but asked
    by the authentication class before it looks a key up."""

    scope = "apikey_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked(self, request) -> bool:
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        if not hasattr(self, "key"):
            self.blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)
