"""Transport-neutral request and reply: the HTTP layer builds one, the API answers the other."""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from .problems import PROBLEM_JSON, ApiError, invalid_request

if TYPE_CHECKING:
    from .accounts import Account
    from .config import SandboxConfig
    from .emulator import Emulator
    from .faults import FaultPlan
    from .store import Store

JSON = "application/json; charset=utf-8"


class Headers(dict):
    """HTTP headers keyed by lower-cased name, so lookups ignore case."""

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    host: str = "127.0.0.1"
    client_ip: str = "127.0.0.1"
    path_params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_target(cls, method: str, target: str, **kwargs) -> Request:
        path, _, query = target.partition("?")
        return cls(method=method.upper(), path=path, query=query, **kwargs)

    @cached_property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self) -> dict:
        try:
            value = json.loads(self.body or b"null")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise invalid_request(f"Request body is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise invalid_request("Request body must be a JSON object")
        return value

    def form_params(self) -> list[tuple[str, str]]:
        """Body parameters that take part in an OAuth 1.0a signature (RFC 5849 3.4.1.3.1)."""
        if self.content_type != "application/x-www-form-urlencoded":
            return []
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def fields(self) -> dict[str, object]:
        """Fields of a JSON or multipart/form-data body; binary parts stay bytes."""
        if self.content_type == "multipart/form-data":
            return _multipart_fields(self.headers.get("Content-Type", ""), self.body)
        return self.json()


def _multipart_fields(content_type: str, body: bytes) -> dict[str, object]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, object] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = payload if part.get_filename() or name == "media" else payload.decode()
    return fields


def decode_media(value: object) -> bytes:
    """Media arrives base64-encoded in JSON bodies and as raw bytes in multipart ones."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise invalid_request("media must be a base64-encoded string", parameter="media")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise invalid_request("media is not valid base64", parameter="media") from None


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON
    drop: bool = False
    accepted: bool = True

    @classmethod
    def from_error(cls, error: ApiError) -> Reply:
        return cls(error.status, error.body, dict(error.headers), PROBLEM_JSON)

    @classmethod
    def dropped(cls, *, accepted: bool) -> Reply:
        return cls(status=0, drop=True, accepted=accepted)

    @property
    def outcome(self) -> str:
        if self.drop:
            return "accepted_then_dropped" if self.accepted else "dropped"
        return str(self.status)

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Call:
    """One authenticated API call, as an endpoint handler sees it (the emulator lock is held)."""

    emulator: Emulator
    request: Request
    account: Account
    now: float
    plan: FaultPlan

    @property
    def store(self) -> Store:
        return self.emulator.store

    @property
    def config(self) -> SandboxConfig:
        return self.emulator.config

    @property
    def params(self) -> dict[str, str]:
        return self.request.params
