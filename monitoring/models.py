from django.db import models
from django.db.models import Q

from publishing.xclient import ErrorClass
from security.fields import EncryptedTextField


class PerformanceMetric(models.Model):
    """One value of a named series. The worker samples raw values every minute; rollups
    keep hourly and daily means (with min, max and sample count) after the raw rows
    expire, so the table stays near 200,000 rows however old the installation is."""

    class Resolution(models.TextChoices):
        RAW = "raw", "Raw (one sample)"
        HOUR = "hour", "Hourly"
        DAY = "day", "Daily"

    timestamp = models.DateTimeField(help_text="Sample time, or the start of the hour/day.")
    name = models.CharField(max_length=100)
    resolution = models.CharField(max_length=4, choices=Resolution.choices, default="raw")
    value = models.FloatField(help_text="The sample, or the mean of the period.")
    value_min = models.FloatField(null=True, blank=True)
    value_max = models.FloatField(null=True, blank=True)
    samples = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-timestamp"]
        constraints = [
            # Rollups are idempotent: a second run inserts nothing (ignore_conflicts).
            models.UniqueConstraint(
                fields=["name", "resolution", "timestamp"],
                condition=~Q(resolution="raw"),
                name="metric_rollup_unique",
            ),
        ]
        indexes = [
            # Alert rules and charts: one series, newest first.
            models.Index(fields=["name", "resolution", "-timestamp"], name="metric_series"),
            # Rollup and retention sweeps: everything of a resolution before a time.
            models.Index(fields=["resolution", "timestamp"], name="metric_retention"),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value:g} @ {self.timestamp:%Y-%m-%d %H:%M} ({self.resolution})"


class WorkerHeartbeat(models.Model):
    """Written by the worker's minute task, one row per machine: readiness fails when
    every beat is stale."""

    host = models.CharField(max_length=255, unique=True)
    pid = models.PositiveIntegerField()
    beat_at = models.DateTimeField()
    # The machine's CPU and network counters at the last sampling pass, for rates.
    counters = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.host} @ {self.beat_at:%H:%M:%S}"


class NotificationChannel(models.Model):
    """Where alert notifications go. The target is encrypted at rest: a webhook URL
    (Slack's included) carries its own secret."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook (JSON, Slack-compatible)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = EncryptedTextField(help_text="Email: addresses, comma-separated. Webhook: the URL.")
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class AlertRule(models.Model):
    """A condition watched every minute. Threshold: `metric operator value` held for
    `duration_minutes`. Trend: the mean of the last `duration_minutes` at least `value`
    times the mean of the `baseline_minutes` before (and at least `floor`). Composite:
    its children's conditions combined with AND/OR. Built-in: a named check of the
    system's own state (an account paused for auth, a Gemini outage, a login burst)."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", "Threshold"
        TREND = "trend", "Trend"
        COMPOSITE = "composite", "Composite"
        BUILTIN = "builtin", "Built-in"

    class Operator(models.TextChoices):
        GT = "gt", ">"
        GTE = "gte", "≥"
        LT = "lt", "<"
        LTE = "lte", "≤"

    class Combine(models.TextChoices):
        AND = "and", "All of"
        OR = "or", "Any of"

    class Check(models.TextChoices):
        X_AUTH_PAUSED = "x_auth_paused", "X account paused: credentials refused"
        GEMINI_OUTAGE = "gemini_outage", "Gemini outage"
        SECURITY_BURST = "security_burst", "Burst of failed logins / refused API keys"

    class Severity(models.TextChoices):
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default="warning")
    metric = models.CharField(max_length=100, blank=True, help_text="Threshold and trend.")
    operator = models.CharField(max_length=3, choices=Operator.choices, blank=True)
    value = models.FloatField(null=True, blank=True, help_text="Threshold; trend: the ratio.")
    duration_minutes = models.PositiveIntegerField(
        default=0, help_text="Threshold: how long it must hold. Trend: the recent window."
    )
    baseline_minutes = models.PositiveIntegerField(default=1440, help_text="Trend only.")
    floor = models.FloatField(
        default=0.0, help_text="Trend: the recent mean must also reach this (no alert on 0→1)."
    )
    combine = models.CharField(max_length=3, choices=Combine.choices, blank=True)
    children = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="parents", help_text="Composite."
    )
    check_name = models.CharField(max_length=20, choices=Check.choices, blank=True)
    cooldown_minutes = models.PositiveIntegerField(
        default=30, help_text="No second notification for the same subject within this time."
    )
    channels = models.ManyToManyField(
        NotificationChannel, blank=True, help_text="Empty: every enabled channel."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="threshold")
                | (~Q(metric="") & ~Q(operator="") & Q(value__isnull=False)),
                name="alert_rule_threshold_complete",
                violation_error_message="A threshold rule needs a metric, an operator and a value.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="trend") | (~Q(metric="") & Q(value__gt=0)),
                name="alert_rule_trend_complete",
                violation_error_message="A trend rule needs a metric and a ratio (value) above 0.",
            ),
            models.CheckConstraint(
                condition=~Q(kind="composite") | ~Q(combine=""),
                name="alert_rule_composite_complete",
                violation_error_message="A composite rule needs AND or OR (combine).",
            ),
            models.CheckConstraint(
                condition=~Q(kind="builtin") | ~Q(check_name=""),
                name="alert_rule_builtin_complete",
                violation_error_message="A built-in rule needs a check.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One episode of a rule firing for one subject (an account, or "" for the whole
    system), from the first evaluation that saw it to the one that saw it clear."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default="firing")
    message = models.TextField()
    value = models.FloatField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # False when the cool-down swallowed the episode: its resolution is not sent either.
    notified = models.BooleanField(default=True)
    # Someone is on it (set over the API or in the admin); the alert still resolves only
    # when its condition clears or it is resolved by hand.
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # De-duplication: one open episode per rule and subject.
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=Q(status="firing"),
                name="alert_one_firing_per_subject",
            ),
        ]
        indexes = [
            # The evaluator's "what is firing now" and the dashboard.
            models.Index(fields=["rule"], condition=Q(status="firing"), name="alert_firing"),
        ]

    def __str__(self) -> str:
        subject = f" {self.subject}" if self.subject else ""
        return f"{self.rule}{subject}: {self.status}"


class Notification(models.Model):
    """One message about one alert to one channel; retried with backoff until sent or
    out of attempts, so a failed delivery is visible instead of lost."""

    class Event(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=10, choices=Event.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "channel", "event"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            # The sender's sweep of deliveries that are due.
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert} → {self.channel}: {self.status}"


class ErrorGroup(models.Model):
    """Publishing failures of one error class, counted from publishing's logs; an
    operator acknowledges or resolves the group, and a new failure re-opens it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    error_class = models.CharField(max_length=20, choices=ErrorClass.choices, unique=True)
    status = models.CharField(max_length=15, choices=Status.choices, default="open")
    count = models.PositiveIntegerField(default=0, help_text="Failures since monitoring began.")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_log_id = models.BigIntegerField(default=0, help_text="Highest PublishingLog id counted.")
    examples = models.JSONField(default=list, blank=True, help_text="The most recent few.")
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.get_error_class_display()} ({self.count})"


class Overview(WorkerHeartbeat):
    """No table of its own: the admin's "Overview" page (health, alerts, costs) hangs
    off this proxy so it sits in the Monitoring section with the rest."""

    class Meta:
        proxy = True
        verbose_name = "overview"
        verbose_name_plural = "overview"
