from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using="default", **kwargs) -> None:
    # After every app's migrations: permissions an app adds later reach the roles
    # (Admin holds all of them) without a data migration of its own.
    from security.roles import roles_sync

    roles_sync(using=using)


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security: secrets, keys and roles"

    def ready(self) -> None:
        from security import signals  # noqa: F401 (connects the receivers)
        from security.api import schema  # noqa: F401 (registers the API key scheme)

        post_migrate.connect(_sync_roles, dispatch_uid="security_sync_roles")
        _guard_the_queue()


def _guard_the_queue() -> None:
    # django-q2 runs whatever function a Schedule names: allowlist it, superusers only.
    from django.db.models.signals import pre_save

    from security.queue_admin import queue_admin_install
    from security.queue_allowlist import schedule_guard

    pre_save.connect(schedule_guard, sender="django_q.Schedule", dispatch_uid="q_allowlist")
    queue_admin_install()
