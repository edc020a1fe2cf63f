"""Every answer of the emulator matches X's OpenAPI document (publishing/xsandbox/openapi.json).

The other test_xsandbox_* modules run the same check after each test (xsandbox_conformance);
this one drives every endpoint through success and failure in one session."""

import base64

import requests
import xdk
from xdk.media.models import (
    AppendUploadRequest,
    CreateMetadataRequest,
    InitializeUploadRequest,
    UploadRequest,
)
from xdk.posts.models import CreateRequest

from publishing.xsandbox import DEMO_ACCOUNT, ENDPOINTS
from publishing.xsandbox.messages import Reply
from tests.fixtures.xsandbox import account_client, http_error, openapi_violations

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def exercise_posts(sandbox, client):
    first = client.posts.create(CreateRequest(text="first")).data
    client.posts.create(CreateRequest(text="reply", reply={"in_reply_to_tweet_id": first.id}))
    http_error(lambda: client.posts.create(CreateRequest(text="first")))  # 403 duplicate
    http_error(lambda: client.posts.create(CreateRequest(text="x" * 281)))  # 400
    fields = ["created_at", "public_metrics", "attachments", "author_id", "referenced_posts"]
    client.posts.get_by_ids([first.id, "1"], post_fields=fields, expansions=["author_id"])
    client.posts.get_by_id(first.id, post_fields=fields)
    client.posts.get_by_id("1")
    list(client.users.get_posts(DEMO_ACCOUNT.user_id, max_results=5, post_fields=fields))
    list(client.users.get_posts("1000000099"))  # unknown user: 200 with errors
    list(client.users.get_posts(DEMO_ACCOUNT.user_id, start_time="2001-01-01T00:00:00Z"))
    http_error(lambda: list(client.users.get_posts(DEMO_ACCOUNT.user_id, max_results=500)))
    client.users.get_me()
    client.posts.delete(first.id)
    http_error(lambda: client.posts.delete("1"))  # 404


def exercise_media(client):
    init = client.media.initialize_upload(
        InitializeUploadRequest(media_type="video/mp4", total_bytes=4, media_category="tweet_video")
    ).data
    client.media.append_upload(init.id, AppendUploadRequest(media=b64(b"abcd"), segment_index=0))
    client.media.finalize_upload(init.id)
    client.media.get_upload_status(init.id, command="STATUS")
    client.media.get_upload_status(init.id, command="STATUS")
    client.posts.create(CreateRequest(text="video", media={"media_ids": [init.id]}))
    image = client.media.upload(UploadRequest(media=b64(PNG), media_category="tweet_image")).data
    client.media.get_upload_status(image.id)
    client.media.create_metadata(
        CreateMetadataRequest(id=image.id, metadata={"alt_text": {"text": "alt"}})
    )
    http_error(lambda: client.media.get_upload_status("1"))  # 404
    http_error(
        lambda: client.media.append_upload(init.id, AppendUploadRequest(media="", segment_index=1))
    )
    big = client.media.initialize_upload(
        InitializeUploadRequest(
            media_type="video/mp4", total_bytes=6 << 20, media_category="tweet_video"
        )
    ).data
    chunk = AppendUploadRequest(media=b64(b"\x00" * (5 * 1024 * 1024 + 1)), segment_index=0)
    http_error(lambda: client.media.append_upload(big.id, chunk))  # 413


def exercise_failures(sandbox, client):
    http_error(lambda: account_client(sandbox, DEMO_ACCOUNT, consumer_secret="x").users.get_me())
    sandbox.set_faults({"endpoint": "GET /2/users/me", "action": "error", "status": 503})
    http_error(client.users.get_me)
    sandbox.configure(rate_limits={"GET /2/users/me": 0})
    sandbox.clear_faults()
    http_error(client.users.get_me)  # 429
    reader = xdk.Client(base_url=sandbox.base_url, bearer_token=DEMO_ACCOUNT.bearer_token)
    reader.usage.get()
    headers = {"Authorization": f"Bearer {DEMO_ACCOUNT.bearer_token}"}
    requests.post(f"{sandbox.base_url}/2/tweets", json={"text": "app"}, headers=headers, timeout=5)


def test_every_answer_of_a_full_session_conforms_to_the_openapi_document(xsandbox):
    client = xsandbox.client()

    exercise_posts(xsandbox, client)
    exercise_media(client)
    exercise_failures(xsandbox, client)

    answered = {endpoint for endpoint, _ in xsandbox.emulator.exchanges}
    statuses = {reply.status for _, reply in xsandbox.emulator.exchanges}
    assert answered == set(ENDPOINTS)
    assert statuses >= {200, 201, 400, 401, 403, 404, 413, 429, 503}
    assert openapi_violations(xsandbox) == []


def test_the_conformance_check_catches_a_body_that_breaks_the_schema(xsandbox):
    bad = Reply(201, {"data": {"id": "not-a-number", "text": "x"}})
    xsandbox.emulator.exchanges.append(("POST /2/tweets", bad))

    [violation] = openapi_violations(xsandbox)

    assert violation.startswith("POST /2/tweets 201: data/id")
