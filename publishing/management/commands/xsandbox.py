"""manage.py xsandbox: serve the X API emulator until SIGINT or SIGTERM."""

from django.core.management.base import BaseCommand, CommandError

from publishing.xsandbox import DEMO_ACCOUNT, XSandbox, is_loopback, serve_forever


class Command(BaseCommand):
    help = (
        "Serve the X API emulator (docs/xsandbox.md): X's v2 endpoints for posts, media "
        "upload, users and usage, with OAuth 1.0a, rate limits and fault injection. Point "
        "X_API_BASE_URL at the printed URL. Test and demo infrastructure: its control API "
        "under /_sandbox/ has no authentication, so it binds to loopback only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument(
            "--port", type=int, default=8765, help="port to bind (8765; 0 picks a free one)"
        )
        parser.add_argument(
            "--state",
            metavar="PATH",
            help="SQLite file that keeps posts, media, accounts and rate counters across "
            "restarts (default: in memory)",
        )
        parser.add_argument(
            "--time-scale",
            type=float,
            default=1.0,
            metavar="F",
            help="speed up emulated time: 60 makes a 15-minute rate window last 15 s",
        )
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="allow binding a non-loopback address (the control API stays loopback-only)",
        )

    def handle(self, *args, **options):
        host = options["host"]
        if not options["allow_remote"] and not is_loopback(host):
            raise CommandError(
                f"refusing to bind {host}: the emulator is for tests and demos; "
                "pass --allow-remote to expose it"
            )
        if options["time_scale"] <= 0:
            raise CommandError("--time-scale must be positive")
        serve_forever(
            host,
            options["port"],
            options["state"],
            on_ready=self._announce,
            time_scale=options["time_scale"],
        )

    def _announce(self, sandbox: XSandbox) -> None:
        self.stdout.write(
            f"xsandbox serving {sandbox.base_url} - demo account @{DEMO_ACCOUNT.username} "
            f"(user {DEMO_ACCOUNT.user_id}, consumer key {DEMO_ACCOUNT.consumer_key}); "
            "stop with Ctrl-C or SIGTERM"
        )
        self.stdout.flush()
