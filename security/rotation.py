"""Key rotation: re-encrypt every EncryptedTextField value under the first key of
FIELD_ENCRYPTION_KEYS. The procedure (docs/operations.md): put the new key first, keep
the old ones after it, run `manage.py rotate_keys`, then drop the old keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Cast

from security import crypto
from security.fields import EncryptedTextField


@dataclass
class RotationReport:
    rotated: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "rotated": self.rotated,
            "already_current": self.current,
            "total_rotated": sum(self.rotated.values()),
        }


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedTextField)
    ]


def keys_rotate() -> RotationReport:
    """All or nothing: one value no key can decrypt aborts the whole rotation with
    SecretDecryptionError, and nothing has changed."""
    newest = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()) if _keys() else None
    report = RotationReport()
    with transaction.atomic():
        for model, name in encrypted_fields():
            label = f"{model._meta.label}.{name}"
            rotated, current = _rotate_field(model, name, newest)
            report.rotated[label], report.current[label] = rotated, current
    return report


def _keys() -> list[str]:
    crypto.fernet()  # a missing or malformed key fails here, with its own message
    return settings.FIELD_ENCRYPTION_KEYS


def _rotate_field(model, name: str, newest: Fernet) -> tuple[int, int]:
    # Cast to a plain TextField: the stored ciphertext, not the decrypted value.
    rows = model._default_manager.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True})
    raw = rows.annotate(_raw=Cast(name, models.TextField())).values_list("pk", "_raw")
    rotated = current = 0
    for pk, token in raw.iterator():
        if _is_current(newest, token):
            current += 1
            continue
        new = _reencrypt(token, f"{model._meta.label} #{pk} {name}")
        model._default_manager.filter(pk=pk).update(
            **{name: models.Value(new, output_field=models.TextField())}
        )
        rotated += 1
    return rotated, current


def _is_current(newest: Fernet, token: str) -> bool:
    try:
        newest.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _reencrypt(token: str, where: str) -> str:
    try:
        return crypto.fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise crypto.SecretDecryptionError(
            f"{where} cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS: keep the "
            "key that encrypted it in the list (after the new one) and run rotate_keys "
            "again. Nothing was changed."
        ) from exc
