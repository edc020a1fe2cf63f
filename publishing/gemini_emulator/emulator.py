"""GeminiEmulator: the emulator served on a loopback port from a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from publishing.loopback import LoopbackService, serve_until_stopped

from .server import GeminiServer
from .state import DEFAULT_API_KEY, DEFAULT_MODE, Config, State


class GeminiEmulator(LoopbackService):
    """A Gemini API emulator: `generateContent` for google-genai, switches for faults.

    `api_key=None` accepts any key. `configure(mode="quota")` switches for good;
    `configure(mode="garbage", count=2)` for the next two requests only.
    """

    thread_name = "gemini-emulator"
    noun = "emulator"

    def __init__(self, *, api_key: str | None = DEFAULT_API_KEY, mode: str = DEFAULT_MODE):
        self.state = State(Config(mode=mode, api_key=api_key))

    def _make_server(self, address: tuple[str, int]) -> GeminiServer:
        return GeminiServer(address, self.state)

    @property
    def api_key(self) -> str | None:
        return self.state.config.api_key

    def configure(self, **changes: Any) -> Config:
        """mode, count, api_key, style (garbage), delay_seconds (timeout)."""
        return self.state.configure(**changes)

    def requests(self) -> list[dict[str, object]]:
        """Every generateContent request, oldest first: model, prompt, mode, status..."""
        return self.state.requests()

    def reset(self) -> None:
        self.state.reset()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8766,
    *,
    on_ready: Callable[[GeminiEmulator], None] | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> None:
    """Serve until `stop` is set, or SIGINT/SIGTERM arrives (when run in the main thread)."""
    serve_until_stopped(GeminiEmulator(**options), host, port, on_ready=on_ready, stop=stop)
