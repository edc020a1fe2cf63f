"""HTTP/1.1 keep-alive transport for the emulator (stdlib http.server)."""

from __future__ import annotations

import email.utils
import functools
import sys
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

from publishing.loopback import LoopbackHTTPServer

from .emulator import Emulator
from .messages import Headers, Reply, Request
from .problems import ApiError, invalid_request, payload_too_large, server_error
from .records import MIB

# A 5 MiB segment is about 7 MiB once base64-encoded; anything far larger is refused unread.
MAX_BODY_BYTES = 16 * MIB
MAX_LINE = 65_536
MAX_HEADERS = 100


class BadRequest(Exception):
    """The request line or headers cannot be parsed; the connection is closed."""


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: xdk reuses one requests.Session
    disable_nagle_algorithm = True  # small answers must not wait for delayed ACKs
    server_version = "xsandbox"
    sys_version = ""
    server: SandboxServer

    def handle_one_request(self) -> None:
        # Replaces BaseHTTPRequestHandler's parsing, whose email-based header parser costs
        # more than the whole emulator pipeline.
        line = self.rfile.readline(MAX_LINE + 1)
        if not line:
            self.close_connection = True
            return
        try:
            self._parse(line)
        except (BadRequest, UnicodeDecodeError, ValueError):
            self.close_connection = True
            self._send(Reply.from_error(invalid_request("Malformed HTTP request")))
            return
        self._serve()

    def _parse(self, line: bytes) -> None:
        parts = line.decode("latin-1").split()
        if len(line) > MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest
        self.command, self.path, self.request_version = parts
        self.headers = self._read_headers()
        connection = (self.headers.get("Connection") or "").lower()
        http10 = self.request_version == "HTTP/1.0"
        self.close_connection = connection == "close" or (http10 and connection != "keep-alive")

    def _read_headers(self) -> Headers:
        headers = Headers()
        for _ in range(MAX_HEADERS):
            line = self.rfile.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                return headers
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon or len(line) > MAX_LINE:
                raise BadRequest
            headers[name.strip().lower()] = value.strip()
        raise BadRequest

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a benchmark sends thousands of requests."""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ApiError as error:
            self.close_connection = True  # the unread body would corrupt the next request
            return self._send(Reply.from_error(error))
        try:
            reply = self.server.emulator.handle(self._request(body))
        except Exception:  # answer like X's own 500s rather than hang up
            traceback.print_exc(file=sys.stderr)
            reply = Reply.from_error(server_error(500))
        if reply.drop:
            self.close_connection = True  # no answer at all: the client sees a dead socket
            return None
        return self._send(reply)

    def _request(self, body: bytes) -> Request:
        return Request.from_target(
            self.command,
            self.path,
            headers=self.headers,
            body=body,
            host=self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2]),
            client_ip=self.client_address[0],
        )

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise invalid_request("Send a Content-Length; chunked bodies are not supported")
        raw_length = self.headers.get("Content-Length") or "0"
        if not raw_length.isdigit():
            raise invalid_request(f"Bad Content-Length {raw_length!r}")
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            raise payload_too_large(f"The request body exceeds {MAX_BODY_BYTES} bytes")
        if (self.headers.get("Expect") or "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for it
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        payload = reply.payload()
        lines = [
            f"HTTP/1.1 {reply.status} {_reason(reply.status)}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(payload)}",
            f"Date: {_http_date(int(time.time()))}",
            *(f"{name}: {value}" for name, value in reply.headers.items()),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + payload)  # one write: one packet for small answers
        except OSError:  # the client gave up first (timeout faults)
            self.close_connection = True


@functools.lru_cache(maxsize=4)
def _http_date(second: int) -> str:
    return email.utils.formatdate(second, usegmt=True)


@functools.lru_cache(maxsize=64)
def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class SandboxServer(LoopbackHTTPServer):
    def __init__(self, address: tuple[str, int], emulator: Emulator):
        self.emulator = emulator
        super().__init__(address, SandboxHandler)
