"""django-q2 entry points: thin wrappers that call one service each."""

from publishing.services.dispatch import Stop, dispatch_loop

# The schedule starts a loop every minute and each runs 90 s, so consecutive loops
# overlap and django-q2's coarse (~30 s) scheduler tick never leaves a gap.
LOOP_SECONDS = 90


def dispatch_due() -> dict:
    """Run by the `publishing.dispatch` schedule (see services.schedules).

    django-q2 lets a worker finish its task before the cluster stops, so without this
    a stop would wait out the loop. SIGINT (Ctrl-C reaches the whole process group) or
    SIGTERM sent to the worker ends the loop after the posts in flight are recorded."""
    with Stop.on_signals() as stop:
        report = dispatch_loop(seconds=LOOP_SECONDS, stop=stop)
    return {k: v for k, v in report.as_dict().items() if k != "results"}
