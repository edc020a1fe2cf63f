"""X credentials are stored encrypted; a wrong key fails loudly."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from publishing.models import XAccount
from security.crypto import SecretDecryptionError
from tests.fixtures.publishing import XAccountFactory

pytestmark = pytest.mark.django_db
SECRET = "sentinel-secret-8d2a77"


def raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM publishing_xaccount WHERE id = %s", [pk])
        return repr(cursor.fetchone())


def test_the_database_holds_only_ciphertext():
    account = XAccountFactory(consumer_secret=SECRET, access_token_secret=SECRET)
    assert SECRET not in raw_row(account.pk)
    assert XAccount.objects.get(pk=account.pk).consumer_secret == SECRET


def test_dumpdata_never_writes_a_secret_in_plain_text():
    XAccountFactory(consumer_secret=SECRET, access_token_secret=SECRET)
    out = StringIO()
    call_command("dumpdata", "publishing.xaccount", stdout=out)
    assert SECRET not in out.getvalue()


def test_loaddata_restores_what_dumpdata_wrote(tmp_path):
    XAccountFactory(consumer_secret=SECRET)
    dump = tmp_path / "accounts.json"
    call_command("dumpdata", "publishing.xaccount", output=str(dump))
    XAccount.objects.all().delete()
    call_command("loaddata", str(dump), verbosity=0)
    assert XAccount.objects.get().consumer_secret == SECRET


def test_a_wrong_key_raises_a_clear_error_instead_of_returning_ciphertext(settings):
    account = XAccountFactory(consumer_secret=SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretDecryptionError, match="FIELD_ENCRYPTION_KEYS"):
        XAccount.objects.get(pk=account.pk)


def test_an_old_key_still_decrypts_after_a_new_one_is_put_in_front(settings):
    account = XAccountFactory(consumer_secret=SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    assert XAccount.objects.get(pk=account.pk).consumer_secret == SECRET
