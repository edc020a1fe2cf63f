"""The HTTP server both loopback emulators (X and Gemini) run on: threaded, quick to
bind offline, and able to stop at once with keep-alive connections still open; and
the serving thread, lifecycle and signal handling they share."""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any, Self


def is_loopback(host: str) -> bool:
    """Whether a host name or address (IPv6 in brackets too) is this machine's loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections would make server_close() wait forever.
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(): a reverse DNS lookup, slow offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            traceback.print_exc(file=sys.stderr)

    def close_connections(self) -> None:
        """Cut keep-alive connections so a stopped emulator stops answering at once."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class LoopbackService:
    """An emulator served on a loopback port from a daemon thread. Subclasses say which
    server to run (`_make_server`) and what to close after it stops (`_close`)."""

    thread_name = "loopback"
    noun = "service"  # in the error for a base_url asked before start()
    _server: LoopbackHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _make_server(self, address: tuple[str, int]) -> LoopbackHTTPServer:
        raise NotImplementedError

    def _close(self) -> None:
        """Release what outlives the server (a state file); called by every stop()."""

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        if self._server is not None:
            raise RuntimeError(f"this {type(self).__name__} is already serving")
        self._server = self._make_server((host, port))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # bounds how long stop() waits
            name=f"{self.thread_name}:{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"start() the {self.noun} first")
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and cut open connections, held slow answers included."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            self._thread.join()
        self._close()

    def __enter__(self) -> Self:
        return self if self._server else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_until_stopped(
    service: LoopbackService,
    host: str,
    port: int,
    *,
    on_ready: Callable[[Any], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until `stop` is set, or SIGINT/SIGTERM arrives (when run in the main thread)."""
    stop = stop or threading.Event()
    with service.start(host, port):
        restore = _stop_on_signals(stop)
        try:
            if on_ready is not None:
                on_ready(service)
            while not stop.wait(0.5):
                pass
        finally:
            restore()


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    # Not dispatch's Stop.on_signals: the emulators run without Django's ORM loaded.
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in signals}
    return lambda: [signal.signal(number, handler) for number, handler in previous.items()]
