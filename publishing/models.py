from django.db import models
from django.db.models import Q

from projects.models import ContentSource, Language, Project
from security.fields import EncryptedTextField


class XAccount(models.Model):
    """An X account the publisher posts as, with OAuth 1.0a user-context credentials."""

    handle = models.CharField(max_length=50, unique=True, help_text="Without the @.")
    x_user_id = models.CharField(max_length=32, blank=True, help_text="Filled on verification.")
    consumer_key = EncryptedTextField()
    consumer_secret = EncryptedTextField()
    access_token = EncryptedTextField()
    access_token_secret = EncryptedTextField()
    char_limit = models.PositiveIntegerField(
        default=280, help_text="280, or 25,000 for paid (Premium) accounts."
    )
    max_video_seconds = models.PositiveIntegerField(
        default=140,
        help_text="Longest video X takes from this account: 140 s for most, longer for paid.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Used by projects that have no account of their own."
    )
    projects = models.ManyToManyField(Project, related_name="x_accounts", blank=True)
    paused = models.BooleanField(default=False)
    paused_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["handle"]
        verbose_name = "X account"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="xaccount_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"


class PublishingTask(models.Model):
    """One post to publish: the unit the dispatcher claims, sends and records."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        QUEUED = "queued", "Queued"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        RETRY_WAIT = "retry_wait", "Waiting to retry"
        UNKNOWN = "unknown", "Outcome unknown"
        NEEDS_REVIEW = "needs_review", "Needs review"
        FAILED = "failed", "Failed"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"
        INVALID = "invalid", "Invalid"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    source = models.ForeignKey(
        ContentSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    account = models.ForeignKey(
        XAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    content_path = models.CharField(max_length=1024, help_text="Relative to the project folder.")
    media_paths = models.JSONField(default=list, blank=True, help_text="Relative, in order.")
    has_media = models.BooleanField(default=False)
    language = models.CharField(max_length=2, choices=Language.choices)
    text = models.TextField(blank=True)
    weighted_length = models.PositiveIntegerField(default=0)
    # How the text came about: "direct", "gemini", or "edited" by an operator (a
    # rescan never overwrites an edited text).
    text_origin = models.CharField(max_length=10, default="direct")
    text_note = models.TextField(blank=True, help_text="Why the text is not Gemini's, if so.")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    priority = models.IntegerField(default=0)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a task waiting to retry becomes due again."
    )
    post_id = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    error_class = models.CharField(max_length=20, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_at", "id"]
        permissions = [
            ("approve_publishingtask", "Can approve tasks"),
            ("publish_publishingtask", "Can publish now, cancel, retry and reschedule tasks"),
        ]
        constraints = [
            # A file is published once per language per project: once in all (the
            # original system's rule) unless the project posts each language.
            models.UniqueConstraint(
                fields=["project", "content_path", "language"],
                name="task_one_per_file_and_language",
            ),
            models.UniqueConstraint(
                fields=["post_id"], condition=~Q(post_id=""), name="task_post_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(post_id=""),
                name="task_published_has_post_id",
            ),
        ]
        indexes = [
            # The dispatcher's due-task query.
            # (status = 'pending' exactly: SQLite ignores a partial index whose
            # condition the query does not imply, e.g. IN ('pending', 'queued').)
            models.Index(
                fields=["scheduled_at", "-priority"],
                condition=Q(status="pending"),
                name="task_due",
            ),
            # Lease expiry sweep: claims whose worker died.
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="publishing"),
                name="task_lease",
            ),
            # Retry sweep: tasks whose backoff has run out.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="retry_wait"),
                name="task_retry_due",
            ),
            # Reconciliation: tasks whose outcome on X is unknown.
            models.Index(fields=["claimed_at"], condition=Q(status="unknown"), name="task_unknown"),
            # Counts by project and status; with the id, the API's "this project's tasks
            # in this status, newest first" reads its page straight off the index.
            models.Index(fields=["project", "status", "id"], name="task_project_status"),
            # The API's task list ordered by schedule (cursor pages, either direction).
            models.Index(fields=["scheduled_at", "id"], name="task_schedule_order"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.content_path} [{self.language}]"


class TaskTransition(models.Model):
    """Every status change of a task: who or what, when, why."""

    task = models.ForeignKey(PublishingTask, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=PublishingTask.Status.choices)
    to_status = models.CharField(max_length=20, choices=PublishingTask.Status.choices)
    actor = models.CharField(max_length=100)
    reason = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class PublishingLog(models.Model):
    """One attempt to publish a task, as it happened."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        UNKNOWN = "unknown", "Unknown"

    task = models.ForeignKey(PublishingTask, on_delete=models.CASCADE, related_name="logs")
    status = models.CharField(max_length=10, choices=Outcome.choices)
    post_id = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)
    error_class = models.CharField(max_length=20, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    execution_time = models.FloatField(help_text="Seconds.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["-created"], name="publishing_log_recent")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.status}"


class RateLimitState(models.Model):
    """What X's headers last said about a rate-limit bucket, so the dispatcher never
    sends a request it knows will be refused."""

    class Bucket(models.TextChoices):
        POST_15M = "post_15m", "POST /2/tweets, 15 minutes, per user"
        POST_USER_24H = "post_user_24h", "POST /2/tweets, 24 hours, per user"
        POST_APP_24H = "post_app_24h", "POST /2/tweets, 24 hours, per app"

    # "user:<XAccount id>" or "app": NULLs would not be unique on SQLite.
    scope = models.CharField(max_length=40)
    bucket = models.CharField(max_length=20, choices=Bucket.choices)
    limit = models.PositiveIntegerField(null=True, blank=True)
    remaining = models.IntegerField()
    reset_at = models.DateTimeField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "bucket"], name="rate_limit_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.bucket}: {self.remaining} left until {self.reset_at:%H:%M:%S}"


class PublisherState(models.Model):
    """The publisher's global switch (one row). After a database restore it starts
    paused with reconciliation required, so nothing already on X is sent again."""

    paused = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    reconcile_required = models.BooleanField(default=False)
    changed_by = models.CharField(max_length=100, blank=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "publisher state"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="publisher_state_singleton"),
        ]

    def __str__(self) -> str:
        return "paused" if self.paused else "running"


class MediaUpload(models.Model):
    """One file uploaded to X for one account: the media id is reused until it
    expires (a retried post does not upload again), and the chunks already sent are
    checkpointed so an interrupted upload resumes instead of starting over."""

    class State(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(XAccount, on_delete=models.CASCADE, related_name="uploads")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=50)
    media_id = models.CharField(max_length=32)
    state = models.CharField(max_length=10, choices=State.choices, default=State.UPLOADING)
    chunks_sent = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    alt_text = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            # The dispatcher's cache lookup before every upload.
            models.Index(fields=["account", "sha256", "-expires_at"], name="media_upload_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.media_id} ({self.state})"


class GeneratedText(models.Model):
    """A post text made from one input: Gemini's answer, or direct mode's when Gemini's
    answers were rejected. Keyed by a hash of the input (metadata, language, limit,
    model, prompt version) so the same input is never paid for twice; delete a row to
    have its text generated again. Written by publishing.services.generation only."""

    class Mode(models.TextChoices):
        GEMINI = "gemini", "Gemini"
        DIRECT = "direct", "Direct"

    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the input, hex.")
    language = models.CharField(max_length=2, choices=Language.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    text = models.TextField()
    weighted_length = models.PositiveIntegerField()
    model = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0, help_text="All calls for this text.")
    output_tokens = models.PositiveIntegerField(default=0, help_text="Thinking included.")
    fallback_reason = models.TextField(blank=True, help_text="Why this is not Gemini's text.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Also the generator's lookup index: one read per post composed.
            models.UniqueConstraint(fields=["content_hash"], name="generated_text_unique_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.language}: {self.text[:40]}"


class ThreadPart(models.Model):
    """One post of a task published as a reply thread. The split is stored before the
    first part goes out, and each part's post id is committed the moment X answers, so
    a resumed thread sends only the parts X does not have."""

    task = models.ForeignKey(PublishingTask, on_delete=models.CASCADE, related_name="thread_parts")
    index = models.PositiveIntegerField(help_text="0 for the first post.")
    text = models.TextField()
    weighted_length = models.PositiveIntegerField()
    post_id = models.CharField(max_length=32, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task", "index"]
        constraints = [
            models.UniqueConstraint(fields=["task", "index"], name="thread_part_unique_index"),
            models.UniqueConstraint(
                fields=["post_id"], condition=~Q(post_id=""), name="thread_part_post_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} part {self.index + 1}: {self.post_id or 'not posted'}"


class GeminiStatus(models.Model):
    """Whether Gemini is failing (one row): written by publishing.services.generation,
    read through publishing.selectors.gemini_outage_state() (monitoring alerts on it)."""

    outage_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed call since the last success."
    )
    failures = models.PositiveIntegerField(default=0, help_text="Failed calls since then.")
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Gemini status"
        verbose_name_plural = "Gemini status"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="gemini_status_singleton"),
        ]

    def __str__(self) -> str:
        return f"outage since {self.outage_since:%Y-%m-%d %H:%M}" if self.outage_since else "ok"
