"""The rate budget from X's headers, and each project's daily cap in its own time zone."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from publishing.models import PublishingTask, RateLimitState
from publishing.services.accounts import account_client
from publishing.services.budget import (
    UNKNOWN_BUDGET,
    budget_available,
    budget_next_reset,
    budget_record,
    budget_record_refusal,
    project_daily_remaining,
)
from publishing.services.retries import task_fail
from publishing.xclient import RateLimit, XError
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory, XAccountFactory

S = PublishingTask.Status
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db
post_ids = count(1)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def create_headers(remaining: int, *, reset: datetime, app: int = 9000, user: int = 900):
    """What a POST /2/tweets answer says: the 15-minute bucket and both 24-hour ones."""
    day = unix(NOW + timedelta(hours=20))
    return RateLimit(
        limit=100,
        remaining=remaining,
        reset=unix(reset),
        user_24h_limit=1000,
        user_24h_remaining=user,
        user_24h_reset=day,
        app_24h_limit=10000,
        app_24h_remaining=app,
        app_24h_reset=day,
    )


def in_flight(account, n: int) -> None:
    for _ in range(n):
        TaskFactory(account=account, status=S.PUBLISHING)


# against the emulator's real headers


def test_the_budget_counts_down_with_each_post_and_honours_a_429_reset(
    xsandbox_settings, sandbox_account
):
    xsandbox_settings.configure(rate_limits={"POST /2/tweets": 3})
    client = account_client(sandbox_account)
    seen = []
    for n in range(3):
        created = client.create_post(f"post {n}")
        budget_record(account=sandbox_account, rate_limit=created.rate_limit, now=timezone.now())
        seen.append(budget_available(account=sandbox_account, now=timezone.now()))
    assert seen == [2, 1, 0]

    with pytest.raises(XError) as refusal:
        client.create_post("one too many")
    task = TaskFactory(account=sandbox_account, status=S.PUBLISHING, attempts=1)
    now = timezone.now()
    assert task_fail(task=task, error=refusal.value, now=now, execution_time=0.01) == S.RETRY_WAIT

    reset = datetime.fromtimestamp(refusal.value.rate_limit.reset, tz=UTC)
    task.refresh_from_db()
    assert reset > now + timedelta(minutes=14)
    assert task.next_attempt_at == reset + timedelta(seconds=1)
    assert budget_next_reset(account=sandbox_account, now=now) == reset
    # the window has reset: the whole limit is there again
    assert budget_available(account=sandbox_account, now=reset + timedelta(seconds=1)) == 3


# recording


def test_before_any_answer_the_budget_is_unknown_and_allows_sending():
    account = XAccountFactory()

    assert budget_available(account=account, now=NOW) == UNKNOWN_BUDGET
    assert budget_next_reset(account=account, now=NOW) is None


def test_headers_of_another_endpoint_do_not_touch_the_post_budget():
    account = XAccountFactory()
    media = RateLimit(limit=900, remaining=0, reset=unix(NOW + timedelta(minutes=3)))

    budget_record(account=account, rate_limit=media, now=NOW)
    budget_record_refusal(account=account, rate_limit=media, now=NOW)

    assert not RateLimitState.objects.exists()


def test_a_late_answer_from_a_concurrent_worker_does_not_raise_the_count():
    account = XAccountFactory()
    reset = NOW + timedelta(minutes=10)

    budget_record(account=account, rate_limit=create_headers(5, reset=reset), now=NOW)
    budget_record(account=account, rate_limit=create_headers(7, reset=reset), now=NOW)
    assert budget_available(account=account, now=NOW) == 5

    later = reset + timedelta(minutes=1)
    budget_record(account=account, rate_limit=create_headers(99, reset=later), now=NOW)
    assert budget_available(account=account, now=NOW) == 99


def test_a_bucket_past_its_reset_counts_as_full():
    account = XAccountFactory()
    reset = NOW + timedelta(minutes=10)
    budget_record(account=account, rate_limit=create_headers(0, reset=reset), now=NOW)

    assert budget_available(account=account, now=reset - timedelta(seconds=1)) == 0
    assert budget_available(account=account, now=reset) == 100


@pytest.mark.parametrize("limit", [None, 0], ids=["no limit header", "a limit of 0"])
def test_an_empty_bucket_of_unknown_limit_stops_counting_at_its_reset_instead_of_sticking(
    limit,
):
    account = XAccountFactory()
    reset = NOW + timedelta(minutes=10)
    headers = replace(create_headers(0, reset=reset), limit=limit)
    budget_record(account=account, rate_limit=headers, now=NOW)

    assert budget_available(account=account, now=reset - timedelta(seconds=1)) == 0
    # The 24-hour user bucket (900 left) is what is known after the reset.
    assert budget_available(account=account, now=reset) == 900


def test_a_refusal_without_an_empty_bucket_in_its_headers_empties_the_15_minute_one():
    account = XAccountFactory()
    reset = NOW + timedelta(minutes=4)

    budget_record_refusal(account=account, rate_limit=create_headers(2, reset=reset), now=NOW)

    assert budget_available(account=account, now=NOW) == 0
    assert budget_next_reset(account=account, now=NOW) == reset


# in flight and shared


def test_posts_in_flight_reduce_the_budget():
    account = XAccountFactory()
    budget_record(
        account=account, rate_limit=create_headers(3, reset=NOW + timedelta(minutes=9)), now=NOW
    )

    in_flight(account, 2)

    assert budget_available(account=account, now=NOW) == 1
    in_flight(account, 2)
    assert budget_available(account=account, now=NOW) == 0


def test_the_app_bucket_is_shared_by_every_account():
    demo, brand = XAccountFactory(), XAccountFactory(handle="brand", is_default=False)
    headers = create_headers(50, reset=NOW + timedelta(minutes=9), app=3)
    budget_record(account=demo, rate_limit=headers, now=NOW)

    assert budget_available(account=brand, now=NOW) == 3
    in_flight(demo, 2)
    assert budget_available(account=brand, now=NOW) == 1


def test_an_exhausted_account_may_send_again_after_its_last_empty_bucket_resets():
    account = XAccountFactory()
    quarter = NOW + timedelta(minutes=9)
    headers = create_headers(0, reset=quarter, user=0)

    budget_record(account=account, rate_limit=headers, now=NOW)

    day = datetime.fromtimestamp(headers.user_24h_reset, tz=UTC)
    assert budget_next_reset(account=account, now=NOW) == day
    assert budget_available(account=account, now=quarter + timedelta(seconds=1)) == 0


# daily caps in the project's zone


def published(project, at: datetime) -> PublishingTask:
    post_id = str(next(post_ids))
    return TaskFactory(project=project, status=S.PUBLISHED, post_id=post_id, published_at=at)


def test_the_daily_cap_starts_again_at_the_projects_local_midnight():
    tokyo = ZoneInfo("Asia/Tokyo")
    project = ProjectRowFactory(timezone="Asia/Tokyo", daily_max=3)
    published(project, datetime(2026, 9, 1, 23, 50, tzinfo=tokyo))
    published(project, datetime(2026, 9, 2, 0, 5, tzinfo=tokyo))

    before_midnight = datetime(2026, 9, 1, 23, 59, tzinfo=tokyo)
    after_midnight = datetime(2026, 9, 2, 0, 30, tzinfo=tokyo)
    assert project_daily_remaining(project=project, now=before_midnight) == 2
    assert project_daily_remaining(project=project, now=after_midnight) == 2
    # midnight in Tokyo is 15:00 UTC: a UTC day would have counted both
    assert project_daily_remaining(project=project, now=datetime(2026, 9, 2, 1, tzinfo=tokyo)) == 2


def test_the_last_hour_of_a_25_hour_day_still_counts_for_that_day():
    berlin = ZoneInfo("Europe/Berlin")  # clocks go back on 25 October 2026
    project = ProjectRowFactory(timezone="Europe/Berlin", daily_max=2)
    published(project, datetime(2026, 10, 25, 23, 30, tzinfo=berlin))

    now = datetime(2026, 10, 25, 23, 45, tzinfo=berlin)

    assert project_daily_remaining(project=project, now=now) == 1


def test_posts_in_flight_or_of_unknown_outcome_count_against_the_cap():
    project = ProjectRowFactory(timezone="UTC", daily_max=3)
    TaskFactory(project=project, status=S.PUBLISHING)
    TaskFactory(project=project, status=S.UNKNOWN, claimed_at=NOW - timedelta(hours=1))
    TaskFactory(project=project, status=S.UNKNOWN, claimed_at=NOW - timedelta(days=1))

    assert project_daily_remaining(project=project, now=NOW) == 1


def test_the_daily_cap_never_goes_below_zero():
    project = ProjectRowFactory(timezone="UTC", daily_max=1)
    published(project, NOW - timedelta(hours=2))
    published(project, NOW - timedelta(hours=1))

    assert project_daily_remaining(project=project, now=NOW) == 0
