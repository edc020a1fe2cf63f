"""The Gemini key is never stored: it lives in the environment (GEMINI_API_KEY or
GEMINI_API_KEY_FILE) and in process memory only (docs/operations.md, "Secrets"). A
sentinel key, used for real against the emulator (accepted, refused, failing), is found
in no log record, no database row and no answer of any GET endpoint of the API."""

import logging

import pytest
from django.db import connection
from django.urls import reverse

from publishing.gemini_emulator import DEFAULT_MODE
from publishing.geminiclient import GeminiError, generate
from tests.api.test_permission_matrix import ENDPOINTS
from tests.fixtures.api import key_client, user_in_role

pytestmark = pytest.mark.django_db

SENTINEL = "AIzaSENTINELgemini5f1c"


def ask():
    return generate(
        "Title: Kites\n", model="gemini-2.5-flash", temperature=0.5, max_output_tokens=64
    )


@pytest.fixture
def gemini_with_sentinel(gemini_settings, settings, caplog):
    caplog.set_level(logging.DEBUG)
    settings.GEMINI_API_KEY = SENTINEL
    gemini_settings.configure(api_key=SENTINEL)
    return gemini_settings


def test_the_sentinel_key_is_really_used_and_never_logged(gemini_with_sentinel, caplog):
    assert ask().text
    gemini_with_sentinel.configure(mode="error")
    with pytest.raises(GeminiError) as failing:
        ask()
    gemini_with_sentinel.configure(mode=DEFAULT_MODE, api_key="another-key")
    with pytest.raises(GeminiError) as refused:
        ask()
    assert refused.value.kind == "auth"  # the emulator checked the key we sent
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert logged  # the calls were logged, so the search below means something
    assert SENTINEL not in logged
    assert SENTINEL not in f"{failing.value} {refused.value}"


def test_no_database_row_holds_the_gemini_key(gemini_with_sentinel):
    ask()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            assert SENTINEL not in repr(cursor.fetchall()), table


def test_no_get_endpoint_of_the_api_returns_the_gemini_key(gemini_with_sentinel, api_cache):
    ask()
    admin = key_client(user_in_role("Admin", "root", is_superuser=True), "Admin")
    pages = sorted({e.name for e in ENDPOINTS if e.method == "get" and "pk>" not in e.route})
    assert {"config-current", "monitoring-health", "task-list", "api-schema"} <= set(pages)
    for name in pages:
        response = admin.get(reverse(name))
        assert response.status_code < 500, name
        assert SENTINEL.encode() not in response.content, name
