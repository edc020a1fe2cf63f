"""X accounts: creation from credentials, verification against X, and which account
a project publishes through."""

from __future__ import annotations

import os
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.models import Project
from publishing.models import XAccount
from publishing.xclient import Credentials, XClient, XError

# The original system's variable names, kept so existing .env files work.
CREDENTIAL_ENV = {
    "consumer_key": "TWITTER_API_KEY",
    "consumer_secret": "TWITTER_API_SECRET",
    "access_token": "TWITTER_ACCESS_TOKEN",
    "access_token_secret": "TWITTER_ACCESS_TOKEN_SECRET",
}


def credentials_from_env(environ=os.environ) -> Credentials:
    missing = [name for name in CREDENTIAL_ENV.values() if not environ.get(name, "").strip()]
    if missing:
        raise ValidationError(f"Missing credentials in the environment: {', '.join(missing)}.")
    return Credentials(**{field: environ[name].strip() for field, name in CREDENTIAL_ENV.items()})


def account_credentials(account: XAccount) -> Credentials:
    return Credentials(
        consumer_key=account.consumer_key,
        consumer_secret=account.consumer_secret,
        access_token=account.access_token,
        access_token_secret=account.access_token_secret,
    )


def account_client(account: XAccount) -> XClient:
    return XClient(account_credentials(account))


# X takes 280 weighted characters, or 25,000 from paid (Premium) accounts.
MAX_CHAR_LIMIT = 25_000


def account_char_limit_check(char_limit: int) -> int:
    """A text limit X could have: every post is composed and checked against it."""
    if not 1 <= char_limit <= MAX_CHAR_LIMIT:
        raise ValidationError(
            f"The text limit must be between 1 and {MAX_CHAR_LIMIT:,} (X's limit for paid "
            f"accounts; 280 for the others), not {char_limit:,}."
        )
    return char_limit


def _clean_handle(handle: str) -> str:
    handle = handle.strip().lstrip("@")
    if not handle or len(handle) > 50 or not handle.replace("_", "").isalnum():
        raise ValidationError(f"'{handle}' is not a valid X handle (letters, digits and _).")
    return handle


@transaction.atomic
def account_create(
    *,
    handle: str,
    credentials: Credentials,
    projects: list[Project] = (),
    make_default: bool | None = None,
    char_limit: int = 280,
    verify: bool = True,
) -> XAccount:
    """Store an account; with `verify`, ask X who the credentials belong to first, so a
    wrong key is refused here instead of failing every post later."""
    handle = _clean_handle(handle)
    account_char_limit_check(char_limit)
    if XAccount.objects.filter(handle__iexact=handle).exists():
        raise ValidationError(f"An account @{handle} exists already.")
    user_id = _verify(credentials, handle) if verify else ""
    if make_default is None:
        make_default = not XAccount.objects.filter(is_default=True).exists()
    if make_default:
        XAccount.objects.filter(is_default=True).update(is_default=False)
    account = XAccount.objects.create(
        handle=handle,
        x_user_id=user_id,
        char_limit=char_limit,
        is_default=make_default,
        verified_at=timezone.now() if verify else None,
        **asdict(credentials),
    )
    account.projects.set(projects)
    return account


def _verify(credentials: Credentials, handle: str) -> str:
    try:
        user_id, username = XClient(credentials).get_me()
    except XError as exc:
        raise ValidationError(f"X refused the credentials for @{handle}: {exc}") from exc
    if username.lower() != handle.lower():
        raise ValidationError(f"The credentials belong to @{username}, not @{handle}.")
    return user_id


def account_for_project(project: Project) -> XAccount | None:
    """The project's own account if it has exactly one, else the default account."""
    own = list(project.x_accounts.all()[:2])
    if len(own) == 1:
        return own[0]
    return XAccount.objects.filter(is_default=True).first()


def task_account(task, cache: dict[int, XAccount | None] | None = None) -> XAccount | None:
    """The account a task posts through: its own, else its project's. A batch passes
    `cache` (by project id) so each project's fallback is looked up once."""
    if task.account_id:
        return task.account
    if cache is None:
        return account_for_project(task.project)
    if task.project_id not in cache:
        cache[task.project_id] = account_for_project(task.project)
    return cache[task.project_id]
