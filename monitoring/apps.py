from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_defaults(sender, using="default", **kwargs) -> None:
    # After migrate and after flush (`db init --force-reset`): the schedules and the
    # seed's rules must not vanish with the rows the data migration wrote.
    from monitoring.services.defaults import defaults_ensure

    defaults_ensure(using=using)


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from monitoring import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_ensure_defaults, sender=self, dispatch_uid="monitoring_defaults")
