"""Start-up check: the project's own schedules name functions the allowlist accepts
(a Q_FUNC_ALLOWLIST edited too far would otherwise stop them at their next save)."""

from django.core.checks import Error, register

from database.services.schedules import BACKUP_FUNC
from security.queue_allowlist import func_is_allowed

OWN_FUNCS = ("publishing.tasks.dispatch_due", BACKUP_FUNC)


@register()
def schedules_allowlisted(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(
            f"Q_FUNC_ALLOWLIST refuses {func}, which a schedule of this project runs.",
            hint="Keep the app's tasks module in Q_FUNC_ALLOWLIST, e.g. 'database.tasks.*'.",
            id="database.E001",
        )
        for func in OWN_FUNCS
        if not func_is_allowed(func)
    ]
