"""Who may call which endpoint: deny by default, GET included.

Every API view declares `permission_rules`, a dict from its action (viewsets: "list",
"retrieve", "create", "partial_update", "destroy" or an @action's name; plain APIViews:
the HTTP method in lower case, "get", "post") to the permission it needs
("app_label.codename"), a tuple of permissions that all must be held, or
AUTHENTICATED (any signed-in user). An action without a rule is refused, for every
role, and tests/api/test_permission_matrix.py fails until the rule is written.

Whether a user may touch a given object is not decided here: views scope their
querysets to what the user sees (projects owned or joined), so others' objects are 404."""

from __future__ import annotations

import logging

from rest_framework.permissions import BasePermission

from security.apikeys import apikey_permissions
from security.models import APIKey

logger = logging.getLogger(__name__)
AUTHENTICATED = "authenticated"
# HEAD and OPTIONS ask about the GET of the same URL: they need what GET needs.
_READ_ACTIONS = ("list", "retrieve", "get")


def required_permissions(view, request) -> tuple[str, ...] | None:
    """The permissions the request needs, or None when the view has no rule for it."""
    rules = getattr(view, "permission_rules", None) or {}
    action = getattr(view, "action", None) or request.method.lower()
    if action in ("metadata", "options", "head") and action not in rules:
        action = next((name for name in _READ_ACTIONS if name in rules), action)
    rule = rules.get(action)
    if rule is None:
        return None
    return (rule,) if isinstance(rule, str) else tuple(rule)


def request_has_perm(request, permission: str) -> bool:
    """API keys act with their role's permissions (capped by the user's); sessions with
    the user's."""
    if isinstance(request.auth, APIKey):
        cached = getattr(request, "_apikey_permissions", None)
        if cached is None:
            cached = request._apikey_permissions = apikey_permissions(request.auth)
        return permission in cached
    return request.user.has_perm(permission)


class RolePermission(BasePermission):
    message = "You do not have permission to do this."

    def has_permission(self, request, view) -> bool:
        if request.method.upper() not in view.allowed_methods:
            # Nothing would run: a signed-in caller hears 405 (which methods exist),
            # not "no permission rule"; an anonymous one still hears 401.
            return bool(request.user and request.user.is_authenticated)
        required = required_permissions(view, request)
        if required is None:
            logger.warning(
                "%s has no permission rule for %s: refused",
                type(view).__name__,
                getattr(view, "action", None) or request.method,
            )
            self.message = "This endpoint has no permission rule; it is closed to everyone."
            return False
        if not request.user or not request.user.is_authenticated:
            return False
        missing = [p for p in required if p != AUTHENTICATED and not request_has_perm(request, p)]
        if missing:
            self.message = f"Your role does not allow this (it needs {', '.join(missing)})."
            return False
        return True
