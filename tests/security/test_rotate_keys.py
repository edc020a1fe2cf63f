"""`manage.py rotate_keys` re-encrypts every secret under the newest key."""

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.core.serializers.base import DeserializationError
from django.db import connection

from publishing.models import XAccount
from security.crypto import SecretDecryptionError
from tests.fixtures.publishing import XAccountFactory

pytestmark = pytest.mark.django_db
SECRET = "sentinel-rotate-5c1d"
COLUMNS = "consumer_key, consumer_secret, access_token, access_token_secret"


def stored(pk: int) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM publishing_xaccount WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


def rotate() -> dict:
    out = StringIO()
    call_command("rotate_keys", "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def old_key(settings):
    return settings.FIELD_ENCRYPTION_KEYS[0]


def put_a_new_key_first(settings) -> str:
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key, *settings.FIELD_ENCRYPTION_KEYS]
    return key


def test_it_re_encrypts_every_secret_under_the_new_key(settings, old_key):
    account = XAccountFactory(consumer_secret=SECRET, handle="a")
    XAccountFactory(consumer_secret=SECRET, handle="b", is_default=False)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old_key]

    report = rotate()

    assert report["total_rotated"] == 8
    assert report["rotated"]["publishing.XAccount.consumer_secret"] == 2
    for token in stored(account.pk):
        Fernet(new.encode()).decrypt(token.encode())  # raises unless under the new key
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key dropped
    assert XAccount.objects.get(pk=account.pk).consumer_secret == SECRET


def test_running_it_again_changes_nothing(settings):
    account = XAccountFactory(consumer_secret=SECRET)
    put_a_new_key_first(settings)
    assert rotate()["total_rotated"] == 4
    before = stored(account.pk)

    report = rotate()

    assert report["total_rotated"] == 0
    assert report["already_current"]["publishing.XAccount.consumer_secret"] == 1
    assert stored(account.pk) == before


def test_a_secret_no_key_opens_stops_the_rotation_and_changes_nothing(settings, old_key):
    first = XAccountFactory(consumer_secret=SECRET, handle="a")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    XAccountFactory(consumer_secret=SECRET, handle="b", is_default=False)
    before = stored(first.pk)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]  # b's key lost

    with pytest.raises(CommandError, match="cannot be decrypted with any key"):
        rotate()

    assert stored(first.pk) == before


def test_the_report_for_people_names_each_field(settings):
    XAccountFactory(consumer_secret=SECRET)
    put_a_new_key_first(settings)
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "publishing.XAccount.consumer_secret: 1 re-encrypted" in out.getvalue()
    assert SECRET not in out.getvalue()


def test_a_wrong_key_never_hands_back_ciphertext_to_loaddata(settings, tmp_path):
    XAccountFactory(consumer_secret=SECRET)
    dump = tmp_path / "accounts.json"
    call_command("dumpdata", "publishing.xaccount", output=str(dump))
    XAccount.objects.all().delete()
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(DeserializationError, match="cannot be decrypted"):
        call_command("loaddata", str(dump), verbosity=0)

    assert not XAccount.objects.exists()


def test_a_missing_key_is_a_clear_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS is not set"):
        rotate()


def test_the_decryption_error_is_the_projects_own(settings):
    account = XAccountFactory(consumer_secret=SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SecretDecryptionError):
        XAccount.objects.get(pk=account.pk)
