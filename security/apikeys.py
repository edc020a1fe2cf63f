"""API keys: creation (the key is shown once), lookup, revocation.

A key is "tpk_" + 8 hex characters of prefix + "_" + 43 characters of secret (256 bits).
Only SHA-256(key) is stored. A slow password hash (PBKDF2, Argon2) protects
low-entropy secrets people choose; a 256-bit random key cannot be guessed whatever
the hash, and a slow hash on every request would cost ~100 ms of CPU per call and
hand attackers a cheap way to load the server. Unique random keys need no salt."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from configuration.selectors import config_value
from security.models import APIKey
from security.roles import ROLES

KEY_PREFIX = "tpk_"
_PREFIX_CHARS = 8
_PREFIX_LENGTH = len(KEY_PREFIX) + _PREFIX_CHARS


@dataclass(frozen=True)
class NewKey:
    api_key: APIKey
    key: str  # the only time the full key exists outside the client


class KeyRefused(Exception):
    """A key that does not open the API; the message says why, for the 401 answer."""


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def apikey_create(*, user, role: str, name: str = "", expires_at: datetime | None = None) -> NewKey:
    """A new key for `user` acting as `role`. The user must hold the role (be in its
    group) or be a superuser: a key never grants more than its user has."""
    group = role_group(role)
    apikey_check_role(user=user, group=group)
    expires_at = expires_at or _default_expiry()
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError("The expiry date must be in the future.")
    prefix = KEY_PREFIX + secrets.token_hex(_PREFIX_CHARS // 2)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    api_key = APIKey.objects.create(
        user=user,
        role=group,
        name=name,
        prefix=prefix,
        hashed_key=key_hash(key),
        expires_at=expires_at,
    )
    return NewKey(api_key=api_key, key=key)


def _default_expiry() -> datetime | None:
    """A key made without an expiry date gets the configured lifetime (runtime
    configuration security.api_key_expiry_days; null: it never expires)."""
    days = config_value("security.api_key_expiry_days")
    return timezone.now() + timedelta(days=days) if days else None


def apikey_check_role(*, user, group: Group) -> None:
    """A key may act in a role its user holds, or in a lesser one (an Operator may
    make a Viewer key), never in one granting more than the user has."""
    if user.is_superuser or user.groups.filter(pk=group.pk).exists():
        return
    lacking = _role_permissions(group) - user.get_all_permissions()
    if lacking:
        raise ValidationError(
            f"{user} is not in the {group.name} role and lacks some of its permissions "
            f"({', '.join(sorted(lacking)[:3])}…); add them to the group first."
        )


def role_group(role: str) -> Group:
    name = next((known for known in ROLES if known.lower() == role.strip().lower()), None)
    if name is None:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    group, _created = Group.objects.get_or_create(name=name)
    return group


def apikey_revoke(*, api_key: APIKey) -> bool:
    """Revoke at once; False if it was revoked already."""
    now = timezone.now()
    changed = APIKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    if changed:
        api_key.revoked_at = now
    return bool(changed)


def apikey_check(key: str, *, now: datetime | None = None) -> APIKey:
    """The live key for `key`, or KeyRefused saying why not."""
    now = now or timezone.now()
    api_key = _lookup(key)
    if api_key.revoked_at is not None:
        raise KeyRefused(f"The API key {api_key.prefix} was revoked.")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise KeyRefused(
            f"The API key {api_key.prefix} expired on {api_key.expires_at:%Y-%m-%d %H:%M} UTC."
        )
    if not api_key.user.is_active:
        raise KeyRefused(f"The user of the API key {api_key.prefix} is inactive.")
    _touch(api_key, now)
    return api_key


def _lookup(key: str) -> APIKey:
    prefix, separator, secret = (
        key[:_PREFIX_LENGTH],
        key[_PREFIX_LENGTH : _PREFIX_LENGTH + 1],
        key[_PREFIX_LENGTH + 1 :],
    )
    if not key.startswith(KEY_PREFIX) or separator != "_" or not secret:
        raise KeyRefused("Malformed API key: it should look like tpk_0123abcd_….")
    found = APIKey.objects.select_related("user", "role").filter(prefix=prefix).first()
    # Compared in constant time so response times say nothing about the hash.
    if found is None or not hmac.compare_digest(found.hashed_key, key_hash(key)):
        raise KeyRefused("Unknown API key.")
    return found


def _touch(api_key: APIKey, now: datetime) -> None:
    """Record use at most once per APIKEY_LAST_USED_INTERVAL: a write on every request
    would turn each read into a write and contend on the row."""
    interval = timedelta(seconds=settings.APIKEY_LAST_USED_SECONDS)
    if api_key.last_used_at is not None and now - api_key.last_used_at < interval:
        return
    APIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


def apikey_permissions(api_key: APIKey) -> frozenset[str]:
    """What the key may do: its role's permissions, capped by its user's."""
    permissions = Permission.objects.filter(group=api_key.role_id)
    if not api_key.user.is_superuser:
        # One query: the role's permissions that the user also holds, through any of
        # their groups or directly.
        user = api_key.user
        permissions = permissions.filter(Q(group__user=user) | Q(user=user))
    pairs = permissions.values_list("content_type__app_label", "codename").distinct()
    return frozenset(f"{app_label}.{codename}" for app_label, codename in pairs)


def _role_permissions(group: Group) -> set[str]:
    pairs = group.permissions.values_list("content_type__app_label", "codename")
    return {f"{app_label}.{codename}" for app_label, codename in pairs}
