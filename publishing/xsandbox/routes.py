"""The X API surface the emulator answers. An endpoint key ("POST /2/tweets") names a route
in rate limits, fault rules and the request log."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import media, posts, reads, users
from .messages import Call, Reply


@dataclass(frozen=True)
class Route:
    endpoint: str
    handler: Callable[[Call], Reply]
    # X's OpenAPI document allows only app-only (Bearer) auth on /2/usage/tweets.
    app_auth: bool = False

    @property
    def method(self) -> str:
        return self.endpoint.split(" ", 1)[0]

    @property
    def pattern(self) -> re.Pattern[str]:
        path = self.endpoint.split(" ", 1)[1]
        return re.compile("^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", path) + "$")


ROUTES = (
    Route("POST /2/tweets", posts.create_post),
    Route("GET /2/tweets", reads.lookup_posts),
    Route("GET /2/tweets/:id", reads.get_post),
    Route("DELETE /2/tweets/:id", posts.delete_post),
    Route("GET /2/users/me", users.me),
    Route("GET /2/users/:id/tweets", reads.user_posts),
    Route("POST /2/media/upload", media.upload),
    Route("GET /2/media/upload", media.status),
    Route("POST /2/media/upload/initialize", media.initialize),
    Route("POST /2/media/upload/:id/append", media.append),
    Route("POST /2/media/upload/:id/finalize", media.finalize),
    Route("POST /2/media/metadata", media.create_metadata),
    Route("GET /2/usage/tweets", users.usage, app_auth=True),
)
ENDPOINTS = tuple(route.endpoint for route in ROUTES)
_COMPILED = tuple((route.method, route.pattern, route) for route in ROUTES)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route_method, pattern, route in _COMPILED:
        found = pattern.match(path) if route_method == method else None
        if found:
            return route, found.groupdict()
    return None
