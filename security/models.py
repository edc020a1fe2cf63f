from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q


class APIKey(models.Model):
    """A key a script uses instead of a session. Only a SHA-256 hash is stored: the
    key itself is shown once, when it is created (security.apikeys.apikey_create).

    The key acts with the permissions of its role, capped by its user's own, and sees
    what its user sees (the projects the user owns or is a member of)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    role = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, help_text="What the key is for.")
    # The visible start of the key ("tpk_" + 8 characters), unique: the lookup index.
    prefix = models.CharField(max_length=16, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False, help_text="SHA-256, hex.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(fields=["prefix"], name="api_key_prefix_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}, {self.role})"


class AccessLog(models.Model):
    """Who did what to which object through the API or the admin, and how it ended."""

    class Channel(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Admin"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept if the user goes.")
    api_key_prefix = models.CharField(max_length=16, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    action = models.CharField(max_length=100, blank=True, help_text="View and action name.")
    object_id = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.username or 'anonymous'} {self.method} {self.path} → {self.status_code}"

    @property
    def succeeded(self) -> bool:
        return self.status_code < 400


class SecurityEvent(models.Model):
    """A refused attempt to get in (failed login, lockout, refused API key), and the
    alerts raised when such attempts burst."""

    class Kind(models.TextChoices):
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKOUT = "lockout", "Account locked out"
        API_KEY_REFUSED = "api_key_refused", "Refused API key"
        ALERT = "alert", "Security alert"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    username = models.CharField(max_length=150, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # The burst check after every event, and security_event_counts().
            models.Index(fields=["kind", "created"], name="security_event_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["login_failed", "lockout", "api_key_refused", "alert"]),
                name="security_event_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username or self.address or ''}".strip()
