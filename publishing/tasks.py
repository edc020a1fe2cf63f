"""django-q2 entry points: thin wrappers that call one service each."""

from publishing.services.dispatch import dispatch_once


def dispatch_due() -> dict:
    """Run by the `publishing.dispatch` schedule (see services.schedules)."""
    report = dispatch_once()
    return {k: v for k, v in report.as_dict().items() if k != "results"}
