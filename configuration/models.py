from django.conf import settings
from django.db import models


class ConfigVersion(models.Model):
    """One stored version of the runtime configuration. Versions are never edited:
    a change or a rollback adds a version, and the highest number is the one in force."""

    number = models.PositiveIntegerField(unique=True)
    # The whole validated document (every section, defaults filled in), so a version
    # means the same thing whatever the settings are later.
    data = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who, in words: a username, or the shell user of a manage.py command. Kept even
    # when the user row is deleted.
    author_name = models.CharField(max_length=150)
    created = models.DateTimeField(auto_now_add=True)
    comment = models.CharField(max_length=500, blank=True)
    # [{"path": "publishing.max_concurrent_tasks", "old": 4, "new": 8}, ...] against the
    # version before (the defaults from Django settings for the first).
    diff = models.JSONField(default=list, blank=True)
    rollback_of = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version this one restored, for a rollback."
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = "configuration version"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="config_version_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"version {self.number}"
