"""Settings shared by every environment. Deployment facts come from the environment
(django-environ); a bad value fails at start with ImproperlyConfigured naming it."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / "data"

env = environ.Env()
# A local .env (written by `make run` on first start) holds generated secrets.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name: str, default: str | None = None) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    if default is None:
        return env.str(name)
    return env.str(name, default=default)


DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "configuration",
    "projects",
    "publishing",
    "monitoring",
    "analytics",
    "security",
    "database",
    # After publishing: its `qcluster` (a stop that ends dispatcher loops) wins.
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First after security: times every request, per URL name (monitoring, /metrics).
    "monitoring.middleware.RequestMetricsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: records API and admin actions with their user.
    "security.middleware.AccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "twitterpub.urls"
WSGI_APPLICATION = "twitterpub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_config() -> dict:
    """DATABASE_URL, defaulting to a SQLite file in the ignored data folder.

    SQLite runs in WAL mode with IMMEDIATE transactions and a busy timeout, so a web
    process and workers can write without 'database is locked' errors."""
    default = f"sqlite:///{DATA_DIR / 'twitterpub.sqlite3'}"
    db = env.db_url("DATABASE_URL", default=default)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {}).update(
            {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        db.setdefault("CONN_HEALTH_CHECKS", True)
    return db


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- REST API (issue [4 of 5]; docs/api.md) ------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its WWW-Authenticate header makes missing credentials a 401.
        "security.api.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default, GET included: every view declares permission_rules.
    "DEFAULT_PERMISSION_CLASSES": ["security.api.permissions.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": [
        "security.api.throttles.APIKeyRateThrottle",
        "security.api.throttles.UserRateThrottle",
        "security.api.throttles.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "apikey": env.str("API_THROTTLE_PER_KEY", default="600/min"),
        "user": env.str("API_THROTTLE_PER_USER", default="1200/min"),
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        # Refused API keys per client address, before any database lookup.
        "apikey_failure": env.str("API_THROTTLE_FAILED_KEYS", default="10/min"),
    },
    "DEFAULT_PARSER_CLASSES": [
        "security.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "security.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "security.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "twitterpub API",
    "DESCRIPTION": "Projects, publishing tasks, logs and X accounts. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from our own static files: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "publishing.models.PublishingTask.Status",
        "AttemptOutcomeEnum": "publishing.models.PublishingLog.Outcome",
        "SourceStatusEnum": "projects.models.ContentSource.Status",
        # An alert's status and a notification's event share one choice set.
        "AlertEventEnum": "monitoring.models.Alert.Status",
        "ErrorGroupStatusEnum": "monitoring.models.ErrorGroup.Status",
        "NotificationStatusEnum": "monitoring.models.Notification.Status",
    },
}
# An API key's last-used time is written at most this often (seconds).
APIKEY_LAST_USED_SECONDS = env.int("APIKEY_LAST_USED_SECONDS", default=60)
# Also log successful reads in the access log (writes and refusals always are).
ACCESS_LOG_READS = env.bool("ACCESS_LOG_READS", default=False)
# A security alert: this many failed logins / refused API keys within the window.
SECURITY_ALERT_THRESHOLD = env.int("SECURITY_ALERT_THRESHOLD", default=20)
SECURITY_ALERT_WINDOW_MINUTES = env.int("SECURITY_ALERT_WINDOW_MINUTES", default=10)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: none, the
# client is REMOTE_ADDR). security.client.client_address trusts exactly that many
# entries from the right, so a client cannot forge its address (axes, throttles).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# django-axes: lock after 5 failures for an hour (issue [4 of 5] hardens the proxy setup).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# Either count locks: an account after 5 failures from anywhere (an attacker with many
# addresses gets no more tries), and an address after 5 failures on any usernames.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The client's address from our own rule (TRUSTED_PROXY_COUNT), not the first
# X-Forwarded-For entry a client may write itself: a forged header can't reset a count.
AXES_CLIENT_IP_CALLABLE = "security.client.client_address"

# --- twitterpub ----------------------------------------------------------------------

# Folders that project paths must stay inside (real paths, symlinks followed).
CONTENT_ROOTS = [
    Path(p).expanduser().resolve()
    for p in env.list("CONTENT_ROOTS", default=[str(BASE_DIR / "demo" / "content")])
]

# Where xdk sends requests. `make run` points it at the bundled emulator.
X_API_BASE_URL = env.str("X_API_BASE_URL", default="https://api.x.com").rstrip("/")
X_API_TIMEOUT_SECONDS = env.float("X_API_TIMEOUT_SECONDS", default=30.0)
# Chunk size for media upload v2 APPEND: X refuses segments near 5 MB with 413.
X_MEDIA_CHUNK_BYTES = env.int("X_MEDIA_CHUNK_BYTES", default=1024 * 1024)

# MultiFernet keys (comma-separated, newest first) for secrets at rest. Not SECRET_KEY:
# rotating the session key must never make stored X credentials unreadable.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# Dispatcher: how many due tasks one pass claims, and how long a claim is held.
DISPATCH_BATCH_SIZE = env.int("DISPATCH_BATCH_SIZE", default=50)
PUBLISH_LEASE_SECONDS = env.int("PUBLISH_LEASE_SECONDS", default=300)

# Retry policy per error class (issue [2 of 5]): exponential backoff with full jitter,
# delay = random(0, min(cap, base * 2**(attempt-1))) seconds, at most max_attempts sends.
# content errors go to needs_review and auth errors pause the account: neither retries.
PUBLISH_RETRY_POLICIES = {
    "rate_limit": {"base": 60, "cap": 900, "max_attempts": 8},
    "network": {"base": 5, "cap": 300, "max_attempts": 5},
    "system": {"base": 30, "cap": 900, "max_attempts": 5},
    "media": {"base": 60, "cap": 1800, "max_attempts": 3},
    "unknown": {"base": 60, "cap": 1800, "max_attempts": 3},
}
# Concurrency: posts in flight at once, in all and per X account.
MAX_CONCURRENT_TASKS = env.int("MAX_CONCURRENT_TASKS", default=4)
MAX_CONCURRENT_PER_ACCOUNT = env.int("MAX_CONCURRENT_PER_ACCOUNT", default=2)
# Dispatch slows (half the concurrency) above the *_slow levels and stops above the
# *_pause levels (None: never). CPU is a 30 s average of the whole machine; it does not
# pause by default, since a busy neighbour process must not stop the posts.
RESOURCE_THRESHOLDS = {
    "cpu_slow": env.float("DISPATCH_CPU_SLOW", default=85.0),
    "cpu_pause": env.float("DISPATCH_CPU_PAUSE", default=None),
    "memory_slow": env.float("DISPATCH_MEMORY_SLOW", default=85.0),
    "memory_pause": env.float("DISPATCH_MEMORY_PAUSE", default=95.0),
}
# Reconciliation of unknown outcomes: how long after the claim X's timeline must be
# checked before "not found" means "safe to send again", and the look-back margin.
RECONCILE_SETTLE_SECONDS = env.int("RECONCILE_SETTLE_SECONDS", default=60)
RECONCILE_MARGIN_SECONDS = env.int("RECONCILE_MARGIN_SECONDS", default=120)
RECONCILE_INTERVAL_SECONDS = env.float("RECONCILE_INTERVAL_SECONDS", default=15.0)
# The dispatcher loop wakes at least this often to look for new work (seconds).
DISPATCH_POLL_SECONDS = env.float("DISPATCH_POLL_SECONDS", default=0.5)

# django-q2 on the ORM broker of the default database. retry > timeout + margin so a
# slow publish is never handed to a second worker while the first still runs.
Q_CLUSTER = {
    "name": "twitterpub",
    "orm": "default",
    # Two dispatcher loops overlap each minute; the rest is free for other work.
    "workers": env.int("Q_WORKERS", default=4),
    # A loop runs 90 s and then finishes its batch (a large video upload can take
    # minutes): the timeout leaves room, and retry must exceed it.
    "timeout": 600,
    "retry": 660,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "poll": 0.5,
    "label": "Task queue",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes announces itself at INFO in every process; keep start-up output readable.
        "axes": {"level": "WARNING"},
    },
}

# --- Monitoring (issue [5 of 5]; docs/monitoring.md) ----------------------------------
# Thresholds and channels of alerts are rows (AlertRule, NotificationChannel) edited in
# the admin; these are the mechanics around them.
# Kept per resolution (days): raw one-minute samples, hourly means, daily means.
MONITORING_RETENTION = {
    "raw_days": env.int("MONITORING_RAW_DAYS", default=7),
    "hour_days": env.int("MONITORING_HOURLY_DAYS", default=90),
    "day_days": env.int("MONITORING_DAILY_DAYS", default=5 * 365),
    # Resolved alerts, with their notifications.
    "alerts_days": env.int("MONITORING_ALERT_DAYS", default=90),
}
# The disk whose use is sampled and checked by /health/ready (its nearest existing parent).
MONITORING_DISK_PATH = env.str("MONITORING_DISK_PATH", default=str(DATA_DIR))
MONITORING_READY_DISK_PERCENT = env.float("MONITORING_READY_DISK_PERCENT", default=95.0)
# /health/ready fails when no worker has checked in for this long (it does every minute).
MONITORING_HEARTBEAT_STALE_SECONDS = env.int("MONITORING_HEARTBEAT_STALE_SECONDS", default=180)
# /metrics requires "Authorization: Bearer <token>" when set (or MONITORING_METRICS_TOKEN_FILE).
MONITORING_METRICS_TOKEN = env_secret("MONITORING_METRICS_TOKEN", default="")
# Database-derived gauges are cached this long between scrapes (seconds; 0: never).
MONITORING_METRICS_CACHE_SECONDS = env.int("MONITORING_METRICS_CACHE_SECONDS", default=15)
# Failed notifications are retried after base * 2**(attempt-1) seconds, capped.
MONITORING_NOTIFY_RETRY = {
    "base": env.int("MONITORING_NOTIFY_RETRY_BASE", default=60),
    "cap": env.int("MONITORING_NOTIFY_RETRY_CAP", default=3600),
    "max_attempts": env.int("MONITORING_NOTIFY_MAX_ATTEMPTS", default=6),
}
MONITORING_EMAIL_FROM = env.str("MONITORING_EMAIL_FROM", default="twitterpub@localhost")
MONITORING_WEBHOOK_TIMEOUT_SECONDS = env.float("MONITORING_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# What X charges (pay per use since Feb 2026; ../shared/X_API.md), in dollars.
X_API_PRICES = {
    "post": env.float("X_PRICE_POST", default=0.015),
    "post_with_url": env.float("X_PRICE_POST_WITH_URL", default=0.20),
    "media_metadata": env.float("X_PRICE_MEDIA_METADATA", default=0.005),
}
# --- end of Monitoring ------------------------------------------------------------------

# --- Gemini rewriting (issue [3 of 5]) -------------------------------------------------
# publishing.services.generation rewrites metadata into a post with Gemini, through
# publishing.geminiclient. Without a key every post is composed in direct mode.


def _gemini_number(name: str, cast: type, default: float, low: float, high: float) -> float:
    """A number from the environment, refused at start when unreadable or out of range."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        value = cast(env.str(name, default=str(default)))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low} and {high}, got {value}")
    return value


GEMINI_API_KEY = env_secret("GEMINI_API_KEY", default="")
# google-genai appends /v1/models/{model}:generateContent; tests and `make run` point it
# at the loopback emulator (manage.py geminisandbox).
GEMINI_API_BASE_URL = env.str(
    "GEMINI_API_BASE_URL", default="https://generativelanguage.googleapis.com"
).rstrip("/")
GEMINI_MODEL = env.str("GEMINI_MODEL", default="gemini-2.5-flash")
GEMINI_TEMPERATURE = _gemini_number("GEMINI_TEMPERATURE", float, 0.7, 0.0, 2.0)
GEMINI_TIMEOUT_SECONDS = _gemini_number("GEMINI_TIMEOUT_SECONDS", float, 20.0, 0.05, 600.0)
# Thinking models spend output tokens on thoughts before the post: leave them room.
GEMINI_MAX_OUTPUT_TOKENS = _gemini_number("GEMINI_MAX_OUTPUT_TOKENS", int, 1024, 16, 65536)
# Rejected outputs (too long, scaffolding, duplicate) are asked for again this many times,
# then the post is composed in direct mode.
GEMINI_MAX_REGENERATIONS = _gemini_number("GEMINI_MAX_REGENERATIONS", int, 2, 0, 10)
# After a failed call (quota, timeout, 5xx, auth) Gemini is skipped for this long, so an
# outage costs one failed call per process, not one per post.
GEMINI_OUTAGE_COOLDOWN_SECONDS = _gemini_number(
    "GEMINI_OUTAGE_COOLDOWN_SECONDS", int, 300, 0, 86400
)
# --- end of Gemini rewriting -----------------------------------------------------------

# --- Hardening, database care and backups (issues [4 of 5], [5 of 5]) -----------------

# Functions a django-q2 Schedule (or a task resubmitted in the admin) may name: its
# payloads are pickled and the name is imported and called, so a free-form name is
# remote code execution. `module.*` is any public function defined in that module.
# Apps that add task functions extend this list (security.queue_allowlist).
Q_FUNC_ALLOWLIST = [
    "publishing.tasks.*",
    "monitoring.tasks.*",
    "analytics.tasks.*",
    "configuration.tasks.*",
    "database.tasks.*",
]

# Backups (database app): where they go, and how many scheduled ones are kept.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(DATA_DIR / "backups")))
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)
BACKUP_HOUR_UTC = env.int("BACKUP_HOUR_UTC", default=3)
# Restoring a backup over the API (Admin only): off, since the restore procedure stops
# the web server and workers first, and one stolen Admin key could replace every row.
API_ALLOW_RESTORE = env.bool("API_ALLOW_RESTORE", default=False)
# PostgreSQL client tools (pg_dump, pg_restore); the PATH's by default.
PG_BIN_DIR = env.str("PG_BIN_DIR", default="")


def cache_config() -> dict:
    """Local memory per process by default; Redis, shared by every process, with REDIS_URL."""
    url = env.str("REDIS_URL", default="")
    if url:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": cache_config()}
