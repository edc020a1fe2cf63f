"""One shape for every API error:

    {"error": {"code": "invalid", "message": "A sentence a person understands.",
               "fields": {"name": ["Give the project a name."]}}}

`code` is stable and machine-readable (DRF's codes: invalid, not_found,
not_authenticated, authentication_failed, permission_denied, throttled,
method_not_allowed, parse_error, unsupported_media_type, not_acceptable; and conflict,
path_not_allowed); `fields` appears only for input errors, keyed by field name
("non_field_errors" for the whole). Services' Django ValidationError and
IntegrityError, and projects.paths.PathNotAllowed become 4xx here, never 500."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from projects.paths import PathNotAllowed


def api_exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django report the 500
    response.data = {"error": _body(exc, response.data)}
    return response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change conflicts with existing data (a duplicate?); reload and retry."
    default_code = "conflict"


class PathRefused(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "path_not_allowed"


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_django_messages(exc))
    if isinstance(exc, IntegrityError):
        return Conflict()
    if isinstance(exc, PathNotAllowed):
        return PathRefused(str(exc))
    if isinstance(exc, ObjectDoesNotExist):
        return exceptions.NotFound()
    return exc


def _django_messages(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def _body(exc, data) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        return {"code": "invalid", "message": _summary(fields), "fields": fields}
    detail = data.get("detail", data) if isinstance(data, dict) else data
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return {"code": str(code), "message": str(detail)}


def _summary(fields: dict) -> str:
    """The first message, so a person reading only `message` learns what to fix."""
    for field, messages in fields.items():
        first = messages[0] if isinstance(messages, list) and messages else messages
        if isinstance(first, dict):
            return f"{field}: {_summary(first)}"
        if field == "non_field_errors":
            return str(first)
        return f"{field}: {first}"
    return "The request is not valid."


def error_body(exc: DjangoValidationError) -> dict:
    """The "error" object for one item of a bulk request that a service refused."""
    return {"code": "invalid", "message": " ".join(exc.messages)}


def not_found(request, exception=None):
    """handler404: the error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        message = f"Nothing at {request.path}; see /api/v1/docs/ for the endpoints."
        return JsonResponse({"error": {"code": "not_found", "message": message}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: a bug. The error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        message = "The server failed; the error is logged. Please report it."
        return JsonResponse({"error": {"code": "server_error", "message": message}}, status=500)
    return defaults.server_error(request)
