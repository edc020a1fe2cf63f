"""django-q2 entry points: thin wrappers that call one service each."""

from publishing.services.dispatch import dispatch_loop

# The schedule starts a loop every minute and each runs 90 s, so consecutive loops
# overlap and django-q2's coarse (~30 s) scheduler tick never leaves a gap.
LOOP_SECONDS = 90


def dispatch_due() -> dict:
    """Run by the `publishing.dispatch` schedule (see services.schedules)."""
    report = dispatch_loop(seconds=LOOP_SECONDS)
    return {k: v for k, v in report.as_dict().items() if k != "results"}
