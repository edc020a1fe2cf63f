"""The one door to Gemini. Every call goes through google-genai (`from google import
genai`), pointed at settings.GEMINI_API_BASE_URL (Google, or the loopback emulator in
publishing.gemini_emulator). Failures come out as GeminiError carrying a kind, so
callers never parse HTTP themselves.

google-genai 3.6.1 sends `POST {base_url}/v1/models/{model}:generateContent` with the
key in the `x-goog-api-key` header and the timeout in `X-Server-Timeout` (seconds).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Literal

import pydantic
from django.conf import settings
from google import genai
from google.genai import errors, types

ErrorKind = Literal["quota", "timeout", "server", "bad_request", "auth", "garbage"]
# Pinned rather than left to GOOGLE_GENAI_API_VERSION: the emulator and the docs speak v1.
API_VERSION = "v1"
# Answers that end like this hold no complete post (a cut text, or none at all).
_UNFINISHED = {"MAX_TOKENS", "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"}


class GeminiError(Exception):
    """A failed call to Gemini; `kind` says what failed, `status` is the HTTP status if any."""

    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclass(frozen=True, slots=True)
class GeminiResult:
    """One answer. `output_tokens` includes thinking tokens: Google bills them as output."""

    text: str
    model: str
    prompt_tokens: int
    output_tokens: int


def generate(
    prompt: str, *, model: str, temperature: float, max_output_tokens: int
) -> GeminiResult:
    """One generateContent call, never retried here (the caller decides what a failure
    costs). Raises GeminiError."""
    config = types.GenerateContentConfig(
        temperature=temperature,
        max_output_tokens=max_output_tokens,
        candidate_count=1,
        # No tools are offered: the SDK's function-calling loop has nothing to do.
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    client = _client()
    try:
        response = client.models.generate_content(model=model, contents=prompt, config=config)
    except Exception as exc:
        error = _as_gemini_error(exc)
        if error is None:
            raise  # a bug of ours or the SDK's: not Gemini's answer, keep the traceback
        raise error from exc
    return _result(response, model)


def _client() -> genai.Client:
    if not settings.GEMINI_API_KEY:
        raise GeminiError("auth", "no GEMINI_API_KEY configured")
    timeout_ms = max(1, round(settings.GEMINI_TIMEOUT_SECONDS * 1000))
    return _cached_client(settings.GEMINI_API_KEY, settings.GEMINI_API_BASE_URL, timeout_ms)


@functools.lru_cache(maxsize=4)  # a client holds a connection pool and an SSL context
def _cached_client(api_key: str, base_url: str, timeout_ms: int) -> genai.Client:
    options = types.HttpOptions(base_url=base_url, api_version=API_VERSION, timeout=timeout_ms)
    # vertexai=False: GOOGLE_GENAI_USE_VERTEXAI in the environment must not reroute us.
    return genai.Client(api_key=api_key, vertexai=False, http_options=options)


def _result(response: types.GenerateContentResponse, model: str) -> GeminiResult:
    candidate = (response.candidates or [None])[0]
    if candidate is None:
        feedback = response.prompt_feedback
        reason = feedback.block_reason if feedback and feedback.block_reason else "no reason given"
        raise GeminiError("garbage", f"Gemini returned no candidate ({reason})")
    finish = str(candidate.finish_reason.value) if candidate.finish_reason else ""
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    text = "".join(part.text for part in parts if part.text and not part.thought).strip()
    if finish in _UNFINISHED or not text:
        raise GeminiError("garbage", f"Gemini returned no usable text (finish reason {finish})")
    usage = response.usage_metadata or types.GenerateContentResponseUsageMetadata()
    return GeminiResult(
        text=text,
        model=response.model_version or model,
        prompt_tokens=usage.prompt_token_count or 0,
        output_tokens=(usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0),
    )


# --- errors --------------------------------------------------------------------------


def _transport_errors(name: str) -> tuple[type[BaseException], ...]:
    """`name` from whichever of httpx2 / httpx google-genai runs on (it picks at start)."""
    found = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except ImportError:
            continue
    return tuple(found)


_TIMEOUTS = _transport_errors("TimeoutException")
_TRANSPORT = _transport_errors("TransportError")


def _as_gemini_error(exc: Exception) -> GeminiError | None:
    if isinstance(exc, errors.APIError):
        return _from_api_error(exc)
    if isinstance(exc, _TIMEOUTS):
        timeout = settings.GEMINI_TIMEOUT_SECONDS
        return GeminiError("timeout", f"Gemini did not answer within {timeout:g} s")
    if isinstance(exc, _TRANSPORT):
        base_url = settings.GEMINI_API_BASE_URL
        return GeminiError("server", f"cannot reach Gemini at {base_url}: {exc}")
    # Not JSON, or JSON the SDK's models refuse (json and pydantic errors are ValueErrors).
    if isinstance(exc, errors.UnknownApiResponseError | pydantic.ValidationError | ValueError):
        return GeminiError("garbage", f"Gemini's answer could not be read: {exc}")
    return None


def _from_api_error(exc: errors.APIError) -> GeminiError:
    status = f"{exc.code} {exc.status}" if exc.status else str(exc.code)
    kind = _kind(exc)
    return GeminiError(kind, f"Gemini {_WHAT[kind]} ({status}): {exc.message}", status=exc.code)


_WHAT: dict[ErrorKind, str] = {
    "quota": "quota exhausted",
    "timeout": "timed out",
    "server": "server error",
    "bad_request": "refused the request",
    "auth": "refused the API key",
    "garbage": "answered garbage",
}


def _kind(exc: errors.APIError) -> ErrorKind:
    # Google answers a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
    if exc.code in (401, 403) or "API_KEY_INVALID" in str(exc.details):
        return "auth"
    if exc.code == 429:
        return "quota"
    if exc.code in (408, 504):
        return "timeout"
    if exc.code >= 500:
        return "server"
    return "bad_request"
