"""Test settings: fast hashing, fixed keys, locmem email. DATABASE_URL picks the
database (SQLite by default; CI also runs PostgreSQL)."""

from .base import *  # noqa: F403

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A fixed test key: tests check that nothing is stored in plain text.
FIELD_ENCRYPTION_KEYS = ["p1W0hS4qx8Xhb3ry4G0Qn5bY6rL3uJkO0CwA9Zt1mEs="]
# Tests point it at their own emulator; nothing answers on port 9 (discard).
X_API_BASE_URL = env.str("X_API_BASE_URL", default="http://127.0.0.1:9")  # noqa: F405
X_API_TIMEOUT_SECONDS = env.float("X_API_TIMEOUT_SECONDS", default=5.0)  # noqa: F405
AXES_ENABLED = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run inside one uncommitted transaction that pool threads could not see; the
# concurrency tests that need threads set this themselves.
MAX_CONCURRENT_TASKS = env.int("MAX_CONCURRENT_TASKS", default=1)  # noqa: F405
# Other test processes load this machine: tests that check throttling set thresholds.
RESOURCE_THRESHOLDS = {
    "cpu_slow": 101.0,
    "cpu_pause": 101.0,
    "memory_slow": 101.0,
    "memory_pause": 101.0,
}
# A developer's .env key must never reach Google from a test.
GEMINI_API_KEY = ""
GEMINI_API_BASE_URL = "http://127.0.0.1:9"
# Tests never collect static files; without a root WhiteNoise has no folder to warn about.
STATIC_ROOT = None
