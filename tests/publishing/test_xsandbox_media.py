"""Media upload v2 on the emulator, through xdk: chunked and one-shot uploads, alt text."""

import base64

import pytest
import requests
from xdk.media.models import (
    AppendUploadRequest,
    CreateMetadataRequest,
    InitializeUploadRequest,
    UploadRequest,
)
from xdk.posts.models import CreateRequest

from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.xsandbox import demo_posts, http_error

pytestmark = pytest.mark.usefixtures("xsandbox_conformance")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64
MIB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def chunked(client, data: bytes, media_type="video/mp4", category="tweet_video", chunk=4):
    """initialize + append (in `chunk`-byte segments) + finalize; returns the finalize data."""
    init = client.media.initialize_upload(
        InitializeUploadRequest(
            media_type=media_type, total_bytes=len(data), media_category=category
        )
    )
    for index, start in enumerate(range(0, len(data), chunk)):
        segment = AppendUploadRequest(media=b64(data[start : start + chunk]), segment_index=index)
        client.media.append_upload(init.data.id, segment)
    return client.media.finalize_upload(init.data.id).data


def poll_until_done(client, media_id: str) -> list[str]:
    states = []
    while not states or states[-1] in ("pending", "in_progress"):
        info = client.media.get_upload_status(media_id, command="STATUS").data.processing_info
        states.append(info.state)
    return states


def one_shot(client, data=PNG, category="tweet_image"):
    return client.media.upload(UploadRequest(media=b64(data), media_category=category)).data


def test_a_chunked_video_is_processed_then_posted(xsandbox, xsandbox_client):
    finalized = chunked(xsandbox_client, b"video bytes " * 10)

    states = poll_until_done(xsandbox_client, finalized.id)
    created = xsandbox_client.posts.create(
        CreateRequest(text="a video", media={"media_ids": [finalized.id]})
    )

    assert finalized.processing_info.state == "pending"
    assert finalized.media_key == f"7_{finalized.id}" and finalized.size == 120
    assert states == ["in_progress", "succeeded"]
    assert demo_posts(xsandbox)[0]["media_ids"] == [finalized.id] and created.data.id


def test_processing_takes_the_configured_number_of_polls(xsandbox, xsandbox_client):
    xsandbox.configure(processing_polls=4, check_after_secs=3)
    finalized = chunked(xsandbox_client, b"gif!" * 8, media_type="image/gif", category="tweet_gif")

    states = poll_until_done(xsandbox_client, finalized.id)

    assert finalized.processing_info.check_after_secs == 3
    assert states == ["in_progress", "in_progress", "in_progress", "succeeded"]


def test_a_video_cannot_be_posted_before_processing_succeeds(xsandbox_client):
    finalized = chunked(xsandbox_client, b"0123456789")

    response = http_error(
        lambda: xsandbox_client.posts.create(
            CreateRequest(text="too soon", media={"media_ids": [finalized.id]})
        )
    )

    assert response.status_code == 400
    assert "not ready" in response.json()["errors"][0]["message"]


def test_processing_can_be_made_to_fail(xsandbox, xsandbox_client):
    xsandbox.set_faults(
        {"endpoint": "POST /2/media/upload/:id/finalize", "action": "fail_processing"}
    )
    finalized = chunked(xsandbox_client, b"broken video")

    assert poll_until_done(xsandbox_client, finalized.id)[-1] == "failed"


def test_finalize_refuses_segments_that_do_not_add_up(xsandbox_client):
    init = xsandbox_client.media.initialize_upload(
        InitializeUploadRequest(
            media_type="video/mp4", total_bytes=100, media_category="tweet_video"
        )
    )
    xsandbox_client.media.append_upload(
        init.data.id, AppendUploadRequest(media=b64(b"short"), segment_index=0)
    )

    response = http_error(lambda: xsandbox_client.media.finalize_upload(init.data.id))

    assert response.status_code == 400
    assert "do not add up" in response.json()["errors"][0]["message"]


def test_an_append_over_5_mib_is_refused_with_413(xsandbox_client):
    init = xsandbox_client.media.initialize_upload(
        InitializeUploadRequest(
            media_type="video/mp4", total_bytes=6 * MIB, media_category="tweet_video"
        )
    )
    big = AppendUploadRequest(media=b64(b"\x00" * (5 * MIB + 1)), segment_index=0)

    response = http_error(lambda: xsandbox_client.media.append_upload(init.data.id, big))

    assert response.status_code == 413


def test_initialize_refuses_files_over_the_category_limit(xsandbox_client):
    too_big = InitializeUploadRequest(
        media_type="image/png", total_bytes=5 * MIB + 1, media_category="tweet_image"
    )

    response = http_error(lambda: xsandbox_client.media.initialize_upload(too_big))

    assert response.status_code == 400


def test_a_retried_segment_replaces_the_first_attempt(xsandbox, xsandbox_client):
    init = xsandbox_client.media.initialize_upload(
        InitializeUploadRequest(media_type="video/mp4", total_bytes=6, media_category="tweet_video")
    )
    for _ in range(2):
        xsandbox_client.media.append_upload(
            init.data.id, AppendUploadRequest(media=b64(b"abcdef"), segment_index=0)
        )

    assert xsandbox_client.media.finalize_upload(init.data.id).data.size == 6
    assert xsandbox.media()[0]["total_bytes"] == 6


def test_append_also_takes_multipart_form_data(xsandbox):
    client = xsandbox.client()
    init = client.media.initialize_upload(
        InitializeUploadRequest(media_type="video/mp4", total_bytes=5, media_category="tweet_video")
    )
    url = f"{xsandbox.base_url}/2/media/upload/{init.data.id}/append"
    # Multipart bodies are not part of an OAuth 1.0a signature.
    authorization = client.auth.build_request_header("POST", url, "")

    response = requests.post(
        url,
        headers={"Authorization": authorization},
        files={"media": ("chunk.bin", b"hello")},
        data={"segment_index": "0"},
        timeout=5,
    )

    assert response.status_code == 200
    assert client.media.finalize_upload(init.data.id).data.size == 5


def test_a_one_shot_image_carries_alt_text_into_a_post(xsandbox, xsandbox_client):
    image = one_shot(xsandbox_client)
    metadata = CreateMetadataRequest(id=image.id, metadata={"alt_text": {"text": "A red kite"}})

    answer = xsandbox_client.media.create_metadata(metadata).data
    created = xsandbox_client.posts.create(
        CreateRequest(text="look", media={"media_ids": [image.id]})
    )
    [page] = xsandbox_client.users.get_posts(
        DEMO_ACCOUNT.user_id, post_fields=["attachments"], expansions=["attachments.media_keys"]
    )

    assert image.media_key == f"3_{image.id}" and image.image.image_type == "image/png"
    assert answer.associated_metadata == {"alt_text": {"text": "A red kite"}}
    assert page.data[0].id == created.data.id
    assert page.data[0].attachments.media_keys == [image.media_key]
    assert page.includes.media[0].alt_text == "A red kite"


def test_one_shot_upload_is_for_images_only(xsandbox_client):
    response = http_error(lambda: one_shot(xsandbox_client, GIF, category="tweet_gif"))

    assert response.status_code == 400


def test_one_shot_upload_refuses_bytes_that_are_no_image(xsandbox_client):
    assert http_error(lambda: one_shot(xsandbox_client, b"plain text")).status_code == 400


def test_a_post_takes_four_images_but_not_five(xsandbox_client):
    images = [one_shot(xsandbox_client).id for _ in range(5)]

    four = xsandbox_client.posts.create(CreateRequest(text="4", media={"media_ids": images[:4]}))
    five = http_error(
        lambda: xsandbox_client.posts.create(CreateRequest(text="5", media={"media_ids": images}))
    )

    assert four.data.id and five.status_code == 400


def test_a_post_cannot_mix_a_gif_with_an_image(xsandbox_client):
    gif = chunked(xsandbox_client, GIF, media_type="image/gif", category="tweet_gif")
    poll_until_done(xsandbox_client, gif.id)
    image = one_shot(xsandbox_client)

    response = http_error(
        lambda: xsandbox_client.posts.create(
            CreateRequest(text="mix", media={"media_ids": [gif.id, image.id]})
        )
    )

    assert response.status_code == 400


def test_media_belongs_to_the_account_that_uploaded_it(xsandbox, xsandbox_client):
    image = one_shot(xsandbox_client)
    other = xsandbox.client(xsandbox.add_account(user_id="1000000002", username="other"))

    response = http_error(
        lambda: other.posts.create(CreateRequest(text="not mine", media={"media_ids": [image.id]}))
    )

    assert response.status_code == 400
    assert http_error(lambda: other.media.get_upload_status(image.id)).status_code == 404


def test_expired_media_cannot_be_posted(xsandbox, xsandbox_client):
    xsandbox.configure(media_expiry_secs=0)
    image = one_shot(xsandbox_client)

    response = http_error(
        lambda: xsandbox_client.posts.create(
            CreateRequest(text="late", media={"media_ids": [image.id]})
        )
    )

    assert response.status_code == 400 and "expired" in response.json()["errors"][0]["message"]


def test_the_emulator_keeps_hashes_not_bytes(xsandbox, xsandbox_client):
    image = one_shot(xsandbox_client)

    [stored] = xsandbox.media()

    assert stored["id"] == image.id and len(stored["sha256"]) == 64
    assert "bytes" not in stored and stored["total_bytes"] == len(PNG)
