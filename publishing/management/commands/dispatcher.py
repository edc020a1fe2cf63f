from django.core.management.base import BaseCommand

from publishing.services.dispatch import Stop, dispatch_loop


class Command(BaseCommand):
    help = (
        "Run the dispatcher loop in this process until SIGTERM or Ctrl-C: publishes each "
        "task within about a second of its time. `qcluster` runs the same loop from the "
        "`publishing.dispatch` schedule; use this command for a dedicated dispatcher process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, help="Stop after this long (default: never).")

    def handle(self, *args, seconds=None, **options):
        # Finish the posts in flight: their ids must be recorded before exiting.
        with Stop.on_signals() as stop:
            self.stderr.write(
                "dispatcher started; SIGTERM or Ctrl-C stops it after the posts in flight"
            )
            self.stderr.flush()
            report = dispatch_loop(seconds=seconds, stop=stop)
        self.stdout.write(
            f"dispatcher stopped: {report.published} published, {report.retrying} retrying, "
            f"{report.unknown} unknown, {report.failed} failed"
        )
