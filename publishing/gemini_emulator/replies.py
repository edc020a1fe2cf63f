"""Answers shaped like the Gemini API's (generativelanguage.googleapis.com): the
generateContent body and the google.rpc error JSON, with the codes, statuses and
messages Google sends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .writer import token_count

_SERVICE = "generativelanguage.googleapis.com"


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, object]
    # Seconds to hold the answer back (the "timeout" mode); the server waits, not the state.
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def generated(text: str, *, prompt: str, model: str, max_tokens: int | None) -> Reply:
    """A 200 with one candidate, cut at `max_tokens` output tokens like Gemini cuts it."""
    output_tokens = token_count(text)
    finish = "STOP"
    if max_tokens is not None and output_tokens > max_tokens:
        text = text[: max(1, len(text) * max_tokens // output_tokens)]
        output_tokens, finish = max_tokens, "MAX_TOKENS"
    prompt_tokens = token_count(prompt)
    candidate = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "finishReason": finish,
        "index": 0,
    }
    usage = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
    }
    return Reply(
        200,
        {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": model,
            "responseId": uuid.uuid4().hex[:22],
        },
    )


def error(code: int, status: str, message: str, *details: dict[str, object]) -> Reply:
    body: dict[str, object] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = list(details)
    return Reply(code, {"error": body})


def _error_info(reason: str) -> dict[str, object]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": _SERVICE},
    }


def api_key_invalid() -> Reply:
    """A key Google does not know: 400, not 401 (the key is a request argument)."""
    message = "API key not valid. Please pass a valid API key."
    return error(400, "INVALID_ARGUMENT", message, _error_info("API_KEY_INVALID"))


def api_key_missing() -> Reply:
    message = (
        "Method doesn't allow unregistered callers (callers without established identity)."
        " Please use API Key or other form of API consumer identity to call this API."
    )
    return error(403, "PERMISSION_DENIED", message)


def quota_exhausted(model: str) -> Reply:
    message = (
        "You exceeded your current quota, please check your plan and billing details. For "
        "more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
    )
    violation = {
        "quotaMetric": f"{_SERVICE}/generate_content_free_tier_requests",
        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
        "quotaDimensions": {"location": "global", "model": model},
        "quotaValue": "10",
    }
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        message,
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [violation]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"},
    )


def internal() -> Reply:
    message = (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"
    )
    return error(500, "INTERNAL", message)


def model_not_found(model: str, version: str) -> Reply:
    message = (
        f"models/{model} is not found for API version {version}, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods."
    )
    return error(404, "NOT_FOUND", message)


def invalid_argument(message: str) -> Reply:
    return error(400, "INVALID_ARGUMENT", message)


def not_found(path: str) -> Reply:
    return error(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")
