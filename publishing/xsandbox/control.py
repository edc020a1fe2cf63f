"""Test-only control API under /_sandbox/: no auth, answers loopback clients only."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from publishing.loopback import is_loopback

from .accounts import DEMO_ACCOUNT, Account
from .messages import Reply, Request
from .problems import ApiError

if TYPE_CHECKING:
    from .emulator import Emulator

Handler = Callable[["Emulator", Request], Reply]


def handle(emulator: Emulator, request: Request) -> Reply:
    if not is_loopback(request.client_ip):
        return Reply(403, {"error": "the control API answers loopback clients only"})
    handler = HANDLERS.get((request.method, request.path.rstrip("/")))
    if handler is None:
        return Reply(404, {"error": f"no control endpoint {request.method} {request.path}"})
    try:
        return handler(emulator, request)
    except ApiError as error:
        return Reply.from_error(error)
    except KeyError as error:
        return Reply(400, {"error": f"missing field {error}"})
    except (TypeError, ValueError) as error:
        return Reply(400, {"error": str(error)})


def health(emulator: Emulator, request: Request) -> Reply:
    return Reply(200, {"status": "ok", "accounts": len(emulator.accounts.all())})


def list_posts(emulator: Emulator, request: Request) -> Reply:
    return Reply(200, {"data": emulator.posts(request.params.get("user_id"))})


def seed_post(emulator: Emulator, request: Request) -> Reply:
    body = request.json()
    created_at = body.get("created_at")
    post = emulator.seed_post(
        text=str(body["text"]),
        user_id=str(body.get("user_id", DEMO_ACCOUNT.user_id)),
        created_at=datetime.fromisoformat(created_at).timestamp() if created_at else None,
    )
    return Reply(201, {"data": post.as_dict()})


def list_media(emulator: Emulator, request: Request) -> Reply:
    return Reply(200, {"data": emulator.media(request.params.get("user_id"))})


def request_log(emulator: Emulator, request: Request) -> Reply:
    with emulator.lock:
        return Reply(200, emulator.requests.as_dict())


def list_faults(emulator: Emulator, request: Request) -> Reply:
    with emulator.lock:
        return Reply(200, {"rules": emulator.faults.as_list()})


def set_faults(emulator: Emulator, request: Request) -> Reply:
    """Body: {"rules": [...], "append": false}, a list of rules, or one rule."""
    body = _json_value(request)
    if isinstance(body, dict) and "rules" in body:
        emulator.set_faults(body["rules"], append=bool(body.get("append", False)))
    else:
        emulator.set_faults(body if isinstance(body, list) else [body])
    return list_faults(emulator, request)


def clear_faults(emulator: Emulator, request: Request) -> Reply:
    emulator.set_faults([])
    return list_faults(emulator, request)


def get_config(emulator: Emulator, request: Request) -> Reply:
    return Reply(200, emulator.config.as_dict())


def set_config(emulator: Emulator, request: Request) -> Reply:
    return Reply(200, emulator.configure(request.json()).as_dict())


def list_accounts(emulator: Emulator, request: Request) -> Reply:
    return Reply(200, {"data": [account.as_dict() for account in emulator.accounts.all()]})


def add_account(emulator: Emulator, request: Request) -> Reply:
    account = emulator.add_account(Account.from_dict(request.json()))
    return Reply(201, {"data": account.as_dict()})


def reset(emulator: Emulator, request: Request) -> Reply:
    emulator.reset()
    return Reply(200, {"reset": True})


def _json_value(request: Request) -> object:
    return json.loads(request.body or b"null")


HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/_sandbox/health"): health,
    ("GET", "/_sandbox/posts"): list_posts,
    ("POST", "/_sandbox/posts"): seed_post,
    ("GET", "/_sandbox/media"): list_media,
    ("GET", "/_sandbox/requests"): request_log,
    ("GET", "/_sandbox/faults"): list_faults,
    ("POST", "/_sandbox/faults"): set_faults,
    ("DELETE", "/_sandbox/faults"): clear_faults,
    ("GET", "/_sandbox/config"): get_config,
    ("POST", "/_sandbox/config"): set_config,
    ("GET", "/_sandbox/accounts"): list_accounts,
    ("POST", "/_sandbox/accounts"): add_account,
    ("POST", "/_sandbox/reset"): reset,
}
