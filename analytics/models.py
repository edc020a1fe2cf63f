from django.db import models

from projects.models import Project


class AnalyticsHourly(models.Model):
    """Per-project hourly rollup of publishing outcomes and engagement."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="hourly_stats")
    hour = models.DateTimeField(help_text="Start of the hour, UTC.")
    posts_published = models.PositiveIntegerField(default=0)
    posts_failed = models.PositiveIntegerField(default=0)
    impressions = models.PositiveBigIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-hour"]
        verbose_name_plural = "Analytics (hourly)"
        constraints = [
            models.UniqueConstraint(fields=["project", "hour"], name="analytics_hourly_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.hour:%Y-%m-%d %H}:00"
