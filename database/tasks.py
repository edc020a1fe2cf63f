"""django-q2 entry points: thin wrappers that call one service each."""

from database.services.retention import backup_scheduled


def backup_daily() -> dict:
    """Run by the `database.backup` schedule (see services.schedules)."""
    return backup_scheduled()
