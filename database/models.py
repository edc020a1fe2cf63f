from django.db import models
from django.db.models import Q


class Backup(models.Model):
    """One backup file: checksummed, verified by a restore into a scratch database.

    The manifest written next to the file holds the same facts, so backups taken after
    the one being restored are found again (database.services.backups.backups_index)."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        SCHEDULED = "scheduled", "Scheduled"
        SAFETY = "safety", "Before a restore or reset"

    class Engine(models.TextChoices):
        SQLITE = "sqlite", "SQLite"
        POSTGRESQL = "postgresql", "PostgreSQL"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    engine = models.CharField(max_length=10, choices=Engine.choices)
    path = models.CharField(max_length=1024)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    row_counts = models.JSONField(default=dict, help_text="Rows per table in the backup.")
    verified = models.BooleanField(default=False)
    verify_error = models.TextField(blank=True)
    duration_seconds = models.FloatField(default=0.0)
    taken_at = models.DateTimeField(help_text="The moment the backup's snapshot shows.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified=False) | Q(verify_error=""),
                name="backup_verified_has_no_error",
            ),
        ]
        indexes = [
            # Retention walks scheduled backups newest first.
            models.Index(fields=["kind", "-taken_at"], name="backup_kind_recent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())
