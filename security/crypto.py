"""Secrets at rest: MultiFernet keyed by FIELD_ENCRYPTION_KEYS (never SECRET_KEY).

The first key encrypts; every key decrypts, so a new key can be put in front and old
rows re-encrypted at leisure. A wrong key raises SecretDecryptionError: ciphertext is
never handed back as if it were the secret."""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Every Fernet token starts with version byte 0x80, base64-encoded as "gAAAAA".
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (a format marker, not a secret)


class SecretDecryptionError(Exception):
    pass


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is not set: secrets cannot be stored. Generate a key with "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS holds a malformed key ({exc}); each key is 32 url-safe "
            "base64-encoded bytes."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS: the key that "
            "encrypted it is missing (was the key changed without `rotate_keys`?)."
        ) from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
