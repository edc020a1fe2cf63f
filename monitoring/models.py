from django.db import models


class PerformanceMetric(models.Model):
    """One sampled value (issue [5 of 5] fills this from a django-q2 schedule)."""

    timestamp = models.DateTimeField(db_index=True)
    name = models.CharField(max_length=100)
    value = models.FloatField()
    labels = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-timestamp"]
        indexes = [models.Index(fields=["name", "-timestamp"], name="metric_name_time")]

    def __str__(self) -> str:
        return f"{self.name}={self.value} @ {self.timestamp:%Y-%m-%d %H:%M}"
