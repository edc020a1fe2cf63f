from django.core.exceptions import ValidationError
from django.db import models

from security import crypto


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees the plain value.

    The database, fixtures and `dumpdata` only ever hold ciphertext (value_to_string
    returns what is stored)."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value):
        # loaddata hands back what dumpdata wrote: ciphertext. Decrypt it so saving
        # does not encrypt it a second time.
        # A token no key opens is refused: storing it would keep ciphertext as the secret.
        if isinstance(value, str) and value.startswith(crypto.TOKEN_PREFIX):
            try:
                return crypto.decrypt(value)
            except crypto.SecretDecryptionError as exc:
                raise ValidationError(str(exc)) from exc
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return self.get_prep_value(value)
