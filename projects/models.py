from django.conf import settings
from django.db import models
from django.db.models import Q


class Language(models.TextChoices):
    # "cn", not "zh": the original system's file names use it.
    EN = "en", "English"
    CN = "cn", "Chinese"
    JA = "ja", "Japanese"


class Layout(models.TextChoices):
    UPLOADER_JSON = "uploader_json", "uploader_json (media + JSON metadata)"
    PLAIN = "plain", "plain (text files + optional media)"


def default_preferred_hours() -> list[int]:
    return [9, 12, 15, 18, 21]


class Project(models.Model):
    """A folder of content that publishes to X on its own schedule."""

    class MissedPolicy(models.TextChoices):
        SKIP = "skip", "Mark missed"
        PUBLISH_LATE = "publish_late", "Publish late"

    class LanguageMode(models.TextChoices):
        # The original system posted each media file once, in the project's language.
        ONE = "one", "One post per file, in the project's language"
        EACH = "each", "One post per file and language found"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects"
    )
    # Members see the project as its owner does (the API scopes every read by it);
    # what they may do is their role's business.
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="member_projects", blank=True
    )
    name = models.CharField(max_length=100)
    path = models.CharField(max_length=1024, help_text="Real path inside CONTENT_ROOTS.")
    layout = models.CharField(max_length=20, choices=Layout.choices)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA time zone.")
    enabled = models.BooleanField(default=True, help_text="Disabled projects are not scanned.")
    paused = models.BooleanField(default=False, help_text="Paused projects publish nothing.")
    priority = models.IntegerField(default=0, help_text="Higher publishes first.")
    # Scheduling, in the project's time zone.
    daily_max = models.PositiveIntegerField(default=5)
    preferred_hours = models.JSONField(
        default=default_preferred_hours,
        blank=True,
        help_text="Local hours (0-23) to post at. Empty: any hour, spaced by the minimum interval.",
    )
    blackout_hours = models.JSONField(default=list, blank=True, help_text="Local hours never used.")
    min_interval_minutes = models.PositiveIntegerField(default=60)
    missed_after_minutes = models.PositiveIntegerField(
        default=120, help_text="A task later than this is handled by the missed policy."
    )
    missed_policy = models.CharField(
        max_length=20, choices=MissedPolicy.choices, default=MissedPolicy.PUBLISH_LATE
    )
    made_with_ai = models.BooleanField(default=False)
    text_mode = models.CharField(
        max_length=10,
        choices=[("gemini", "Rewrite with Gemini"), ("direct", "Direct (rules only)")],
        default="gemini",
        help_text="Gemini needs GEMINI_API_KEY; without it posts are composed directly.",
    )
    requires_approval = models.BooleanField(
        default=False, help_text="Tasks wait for an operator's approval before publishing."
    )
    language_mode = models.CharField(
        max_length=10,
        choices=LanguageMode.choices,
        default=LanguageMode.ONE,
        help_text="Publish the project's language only, or each language as its own post.",
    )
    thread_mode = models.BooleanField(
        default=False,
        help_text=(
            "Post a text over the account's limit as a numbered reply thread instead of "
            "shortening it. X may refuse API replies (see docs/composing.md)."
        ),
    )
    last_scan = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("scan_project", "Can scan projects")]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="project_name_unique_per_owner"),
            models.CheckConstraint(
                condition=Q(daily_max__gte=1), name="project_daily_max_at_least_one"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContentSource(models.Model):
    """One unit of content found on disk: a media file, or a text post with its media.

    The scanner keeps one row per unit with its metadata in every language it found;
    publishing turns active rows into tasks."""

    class Kind(models.TextChoices):
        VIDEO = "video", "Video"
        IMAGE = "image", "Image(s)"
        GIF = "gif", "GIF"
        TEXT = "text", "Text only"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ERROR = "error", "Error"
        REMOVED = "removed", "Removed from disk"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sources")
    # Path relative to the project folder of the file that identifies the unit
    # (the media file for uploader_json, the text file for plain).
    key = models.CharField(max_length=1024)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    media_paths = models.JSONField(default=list, blank=True, help_text="Relative, in order.")
    # {"en": {"title":..., "description":..., "hashtags": [...], "text": ...}, "cn": ...}
    metadata = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Hash of everything scanned.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    error = models.TextField(blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["project", "key"]
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="content_source_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.key}"

    @property
    def languages(self) -> list[str]:
        return sorted(self.metadata)


class ScanReport(models.Model):
    """What one scan of a project found, kept so the admin shows per-item errors."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scan_reports")
    started = models.DateTimeField()
    finished = models.DateTimeField()
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"path": "...", "error": "..."}]
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started"]
        indexes = [models.Index(fields=["project", "-started"], name="scan_report_latest")]

    def __str__(self) -> str:
        return f"{self.project} scan at {self.started:%Y-%m-%d %H:%M}"
