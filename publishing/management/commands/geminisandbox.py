"""manage.py geminisandbox: serve the Gemini API emulator until SIGINT or SIGTERM."""

from django.core.management.base import BaseCommand, CommandError

from publishing.gemini_emulator import (
    DEFAULT_API_KEY,
    DEFAULT_MODE,
    MODES,
    GeminiEmulator,
    is_loopback,
    serve_forever,
)


class Command(BaseCommand):
    help = (
        "Serve the Gemini API emulator (publishing/gemini_emulator): generateContent as "
        "google-genai calls it, answering with a post made from the prompt, or with the "
        "failures a --mode picks. Point GEMINI_API_BASE_URL at the printed URL. Test and "
        "demo infrastructure: its control API under /_gemini/ has no authentication, so "
        "it binds to loopback only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument(
            "--port", type=int, default=8766, help="port to bind (8766; 0 picks a free one)"
        )
        parser.add_argument(
            "--api-key",
            default=DEFAULT_API_KEY,
            help=f"the key requests must carry ({DEFAULT_API_KEY}); '' accepts any key",
        )
        parser.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help="how to answer")

    def handle(self, *args, **options):
        host = options["host"]
        if not is_loopback(host):
            raise CommandError(f"refusing to bind {host}: the emulator is for tests and demos")
        serve_forever(
            host,
            options["port"],
            api_key=options["api_key"] or None,
            mode=options["mode"],
            on_ready=self._announce,
        )

    def _announce(self, emulator: GeminiEmulator) -> None:
        key = emulator.api_key or "any key"
        self.stdout.write(
            f"Gemini emulator serving {emulator.base_url} (key: {key}). Use "
            f"GEMINI_API_BASE_URL={emulator.base_url} GEMINI_API_KEY={emulator.api_key or 'x'}"
        )
        self.stdout.flush()
