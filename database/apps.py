from django.apps import AppConfig


class DatabaseConfig(AppConfig):
    name = "database"
    verbose_name = "Database care and backups"

    def ready(self) -> None:
        from database import checks  # noqa: F401 (registers the check)
