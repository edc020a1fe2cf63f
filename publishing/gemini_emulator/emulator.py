"""GeminiEmulator: the emulator served on a loopback port from a daemon thread."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from .server import GeminiServer
from .state import DEFAULT_API_KEY, DEFAULT_MODE, Config, State


class GeminiEmulator:
    """A Gemini API emulator: `generateContent` for google-genai, switches for faults.

    `api_key=None` accepts any key. `configure(mode="quota")` switches for good;
    `configure(mode="garbage", count=2)` for the next two requests only.
    """

    def __init__(self, *, api_key: str | None = DEFAULT_API_KEY, mode: str = DEFAULT_MODE):
        self.state = State(Config(mode=mode, api_key=api_key))
        self._server: GeminiServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> GeminiEmulator:
        if self._server is not None:
            raise RuntimeError("this GeminiEmulator is already serving")
        self._server = GeminiServer((host, port), self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # bounds how long stop() waits
            name=f"gemini-emulator:{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the emulator first")
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def api_key(self) -> str | None:
        return self.state.config.api_key

    def stop(self) -> None:
        """Stop serving and cut open connections, held "timeout" answers included."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            self._thread.join()

    def __enter__(self) -> GeminiEmulator:
        return self if self._server else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

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
    stop = stop or threading.Event()
    with GeminiEmulator(**options).start(host, port) as emulator:
        restore = _stop_on_signals(stop)
        try:
            if on_ready is not None:
                on_ready(emulator)
            while not stop.wait(0.5):
                pass
        finally:
            restore()


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in signals}
    return lambda: [signal.signal(number, handler) for number, handler in previous.items()]
