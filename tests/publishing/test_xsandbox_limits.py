"""OAuth 1.0a and rate limits on the emulator."""

import time

import pytest
import requests
import xdk
from xdk.posts.models import CreateRequest

from publishing.xsandbox import DEMO_ACCOUNT, XSandbox
from tests.fixtures.xsandbox import account_client, http_error

pytestmark = pytest.mark.usefixtures("xsandbox_conformance")

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
TOO_MANY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}


def create(client, text):
    return client.posts.create(CreateRequest(text=text))


class FakeClock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def test_a_wrong_consumer_secret_is_unauthorized_with_xs_body(xsandbox):
    client = account_client(xsandbox, DEMO_ACCOUNT, consumer_secret="not-the-secret")

    response = http_error(lambda: create(client, "hi"))

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert xsandbox.posts() == []


def test_a_wrong_token_secret_is_unauthorized_on_reads_too(xsandbox):
    client = account_client(xsandbox, DEMO_ACCOUNT, access_token_secret="stale")

    assert http_error(client.users.get_me).status_code == 401


def test_query_parameters_are_part_of_the_signature(xsandbox):
    client = xsandbox.client()
    url = f"{xsandbox.base_url}/2/users/{DEMO_ACCOUNT.user_id}/tweets"
    signed = client.auth.build_request_header("GET", f"{url}?max_results=5", "")

    response = requests.get(
        url, params={"max_results": "6"}, headers={"Authorization": signed}, timeout=5
    )

    assert response.status_code == 401


def test_a_signature_older_than_five_minutes_is_unauthorized(xsandbox):
    client = xsandbox.client()
    client.auth._generate_timestamp = lambda: str(int(time.time()) - 301)

    assert http_error(lambda: create(client, "hi")).status_code == 401


def bearer_get(sandbox, path, token):
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{sandbox.base_url}{path}", headers=headers, timeout=5)


def test_bearer_tokens_are_refused_on_user_endpoints(xsandbox):
    assert bearer_get(xsandbox, "/2/users/me", DEMO_ACCOUNT.access_token).status_code == 401


def test_usage_takes_the_app_bearer_token_as_the_openapi_document_requires(xsandbox):
    reader = xdk.Client(base_url=xsandbox.base_url, bearer_token=DEMO_ACCOUNT.bearer_token)
    author = xsandbox.client()
    created = create(author, "read me")
    author.posts.get_by_ids([created.data.id])

    usage = reader.usage.get(days=3).data

    assert usage.project_usage == "1"
    assert len(usage.daily_project_usage.usage) == 3
    assert bearer_get(xsandbox, "/2/users/me", DEMO_ACCOUNT.bearer_token).status_code == 403


def test_every_answer_carries_rate_limit_headers(xsandbox):
    response = requests.get(f"{xsandbox.base_url}/2/users/me", timeout=5)  # unsigned: 401
    client = xsandbox.client()
    client.users.get_me()
    client.users.get_me()

    headers = client.session.get(
        f"{xsandbox.base_url}/2/users/me",
        headers={
            "Authorization": client.auth.build_request_header(
                "GET", f"{xsandbox.base_url}/2/users/me"
            )
        },
    ).headers

    assert response.status_code == 401
    assert headers["x-rate-limit-limit"] == "900"
    assert headers["x-rate-limit-remaining"] == "897"
    assert int(headers["x-rate-limit-reset"]) > time.time()


def test_post_creation_also_carries_the_24_hour_buckets(xsandbox):
    client = xsandbox.client()
    create(client, "first")

    response = client.session.post(
        f"{xsandbox.base_url}/2/tweets",
        json={"text": "second"},
        headers={
            "Authorization": client.auth.build_request_header(
                "POST", f"{xsandbox.base_url}/2/tweets"
            )
        },
    )

    assert response.status_code == 201
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        assert response.headers[f"{prefix}-remaining"] == str(
            int(response.headers[f"{prefix}-limit"]) - 2
        )
        assert int(response.headers[f"{prefix}-reset"]) > time.time()


def test_it_answers_429_after_the_limit_with_a_reset_time_and_no_retry_after(xsandbox):
    xsandbox.configure(rate_limits={"POST /2/tweets": 2})
    client = xsandbox.client()
    create(client, "one")
    create(client, "two")

    response = http_error(lambda: create(client, "three"))

    assert response.status_code == 429
    assert response.json() == TOO_MANY
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert int(response.headers["x-rate-limit-reset"]) >= time.time()
    assert "retry-after" not in response.headers
    assert [post["text"] for post in xsandbox.posts()] == ["one", "two"]


def test_limits_are_per_user_and_per_endpoint(xsandbox):
    xsandbox.configure(rate_limits={"POST /2/tweets": 1})
    demo, other = (
        xsandbox.client(),
        xsandbox.client(xsandbox.add_account(user_id="1000000002", username="other")),
    )
    create(demo, "demo's one post")

    assert create(other, "other's one post").data.id
    assert demo.users.get_me().data.id == DEMO_ACCOUNT.user_id


def test_the_app_wide_24_hour_limit_spans_accounts(xsandbox):
    xsandbox.configure(post_app_24h_limit=2)
    demo, other = (
        xsandbox.client(),
        xsandbox.client(xsandbox.add_account(user_id="1000000002", username="other")),
    )
    create(demo, "a")
    create(other, "b")

    response = http_error(lambda: create(demo, "c"))

    assert response.status_code == 429 and response.headers["x-app-limit-24hour-remaining"] == "0"


def test_a_window_resets_after_its_emulated_15_minutes(tmp_path):
    clock = FakeClock()
    # The fake clock also judges OAuth timestamps, which xdk takes from the real one.
    with XSandbox(clock=clock, time_scale=60, oauth_max_age_secs=10**6) as sandbox:
        sandbox.configure(rate_limits={"POST /2/tweets": 1})
        client = sandbox.client()
        create(client, "before")
        refused = http_error(lambda: create(client, "during"))
        clock.now += 15  # 15 real seconds are 15 emulated minutes at time_scale=60

        assert refused.status_code == 429
        assert int(refused.headers["x-rate-limit-reset"]) <= int(clock.now) + 1
        assert create(client, "after").data.text == "after"
