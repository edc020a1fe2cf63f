"""Error bodies as X sends them.

Two families exist. Errors raised by the API itself are typed problems from the OpenAPI
document (`https://api.x.com/2/problems/...`). Errors raised in front of it (401, 429,
and the 403s the legacy post backend returns: duplicate content, reply restrictions) are
plain RFC 7807 problems with `"type": "about:blank"`, which the document does not list.
"""

from __future__ import annotations

from collections.abc import Mapping

PROBLEM_JSON = "application/problem+json"
_TYPE = "https://api.x.com/2/problems/"

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
REPLY_DETAIL = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)


class ApiError(Exception):
    def __init__(self, status: int, body: dict, headers: Mapping[str, str] | None = None):
        super().__init__(f"{status}: {body.get('detail')}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def gateway_problem(status: int, title: str, detail: str) -> dict:
    return {"title": title, "type": "about:blank", "status": status, "detail": detail}


def unauthorized() -> ApiError:
    return ApiError(401, gateway_problem(401, "Unauthorized", "Unauthorized"))


def too_many_requests(headers: Mapping[str, str]) -> ApiError:
    body = gateway_problem(429, "Too Many Requests", "Too Many Requests")
    return ApiError(429, body, headers)


def duplicate_content() -> ApiError:
    return ApiError(403, {"detail": DUPLICATE_DETAIL, "type": "about:blank", **_forbidden()})


def reply_not_allowed() -> ApiError:
    return ApiError(403, {"detail": REPLY_DETAIL, "type": "about:blank", **_forbidden()})


def _forbidden() -> dict:
    return {"title": "Forbidden", "status": 403}


def unsupported_authentication() -> ApiError:
    detail = (
        "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
        "Supported authentication types are [OAuth 1.0a User Context]."
    )
    return ApiError(403, gateway_problem(403, "Unsupported Authentication", detail))


def invalid_request(
    message: str, *, parameter: str | None = None, value: object = None, status: int = 400
) -> ApiError:
    error: dict[str, object] = {"message": message}
    if parameter is not None:
        error = {"parameters": {parameter: [] if value is None else [str(value)]}, **error}
    body = {
        "errors": [error],
        "title": "Invalid Request" if status == 400 else "Payload Too Large",
        "detail": "One or more parameters to your request was invalid.",
        "type": _TYPE + "invalid-request",
        "status": status,
    }
    return ApiError(status, body)


def payload_too_large(message: str) -> ApiError:
    return invalid_request(message, parameter="media", status=413)


def not_found_problem(resource_type: str, resource_id: str, parameter: str) -> dict:
    return {
        "value": resource_id,
        "detail": f"Could not find {resource_type} with {parameter}: [{resource_id}].",
        "title": "Not Found Error",
        "resource_type": resource_type,
        "parameter": parameter,
        "resource_id": resource_id,
        "type": _TYPE + "resource-not-found",
    }


def not_found(resource_type: str, resource_id: str, parameter: str = "id") -> ApiError:
    body = {**not_found_problem(resource_type, resource_id, parameter), "status": 404}
    return ApiError(404, body)


def not_authorized(detail: str, resource_type: str, resource_id: str) -> ApiError:
    body = {
        "title": "Forbidden",
        "detail": detail,
        "type": _TYPE + "not-authorized-for-resource",
        "resource_type": resource_type,
        "resource_id": resource_id,
        "status": 403,
    }
    return ApiError(403, body)


def server_error(status: int) -> ApiError:
    title = "Service Unavailable" if status == 503 else "Internal Server Error"
    body = {"title": title, "detail": title, "type": _TYPE + "internal-error", "status": status}
    return ApiError(status, body)


def unknown_endpoint(path: str) -> ApiError:
    body = {**not_found_problem("endpoint", path, "path"), "status": 404}
    body["detail"] = "The requested resource could not be found."
    return ApiError(404, body)
