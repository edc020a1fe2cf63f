"""Production: no default secrets; hosts and trusted origins must be named; HTTPS
everywhere, behind a TLS-terminating proxy that sets X-Forwarded-Proto."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_secret


def required_list(name: str, example: str) -> list[str]:
    """A comma-separated list that must be set, non-empty, and without a wildcard."""
    values = [v.strip() for v in env.list(name, default=[]) if v.strip()]
    if not values:
        raise ImproperlyConfigured(f"{name} must be set in production, e.g. {name}={example}")
    if "*" in values:
        raise ImproperlyConfigured(f"{name} must name hosts, not '*'.")
    return values


def required_secret(name: str) -> str:
    value = env_secret(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} (or {name}_FILE) must be set in production; there is no default."
        )
    return value


DEBUG = False
SECRET_KEY = required_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = required_list("DJANGO_ALLOWED_HOSTS", "publisher.example.org")
CSRF_TRUSTED_ORIGINS = required_list("DJANGO_CSRF_TRUSTED_ORIGINS", "https://publisher.example.org")
if bad := [o for o in CSRF_TRUSTED_ORIGINS if not o.startswith("https://")]:
    raise ImproperlyConfigured(f"DJANGO_CSRF_TRUSTED_ORIGINS must be https:// origins: {bad}")
FIELD_ENCRYPTION_KEYS = [k for k in env.list("FIELD_ENCRYPTION_KEYS", default=[]) if k]
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set in production (comma-separated Fernet keys, "
        "newest first); see docs/operations.md."
    )
# The proxy terminates TLS and says so in X-Forwarded-Proto; it must overwrite any
# value a client sends, or a client could claim HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The same proxy appends the client's address to X-Forwarded-For: trust that one entry
# (security.client), or every client would share the proxy's address in axes lockouts
# and API throttles. 0 when nothing stands in front; 2 behind a CDN and a proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes from the proxy or the orchestrator come over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
