"""The emulator's post endpoints, driven through the real xdk client."""

from datetime import UTC, datetime, timedelta

import pytest
from xdk.posts.models import CreateRequest

from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.xsandbox import account_client, demo_posts, http_error

pytestmark = pytest.mark.usefixtures("xsandbox_conformance")

DUPLICATE_BODY = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "title": "Forbidden",
    "status": 403,
    "type": "about:blank",
}


def post(client, text="", **fields):
    return client.posts.create(CreateRequest(text=text, **fields)).data


def test_it_creates_a_post_and_returns_its_id_and_text(xsandbox, xsandbox_client):
    created = post(xsandbox_client, "Hello, X")

    assert created.text == "Hello, X"
    assert created.id.isdigit() and len(created.id) <= 19
    [stored] = demo_posts(xsandbox)
    assert stored["id"] == created.id and stored["text"] == "Hello, X"


def test_post_ids_grow_like_snowflakes(xsandbox_client):
    ids = [int(post(xsandbox_client, f"post {n}").id) for n in range(5)]

    assert ids == sorted(ids) and len(set(ids)) == 5


def test_a_post_can_be_read_back_and_deleted_by_its_author(xsandbox, xsandbox_client):
    created = post(xsandbox_client, "short-lived")

    assert xsandbox_client.posts.get_by_id(created.id).data.text == "short-lived"
    assert xsandbox_client.posts.delete(created.id).data.deleted is True
    assert xsandbox_client.posts.get_by_id(created.id).data is None
    assert demo_posts(xsandbox)[0]["deleted"] is True


def test_only_the_author_can_delete_a_post(xsandbox, xsandbox_client):
    created = post(xsandbox_client, "mine")
    other = xsandbox.client(xsandbox.add_account(user_id="1000000002", username="other"))

    response = http_error(lambda: other.posts.delete(created.id))

    assert response.status_code == 403
    assert demo_posts(xsandbox)[0]["deleted"] is False


def test_it_refuses_duplicate_text_with_xs_exact_403_body(xsandbox_client):
    post(xsandbox_client, "Same words")

    response = http_error(lambda: post(xsandbox_client, "Same words"))

    assert response.status_code == 403
    assert response.json() == DUPLICATE_BODY


def test_duplicates_are_found_after_nfc_normalisation_and_stripping(xsandbox_client):
    post(xsandbox_client, "Caf\u00e9 opens")  # precomposed é

    response = http_error(lambda: post(xsandbox_client, "  Cafe\u0301 opens\n"))  # e + accent

    assert response.status_code == 403


def test_the_same_text_is_fine_again_after_the_duplicate_window(xsandbox, xsandbox_client):
    xsandbox.configure(duplicate_window_secs=0)
    post(xsandbox_client, "Every day")

    assert post(xsandbox_client, "Every day").text == "Every day"


def test_another_account_may_post_the_same_text(xsandbox, xsandbox_client):
    other = xsandbox.client(xsandbox.add_account(user_id="1000000002", username="other"))
    post(xsandbox_client, "Shared words")

    assert post(other, "Shared words").text == "Shared words"


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * 280, True),
        ("a" * 281, False),
        ("中" * 140, True),  # CJK weighs 2
        ("中" * 141, False),
        ("😀" * 140, True),  # so does every emoji
        ("see https://example.com/" + "x" * 300 + " " + "b" * 250, True),  # URLs weigh 23
    ],
)
def test_it_weighs_text_like_x(xsandbox_client, text, fits):
    if fits:
        assert post(xsandbox_client, text).id
    else:
        response = http_error(lambda: post(xsandbox_client, text))
        assert response.status_code == 400
        assert "too long" in response.json()["errors"][0]["message"]


def test_a_premium_account_posts_up_to_its_own_limit(xsandbox, xsandbox_client):
    xsandbox.configure(char_limits={DEMO_ACCOUNT.user_id: 25_000})

    assert post(xsandbox_client, "long " * 4_000).id
    assert http_error(lambda: post(xsandbox_client, "z" * 25_001)).status_code == 400


def test_it_rejects_a_post_without_text_or_media(xsandbox_client):
    response = http_error(lambda: post(xsandbox_client, "   "))

    assert response.status_code == 400
    assert response.json()["type"].endswith("/2/problems/invalid-request")


def test_it_rejects_fields_outside_the_schema(xsandbox, xsandbox_client):
    response = http_error(lambda: post(xsandbox_client, "hi", colour="red"))

    assert response.status_code == 400
    assert "colour" in response.json()["errors"][0]["message"]
    assert demo_posts(xsandbox) == []


def test_it_stores_replies_to_own_posts_and_the_ai_disclosure(xsandbox, xsandbox_client):
    first = post(xsandbox_client, "1/2 a thread")

    second = post(
        xsandbox_client, "2/2 end", reply={"in_reply_to_tweet_id": first.id}, made_with_ai=True
    )

    stored = {item["id"]: item for item in demo_posts(xsandbox)}[second.id]
    assert stored["reply_to"] == first.id and stored["made_with_ai"] is True


def test_it_refuses_replies_to_others_who_did_not_mention_the_account(xsandbox, xsandbox_client):
    stranger = xsandbox.client(xsandbox.add_account(user_id="1000000002", username="stranger"))
    plain = post(stranger, "no mention here")
    mention = post(stranger, f"hey @{DEMO_ACCOUNT.username}, thoughts?")

    refused = http_error(
        lambda: post(xsandbox_client, "hi", reply={"in_reply_to_tweet_id": plain.id})
    )
    accepted = post(xsandbox_client, "sure", reply={"in_reply_to_tweet_id": mention.id})

    assert refused.status_code == 403 and "Reply to this conversation" in refused.json()["detail"]
    assert accepted.id


def test_the_timeline_filters_by_start_time_newest_first(xsandbox, xsandbox_client):
    now = datetime.now(UTC)
    for hours in (30, 20, 10, 5):
        xsandbox.seed_post(f"{hours} hours ago", created_at=now - timedelta(hours=hours))
    start = (now - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")

    [page] = xsandbox_client.users.get_posts(
        DEMO_ACCOUNT.user_id, start_time=start, post_fields=["created_at"]
    )

    assert [item.text for item in page.data] == ["5 hours ago", "10 hours ago"]
    assert page.meta.result_count == 2 and page.meta.next_token is None
    assert page.meta.newest_id == page.data[0].id and page.data[0].created_at.endswith("Z")


def test_the_timeline_pages_through_every_post_once(xsandbox_client):
    created = [post(xsandbox_client, f"post {n}").id for n in range(12)]

    pages = list(xsandbox_client.users.get_posts(DEMO_ACCOUNT.user_id, max_results=5))

    assert [page.meta.result_count for page in pages] == [5, 5, 2]
    assert [item.id for page in pages for item in page.data] == created[::-1]


def test_the_timeline_reports_media_and_skips_deleted_posts(xsandbox, xsandbox_client):
    kept, gone = post(xsandbox_client, "kept"), post(xsandbox_client, "gone")
    xsandbox_client.posts.delete(gone.id)

    [page] = xsandbox_client.users.get_posts(
        DEMO_ACCOUNT.user_id, since_id=str(int(kept.id) - 1), post_fields=["attachments"]
    )

    assert [item.id for item in page.data] == [kept.id]
    assert page.data[0].attachments is None


def test_the_timeline_refuses_max_results_outside_5_to_100(xsandbox_client):
    response = http_error(
        lambda: list(xsandbox_client.users.get_posts(DEMO_ACCOUNT.user_id, max_results=4))
    )

    assert response.status_code == 400


def test_lookup_returns_metrics_that_grow_with_age_and_errors_for_missing_ids(
    xsandbox, xsandbox_client
):
    now = datetime.now(UTC)
    old = xsandbox.seed_post("two days old", created_at=now - timedelta(days=2))
    new = post(xsandbox_client, "brand new")

    result = xsandbox_client.posts.get_by_ids(
        [old["id"], new.id, "12345"], post_fields=["public_metrics", "created_at"]
    )

    old_metrics, new_metrics = (item.public_metrics for item in result.data)
    assert old_metrics.impression_count > new_metrics.impression_count >= 0
    assert old_metrics.like_count > 0
    assert [error.resource_id for error in result.errors] == ["12345"]


def test_metrics_are_deterministic(xsandbox, xsandbox_client):
    seeded = xsandbox.seed_post("steady", created_at=datetime(2020, 1, 1, tzinfo=UTC))

    def metrics():
        [item] = xsandbox_client.posts.get_by_ids(
            [seeded["id"]], post_fields=["public_metrics"]
        ).data
        return item.public_metrics.model_dump()

    assert metrics() == metrics()


def test_lookup_refuses_more_than_100_ids(xsandbox_client):
    ids = [str(n) for n in range(1, 102)]

    assert http_error(lambda: xsandbox_client.posts.get_by_ids(ids)).status_code == 400


def test_a_client_for_an_unknown_account_is_refused(xsandbox):
    stranger = account_client(xsandbox, DEMO_ACCOUNT, access_token="999-unknown")

    assert http_error(lambda: post(stranger, "hi")).status_code == 401


def test_it_can_refuse_replies_to_ones_own_posts_as_x_may_since_feb_2026(xsandbox, xsandbox_client):
    xsandbox.configure(self_replies_allowed=False)
    first = post(xsandbox_client, "1/2 a thread")

    refused = http_error(
        lambda: post(xsandbox_client, "2/2 end", reply={"in_reply_to_tweet_id": first.id})
    )

    assert refused.status_code == 403 and refused.json()["type"] == "about:blank"
    assert "Reply to this conversation is not allowed" in refused.json()["detail"]
    assert [p["text"] for p in demo_posts(xsandbox)] == ["1/2 a thread"]


def test_a_true_false_setting_takes_only_true_or_false(xsandbox):
    with pytest.raises(ValueError, match="expected true or false"):
        xsandbox.configure(self_replies_allowed="false")
