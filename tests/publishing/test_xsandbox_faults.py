"""Fault injection: 5xx, latency, late answers and dropped connections."""

import functools

import pytest
import requests
from xdk.posts.models import CreateRequest

from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.xsandbox import control, http_error, wait_until

pytestmark = pytest.mark.usefixtures("xsandbox_conformance")

CREATE = "POST /2/tweets"


def create(client, text):
    return client.posts.create(CreateRequest(text=text))


def with_timeout(client, seconds: float):
    """xdk has no timeout setting; its requests.Session can carry one."""
    client.session.request = functools.partial(client.session.request, timeout=seconds)
    return client


def statuses_of_me(client, times: int) -> list[int]:
    url = f"{client.base_url}/2/users/me"
    signed = [client.auth.build_request_header("GET", url) for _ in range(times)]
    return [requests.get(url, headers={"Authorization": h}, timeout=5).status_code for h in signed]


def test_a_count_fault_fails_exactly_the_next_n_requests(xsandbox, xsandbox_client):
    xsandbox.set_faults({"endpoint": CREATE, "action": "error", "status": 503, "count": 3})

    failures = [http_error(lambda n=n: create(xsandbox_client, f"try {n}")) for n in range(3)]
    created = create(xsandbox_client, "try 3")

    assert [response.status_code for response in failures] == [503, 503, 503]
    # X names its problem types with URIs on its own host; the suite never contacts it.
    assert failures[0].json()["type"].endswith("/2/problems/internal-error")
    assert [post["text"] for post in xsandbox.posts()] == [created.data.text]
    assert xsandbox.request_counts()[CREATE] == 4
    assert xsandbox.request_outcomes()[CREATE] == {"503": 3, "201": 1}
    assert xsandbox.faults() == []


def test_a_probabilistic_fault_repeats_with_its_seed(xsandbox, xsandbox_client):
    rule = {"action": "error", "status": 500, "probability": 0.5, "seed": 7}

    xsandbox.set_faults(rule)
    first = statuses_of_me(xsandbox_client, 20)
    xsandbox.set_faults(rule)
    second = statuses_of_me(xsandbox_client, 20)

    assert first == second
    assert set(first) == {200, 500}


def test_latency_delays_the_request_before_it_acts(xsandbox, xsandbox_client):
    xsandbox.set_faults({"endpoint": CREATE, "action": "latency", "ms": 300})
    impatient = with_timeout(xsandbox_client, 0.05)

    with pytest.raises(requests.Timeout):
        create(impatient, "slow")

    wait_until(lambda: xsandbox.posts())
    assert xsandbox.posts()[0]["text"] == "slow"


def test_a_timeout_fault_acts_and_answers_after_the_client_gave_up(xsandbox, xsandbox_client):
    xsandbox.set_faults({"endpoint": CREATE, "action": "timeout", "seconds": 0.5, "count": 1})
    impatient = with_timeout(xsandbox_client, 0.05)

    with pytest.raises(requests.Timeout):
        create(impatient, "outcome unknown")

    wait_until(lambda: xsandbox.posts())
    assert xsandbox.posts()[0]["text"] == "outcome unknown"
    assert create(xsandbox.client(), "next one").data.text == "next one"


def test_accept_then_drop_stores_the_post_but_the_client_sees_a_dead_connection(
    xsandbox, xsandbox_client
):
    xsandbox.set_faults({"endpoint": CREATE, "action": "accept_then_drop", "count": 1})

    with pytest.raises(requests.ConnectionError):
        create(xsandbox_client, "did it post?")

    posts = control(xsandbox, "GET", "posts").json()["data"]
    assert [post["text"] for post in posts] == ["did it post?"]
    assert xsandbox.request_outcomes()[CREATE] == {"accepted_then_dropped": 1}
    # A blind retry now meets X's duplicate check.
    assert http_error(lambda: create(xsandbox_client, "did it post?")).status_code == 403


def test_drop_closes_the_connection_without_acting(xsandbox, xsandbox_client):
    xsandbox.set_faults({"endpoint": CREATE, "action": "drop", "count": 1})

    with pytest.raises(requests.ConnectionError):
        create(xsandbox_client, "lost")

    assert xsandbox.posts() == []
    assert xsandbox.request_counts()[CREATE] == 1
    assert create(xsandbox_client, "lost").data.text == "lost"


def test_faults_target_endpoints_by_pattern_and_users(xsandbox, xsandbox_client):
    other = xsandbox.client(xsandbox.add_account(user_id="1000000002", username="other"))
    xsandbox.set_faults(
        {"endpoint": "POST /2/media/*", "action": "error", "status": 500},
        {"endpoint": CREATE, "action": "error", "status": 503, "user_id": "1000000002"},
    )

    assert create(xsandbox_client, "unaffected").data.id
    assert http_error(lambda: create(other, "affected")).status_code == 503
    assert http_error(lambda: xsandbox_client.media.finalize_upload("1")).status_code == 500


def test_faults_are_set_and_cleared_through_the_control_api(xsandbox, xsandbox_client):
    rules = {"rules": [{"endpoint": CREATE, "action": "error", "status": 503, "count": 2}]}

    listed = control(xsandbox, "POST", "faults", json=rules).json()["rules"]
    http_error(lambda: create(xsandbox_client, "one"))
    remaining = control(xsandbox, "GET", "faults").json()["rules"][0]["remaining"]
    cleared = control(xsandbox, "DELETE", "faults").json()["rules"]

    assert listed[0]["remaining"] == 2 and remaining == 1 and cleared == []
    assert create(xsandbox_client, "one").data.id


def test_the_control_api_rejects_a_malformed_fault(xsandbox):
    response = control(xsandbox, "POST", "faults", json={"action": "explode"})

    assert response.status_code == 400 and "action" in response.json()["error"]


def test_requests_that_fail_authentication_are_still_counted(xsandbox):
    requests.post(f"{xsandbox.base_url}/2/tweets", json={"text": "unsigned"}, timeout=5)

    assert xsandbox.request_counts() == {CREATE: 1}
    assert xsandbox.request_outcomes() == {CREATE: {"401": 1}}
    assert xsandbox.posts(DEMO_ACCOUNT.user_id) == []
