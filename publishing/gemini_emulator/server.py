"""HTTP/1.1 keep-alive transport (stdlib http.server), like publishing.xsandbox's."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import replies
from .replies import Reply
from .state import Incoming, State

MAX_BODY_BYTES = 4 * 1024 * 1024


class GeminiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: google-genai reuses one httpx client
    disable_nagle_algorithm = True  # small answers must not wait for delayed ACKs
    server_version = "gemini-emulator"
    sys_version = ""
    server: GeminiServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: tests send many requests."""

    def _serve(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would corrupt the next request
            return self._send(replies.invalid_argument("Bad or oversized request body."))
        target = urlsplit(self.path)
        request = Incoming(
            method=self.command,
            path=target.path,
            query=dict(parse_qsl(target.query)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(int(length)),
            client_ip=self.client_address[0],
        )
        try:
            reply = self.server.state.handle(request)
        except Exception:  # answer like Google's own 500s rather than hang up
            traceback.print_exc(file=sys.stderr)
            reply = replies.internal()
        if reply.delay and self.server.stopping.wait(reply.delay):
            self.close_connection = True  # stopped while holding the answer back
            return None
        return self._send(reply)

    def _send(self, reply: Reply) -> None:
        payload = json.dumps(reply.body, ensure_ascii=False).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up first (the "timeout" mode)
            self.close_connection = True


class GeminiServer(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections would make server_close() wait forever.
    block_on_close = False

    def __init__(self, address: tuple[str, int], state: State):
        self.state = state
        self.stopping = threading.Event()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, GeminiHandler)

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
        """Cut keep-alive connections and wake held answers, so a stopped emulator is gone."""
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
