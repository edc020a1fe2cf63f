"""State across restarts, the control API, and the xsandbox command."""

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command
from xdk.posts.models import CreateRequest

from publishing.xsandbox import DEMO_ACCOUNT, XSandbox
from tests.fixtures.xsandbox import control, http_error

pytestmark = pytest.mark.usefixtures("xsandbox_conformance")

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"


def create(client, text):
    return client.posts.create(CreateRequest(text=text))


def test_posts_accounts_and_counters_survive_a_restart(tmp_path):
    state = tmp_path / "xsandbox.sqlite3"
    with XSandbox(state, rate_limits={"POST /2/tweets": 3}) as first:
        other = first.add_account(user_id="1000000002", username="other", char_limit=25_000)
        created = create(first.client(), "before the restart")
        create(first.client(other), "other's post")

    with XSandbox(state, rate_limits={"POST /2/tweets": 3}) as second:
        client = second.client()
        [page] = client.users.get_posts(DEMO_ACCOUNT.user_id)
        duplicate = http_error(lambda: create(client, "before the restart"))  # counts, as on X
        create(client, "one more")
        limited = http_error(lambda: create(client, "over the limit"))
        restored = {account.user_id: account for account in second.accounts()}

    assert [item.id for item in page.data] == [created.data.id]
    assert duplicate.status_code == 403 and limited.status_code == 429
    assert restored["1000000002"].char_limit == 25_000


def test_new_ids_stay_above_the_stored_ones_after_a_restart(tmp_path):
    state = tmp_path / "xsandbox.sqlite3"
    with XSandbox(state) as first:
        before = int(create(first.client(), "first life").data.id)
    with XSandbox(state) as second:
        after = int(create(second.client(), "second life").data.id)

    assert after > before


def test_reset_wipes_posts_and_counters_but_keeps_accounts(xsandbox, xsandbox_client):
    xsandbox.add_account(user_id="1000000002", username="other")
    create(xsandbox_client, "to be wiped")
    xsandbox.set_faults({"action": "latency", "ms": 1})

    answer = control(xsandbox, "POST", "reset").json()

    assert answer == {"reset": True}
    assert xsandbox.posts() == [] and xsandbox.request_counts() == {} and xsandbox.faults() == []
    assert {account.username for account in xsandbox.accounts()} == {"twitterpub_demo", "other"}
    assert create(xsandbox_client, "to be wiped").data.id


def test_an_account_added_through_the_control_api_can_post(xsandbox):
    answer = control(
        xsandbox, "POST", "accounts", json={"user_id": "1000000003", "username": "brand"}
    )
    account = xsandbox.accounts()[-1]

    created = create(xsandbox.client(account), "hello from brand")

    assert answer.status_code == 201 and answer.json()["data"]["username"] == "brand"
    assert xsandbox.posts("1000000003")[0]["id"] == created.data.id


def test_the_control_api_lists_posts_per_user(xsandbox, xsandbox_client):
    create(xsandbox_client, "demo post")

    mine = control(xsandbox, "GET", "posts", params={"user_id": DEMO_ACCOUNT.user_id}).json()
    theirs = control(xsandbox, "GET", "posts", params={"user_id": "1000000099"}).json()

    assert [post["text"] for post in mine["data"]] == ["demo post"] and theirs["data"] == []


def test_config_changes_through_the_control_api(xsandbox, xsandbox_client):
    answer = control(
        xsandbox,
        "POST",
        "config",
        json={"rate_limits": {"POST /2/tweets": 1}, "char_limits": {DEMO_ACCOUNT.user_id: 500}},
    ).json()
    create(xsandbox_client, "x" * 500)

    assert answer["rate_limits"]["POST /2/tweets"] == 1 and answer["rate_limits"]["*"] == 900
    assert http_error(lambda: create(xsandbox_client, "again")).status_code == 429


def test_the_control_api_rejects_unknown_config_keys(xsandbox):
    response = control(xsandbox, "POST", "config", json={"speed": 11})

    assert response.status_code == 400 and "speed" in response.json()["error"]


def test_the_control_api_reports_health_and_seeds_posts(xsandbox):
    seeded = control(
        xsandbox,
        "POST",
        "posts",
        json={"text": "from the past", "created_at": "2026-01-02T03:04:05Z"},
    ).json()["data"]

    assert control(xsandbox, "GET", "health").json()["status"] == "ok"
    assert seeded["created_at"] == "2026-01-02T03:04:05.000Z"


def test_unknown_api_paths_answer_404(xsandbox):
    assert requests.get(f"{xsandbox.base_url}/2/spaces", timeout=5).status_code == 404


def test_the_command_refuses_a_public_address_without_allow_remote():
    with pytest.raises(CommandError, match="--allow-remote"):
        call_command("xsandbox", host="0.0.0.0")


@pytest.mark.slow
def test_the_command_serves_until_sigterm_and_exits_cleanly(tmp_path):
    state = tmp_path / "command.sqlite3"
    command = [sys.executable, str(MANAGE_PY), "xsandbox", "--port", "0", "--state", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        base_url = line.split()[2]
        health = requests.get(f"{base_url}/_sandbox/health", timeout=5).json()
    finally:
        process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=10) == 0
    assert "sandbox-consumer-key" in line and health["status"] == "ok"
    assert state.exists()
