"""A sentinel secret, stored as an X account's credentials, is never found in plain text:
not in any database row, nor the logs of publishing (success and refusal), the admin,
the API, `dumpdata`, or a backup file."""

import gzip
import logging
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from database.services.backups import backup_create
from publishing.models import PublishingTask, XAccount
from publishing.services.dispatch import dispatch_once
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Each credential gets its own sentinel, so a leak names the field that leaked.
GOOD = {
    "consumer_key": "SENTINELck7f3a",
    "consumer_secret": "SENTINELcs91be",
    "access_token": "9001-SENTINELat44d0",
    "access_token_secret": "SENTINELats2c5e",
}
# Credentials X refuses: the 401 path logs and records errors.
BAD = {key: value.replace("SENTINEL", "SENTINELbad") for key, value in GOOD.items()}
SENTINELS = [*GOOD.values(), *BAD.values()]


def leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        return [s for s in SENTINELS if s.encode() in text]
    return [s for s in SENTINELS if s in text]


@pytest.fixture
def accounts(xsandbox_settings):
    xsandbox_settings.add_account(user_id="9001", username="sentinel", **GOOD)
    good = XAccount.objects.create(handle="sentinel", x_user_id="9001", **GOOD)
    bad = XAccount.objects.create(handle="refused", x_user_id="9002", **BAD)
    return good, bad


@pytest.fixture
def published(accounts, caplog):
    """Publish one post with each account, with every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    good, bad = accounts
    project = ProjectRowFactory()
    TaskFactory(project=project, account=good, text="Posted with the sentinel account")
    TaskFactory(project=project, account=bad, text="Refused with the bad account")
    dispatch_once()
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    # Formatted as a handler would write them, tracebacks and arguments included.
    return [formatter.format(record) for record in caplog.records]


def test_publishing_really_used_the_sentinel_credentials(published, xsandbox):
    statuses = set(PublishingTask.objects.values_list("status", flat=True))
    assert PublishingTask.Status.PUBLISHED in statuses and len(xsandbox.posts()) == 1
    assert XAccount.objects.get(handle="sentinel").consumer_secret == GOOD["consumer_secret"]


def test_no_database_row_holds_a_sentinel(published):
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            if hits := leaks(repr(cursor.fetchall())):
                found[table] = hits
    assert found == {}


def test_no_log_record_of_publishing_holds_a_sentinel(published):
    logged = "\n".join(published)
    # Both the post and the refusal were logged: otherwise this would prove nothing.
    assert 'POST /2/tweets HTTP/1.1" 201' in logged
    assert "X refused the credentials of @refused" in logged
    assert leaks(logged) == []


def test_no_admin_page_shows_a_sentinel(published, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-123456"))
    good = XAccount.objects.get(handle="sentinel")
    urls = [
        reverse("admin:publishing_xaccount_changelist"),
        reverse("admin:publishing_xaccount_change", args=[good.pk]),
        reverse("admin:publishing_publishingtask_changelist"),
        reverse("admin:publishing_publishinglog_changelist"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content) == [], url


def test_the_api_never_returns_a_sentinel(published, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-123456"))
    good = XAccount.objects.get(handle="sentinel")
    for url in ("/api/v1/accounts/", f"/api/v1/accounts/{good.pk}/", "/api/v1/logs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaks(response.content) == [], url


def test_dumpdata_holds_only_ciphertext(published):
    out = StringIO()
    call_command("dumpdata", stdout=out)
    assert '"model": "publishing.xaccount"' in out.getvalue()
    assert leaks(out.getvalue()) == []


def test_a_backup_holds_only_ciphertext(published, backup_dir):
    backup = backup_create(name="sentinel")
    assert backup.row_counts["publishing_xaccount"] == 2
    assert leaks(_backup_plain_bytes(Path(backup.path))) == []


def _backup_plain_bytes(path: Path) -> bytes:
    """The backup uncompressed: the SQLite file, or pg_restore's SQL for a dump."""
    if path.name.endswith(".gz"):
        return gzip.decompress(path.read_bytes())
    done = subprocess.run(["pg_restore", "-f", "-", str(path)], capture_output=True, check=True)
    assert b"COPY public.publishing_xaccount" in done.stdout
    return done.stdout
