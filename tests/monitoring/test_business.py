"""Business figures: success rate, lateness, headroom, posts per day, and what X
charges at the configured prices (a link costs more), queue included."""

from datetime import UTC, date, datetime, timedelta

import pytest

from monitoring import selectors
from publishing.models import MediaUpload, PublishingLog, RateLimitState
from tests.fixtures.publishing import TaskFactory, XAccountFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def published(n: int, *, at: datetime, late: float = 0.0, text: str = "Hello") -> None:
    for _ in range(n):
        TaskFactory(
            status="published",
            post_id=f"{TaskFactory._meta.model.objects.count() + 1000}",
            text=text,
            scheduled_at=at - timedelta(seconds=late),
            published_at=at,
        )


def test_success_rate_counts_attempts_in_the_window(db, time_machine):
    task = TaskFactory()
    time_machine.move_to(NOW - timedelta(hours=2), tick=False)
    for status in ["success", "success", "success", "failure"]:
        PublishingLog.objects.create(task=task, status=status, execution_time=0.1)
    time_machine.move_to(NOW - 3 * DAY, tick=False)
    PublishingLog.objects.create(task=task, status="failure", execution_time=0.1)
    rate = selectors.publish_success_rate(since=NOW - DAY, until=NOW)
    assert rate == {"attempts": 4, "successes": 3, "rate": 0.75}


def test_no_attempts_means_no_rate_rather_than_zero(db):
    assert selectors.publish_success_rate(since=NOW - DAY, until=NOW)["rate"] is None


def test_lateness_is_published_minus_scheduled(db):
    for seconds in [0.5, 1.0, 1.5, 2.0, 30.0]:
        published(1, at=NOW - timedelta(hours=1), late=seconds)
    late = selectors.publish_lateness(since=NOW - DAY, until=NOW)
    assert (late["count"], late["p50"], late["max"]) == (5, 1.5, 30.0)


def test_posts_per_day(db):
    published(2, at=NOW - 2 * DAY)
    published(3, at=NOW - DAY)
    rows = selectors.posts_per_day(since=NOW - 7 * DAY, until=NOW)
    assert rows == [(date(2026, 3, 8), 2), (date(2026, 3, 9), 3)]


def test_headroom_per_account_and_a_bucket_past_its_reset_is_full(db):
    account = XAccountFactory()
    RateLimitState.objects.create(
        scope=f"user:{account.pk}",
        bucket="post_15m",
        limit=100,
        remaining=7,
        reset_at=NOW + timedelta(minutes=5),
    )
    RateLimitState.objects.create(
        scope="app",
        bucket="post_app_24h",
        limit=10000,
        remaining=0,
        reset_at=NOW - timedelta(minutes=1),
    )
    rows = {(r["account"], r["bucket"]): r for r in selectors.rate_limit_headroom(now=NOW)}
    assert rows[(f"@{account.handle}", "post_15m")]["remaining"] == 7
    assert rows[(f"@{account.handle}", "post_15m")]["fraction"] == 0.07
    assert rows[("app", "post_app_24h")]["remaining"] == 10000


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("Just words, no link.", 0.015),
        ("Read more at https://example.com/post", 0.20),
        ("Bare domains count too: example.com", 0.20),
        ("Version 1.5 is out.", 0.015),
    ],
)
def test_a_post_with_a_link_costs_more(db, text, price):
    # Prices are runtime configuration (publishing.prices_usd), read from the database.
    assert selectors.post_price(text) == price


def test_spend_uses_the_configured_prices(db, settings):
    settings.X_API_PRICES = {"post": 0.01, "post_with_url": 0.5, "media_metadata": 0.005}
    published(3, at=NOW - timedelta(hours=1))
    published(1, at=NOW - timedelta(hours=1), text="See https://example.com")
    published(5, at=NOW - 40 * DAY)  # last month: not counted
    spend = selectors.x_api_spend(since=NOW - DAY, until=NOW)
    assert spend == {"posts": 4, "posts_with_url": 1, "media_metadata": 0, "cost": 0.53}


def test_alt_texts_are_billed_as_media_metadata_calls(db, time_machine):
    time_machine.move_to(NOW - timedelta(hours=1), tick=False)
    MediaUpload.objects.create(
        account=XAccountFactory(),
        sha256="0" * 64,
        size=10,
        media_type="image/png",
        media_id="1",
        state="ready",
        alt_text="A paper plane",
        expires_at=NOW + DAY,
    )
    spend = selectors.x_api_spend(since=NOW - DAY, until=NOW)
    assert spend["media_metadata"] == 1
    assert spend["cost"] == 0.005


def test_the_queue_projects_its_cost_before_it_runs(db):
    TaskFactory.create_batch(10, status="pending")
    TaskFactory(status="retry_wait", text="Link: https://example.com")
    TaskFactory(status="cancelled")
    TaskFactory(status="failed")
    assert selectors.queue_projected_cost() == {"posts": 11, "posts_with_url": 1, "cost": 0.35}
