"""The emulator's state and routing: switches (mode, key, garbage style), the request
log, and the answer to each request. No sockets here (server.py)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass, fields, replace

from publishing.loopback import is_loopback

from . import replies
from .replies import Reply
from .writer import GARBAGE_STYLES, Brief, compose, garbage, too_long

MODES = ("echo-compose", "garbage", "too_long", "quota", "timeout", "error")
DEFAULT_MODE = "echo-compose"
DEFAULT_API_KEY = "test-gemini-key"
# google-genai 3.6.1 sends v1 (its default); GOOGLE_GENAI_API_VERSION may pick another.
_GENERATE = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")
_MODEL = re.compile(r"^gemini-[\w.-]+$")
# Without the SDK's X-Server-Timeout header, "timeout" holds an answer back this long.
_DEFAULT_DELAY = 30.0


@dataclass(frozen=True)
class Config:
    """`mode` answers every request, except the next `next_count` ones, which get
    `next_mode`. `api_key` None accepts any key; `style` None rotates GARBAGE_STYLES;
    `delay_seconds` None holds a "timeout" answer one second past the client's timeout."""

    mode: str = DEFAULT_MODE
    api_key: str | None = DEFAULT_API_KEY
    style: str | None = None
    delay_seconds: float | None = None
    next_mode: str | None = None
    next_count: int = 0

    def checked(self) -> Config:
        for mode in (self.mode, self.next_mode):
            if mode is not None and mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if self.style is not None and self.style not in GARBAGE_STYLES:
            raise ValueError(f"unknown style {self.style!r}; expected one of {GARBAGE_STYLES}")
        if self.next_count < 0:
            raise ValueError("count must not be negative")
        return self


@dataclass(frozen=True)
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    client_ip: str


class State:
    def __init__(self, config: Config) -> None:
        self.lock = threading.Lock()
        self.initial = config.checked()
        self.config = self.initial
        self.log: list[dict[str, object]] = []
        self._garbage_turn = 0

    # switches

    def configure(
        self, *, mode: str | None = None, count: int | None = None, **changes: object
    ) -> Config:
        """`mode` alone switches for good; with `count`, for the next `count` requests."""
        known = {f.name for f in fields(Config)} - {"mode", "next_mode", "next_count"}
        if unknown := set(changes) - known:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        if mode is not None and count is not None:
            changes.update(next_mode=mode, next_count=int(count))
        elif mode is not None:
            changes.update(mode=mode, next_mode=None, next_count=0)
        with self.lock:
            self.config = replace(self.config, **changes).checked()
            return self.config

    def reset(self) -> None:
        with self.lock:
            self.config, self.log, self._garbage_turn = self.initial, [], 0

    def requests(self) -> list[dict[str, object]]:
        with self.lock:
            return [dict(entry) for entry in self.log]

    def _take_mode(self) -> str:
        with self.lock:
            config = self.config
            if config.next_mode is None or config.next_count == 0:
                return config.mode
            left = config.next_count - 1
            self.config = replace(
                config, next_count=left, next_mode=config.next_mode if left else None
            )
            return config.next_mode

    # answers

    def handle(self, request: Incoming) -> Reply:
        if request.path.startswith("/_gemini"):
            return self._control(request)
        match = _GENERATE.match(request.path)
        if match is None or request.method != "POST":
            return replies.not_found(request.path)
        entry: dict[str, object] = {"api_version": match.group(1), "model": match.group(2)}
        reply = self._generate(request, entry)
        entry["status"] = reply.status
        with self.lock:
            self.log.append(entry)
        return reply

    def _generate(self, request: Incoming, entry: dict[str, object]) -> Reply:
        key = request.headers.get("x-goog-api-key") or request.query.get("key", "")
        entry["key_source"] = "header" if "x-goog-api-key" in request.headers else "query"
        if not key:
            return replies.api_key_missing()
        if self.config.api_key is not None and key != self.config.api_key:
            return replies.api_key_invalid()
        try:
            prompt, generation = _parse_body(request.body)
        except ValueError as error:
            return replies.invalid_argument(str(error))
        entry.update(prompt=prompt, generation_config=generation)
        model = str(entry["model"])
        if not _MODEL.match(model):
            return replies.model_not_found(model, str(entry["api_version"]))
        entry["mode"] = mode = self._take_mode()
        return self._answer(mode, prompt, model, generation, request)

    def _answer(
        self, mode: str, prompt: str, model: str, generation: dict, request: Incoming
    ) -> Reply:
        if mode == "quota":
            return replies.quota_exhausted(model)
        if mode == "error":
            return replies.internal()
        brief = Brief.from_prompt(prompt)
        text = {
            "echo-compose": compose,
            "too_long": too_long,
            "timeout": compose,
            "garbage": lambda brief: garbage(brief, prompt, self._garbage_style()),
        }[mode](brief)
        reply = replies.generated(
            text, prompt=prompt, model=model, max_tokens=generation.get("maxOutputTokens")
        )
        if mode == "timeout":
            return replace(reply, delay=self._delay(request))
        return reply

    def _garbage_style(self) -> str:
        with self.lock:
            if self.config.style is not None:
                return self.config.style
            self._garbage_turn += 1
            return GARBAGE_STYLES[(self._garbage_turn - 1) % len(GARBAGE_STYLES)]

    def _delay(self, request: Incoming) -> float:
        if self.config.delay_seconds is not None:
            return self.config.delay_seconds
        client_timeout = request.headers.get("x-server-timeout", "")
        return float(client_timeout) + 1 if client_timeout.isdigit() else _DEFAULT_DELAY

    # control API

    def _control(self, request: Incoming) -> Reply:
        if not is_loopback(request.client_ip):
            return Reply(403, {"error": "the control API answers loopback clients only"})
        route = (request.method, request.path.rstrip("/"))
        try:
            if route == ("GET", "/_gemini/requests"):
                log = self.requests()
                return Reply(200, {"count": len(log), "requests": log})
            if route == ("GET", "/_gemini/config"):
                return Reply(200, asdict(self.config))
            if route == ("POST", "/_gemini/config"):
                return Reply(200, asdict(self.configure(**_json_object(request.body))))
            if route == ("POST", "/_gemini/reset"):
                self.reset()
                return Reply(200, asdict(self.config))
        except (TypeError, ValueError) as error:
            return Reply(400, {"error": str(error)})
        return Reply(404, {"error": f"no control endpoint {request.method} {request.path}"})


def _json_object(body: bytes) -> dict:
    value = json.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("send a JSON object")
    return value


def _parse_body(body: bytes) -> tuple[str, dict]:
    """The prompt (every text part of every content) and the generationConfig."""
    try:
        request = _json_object(body)
    except ValueError:
        raise ValueError("Invalid JSON payload received.") from None
    contents = request.get("contents")
    if not isinstance(contents, list) or not contents:
        raise ValueError("* GenerateContentRequest.contents: contents is not specified")
    texts = [
        part.get("text", "")
        for content in contents
        if isinstance(content, dict)
        for part in content.get("parts") or ()
        if isinstance(part, dict)
    ]
    generation = request.get("generationConfig") or {}
    return "\n".join(texts), generation if isinstance(generation, dict) else {}
