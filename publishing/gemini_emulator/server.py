"""HTTP/1.1 keep-alive transport (stdlib http.server), like publishing.xsandbox's."""

from __future__ import annotations

import json
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from publishing.loopback import LoopbackHTTPServer

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


class GeminiServer(LoopbackHTTPServer):
    def __init__(self, address: tuple[str, int], state: State):
        self.state = state
        self.stopping = threading.Event()
        super().__init__(address, GeminiHandler)

    def close_connections(self) -> None:
        """Also wake answers held back by the timeout mode."""
        self.stopping.set()
        super().close_connections()
