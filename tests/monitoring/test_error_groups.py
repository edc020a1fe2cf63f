"""The error center: publishing's failures grouped by class, counted once each,
acknowledged and resolved by a person, re-opened by a new failure."""

from datetime import UTC, datetime, timedelta

import pytest

from monitoring import selectors
from monitoring.models import ErrorGroup
from monitoring.services.errors import (
    error_group_acknowledge,
    error_group_resolve,
    error_groups_ingest,
)
from publishing.models import PublishingLog
from tests.fixtures.publishing import TaskFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def task(db):
    return TaskFactory()


def fail(task, error_class: str, error: str = "boom", status: str = "failure", http=None):
    return PublishingLog.objects.create(
        task=task,
        status=status,
        error=error,
        error_class=error_class,
        http_status=http,
        execution_time=0.1,
    )


def test_failures_are_grouped_by_their_class_with_recent_examples(task):
    fail(task, "rate_limit", "429 Too Many Requests", http=429)
    fail(task, "rate_limit", "429 again", http=429)
    fail(task, "network", "connection reset", status="unknown")
    PublishingLog.objects.create(task=task, status="success", execution_time=0.1)
    assert error_groups_ingest(now=NOW) == 3
    groups = {g.error_class: g for g in ErrorGroup.objects.all()}
    assert {k: g.count for k, g in groups.items()} == {"rate_limit": 2, "network": 1}
    assert [e["error"] for e in groups["rate_limit"].examples] == [
        "429 again",
        "429 Too Many Requests",
    ]
    assert groups["network"].examples[0]["outcome"] == "unknown"


def test_each_failure_is_counted_once(task):
    fail(task, "media")
    error_groups_ingest(now=NOW)
    fail(task, "media")
    error_groups_ingest(now=NOW)
    error_groups_ingest(now=NOW)
    assert ErrorGroup.objects.get().count == 2


def test_a_failure_without_a_known_class_is_unknown(task):
    fail(task, "")
    fail(task, "cosmic_rays")
    error_groups_ingest(now=NOW)
    assert ErrorGroup.objects.get().error_class == "unknown"


def test_examples_keep_only_the_latest_few(task):
    for n in range(8):
        fail(task, "system", f"error {n}")
    error_groups_ingest(now=NOW)
    examples = ErrorGroup.objects.get().examples
    assert [e["error"] for e in examples] == ["error 7", "error 6", "error 5", "error 4", "error 3"]


def test_acknowledged_then_resolved_then_reopened_by_a_new_failure(task):
    fail(task, "auth")
    error_groups_ingest(now=NOW)
    group = ErrorGroup.objects.get()
    assert error_group_acknowledge(group=group, user="alice", now=NOW)
    assert not error_group_acknowledge(group=group, user="bob", now=NOW)  # not open any more
    assert error_group_resolve(group=group, user="alice", now=NOW)
    group.refresh_from_db()
    assert (group.status, group.acknowledged_by, group.resolved_by) == (
        "resolved",
        "alice",
        "alice",
    )

    fail(task, "auth")
    error_groups_ingest(now=NOW)
    group.refresh_from_db()
    assert (group.status, group.count, group.resolved_by) == ("open", 2, "")


def test_trends_compare_the_last_day_with_the_one_before(task, time_machine):
    for hours_ago, error_class in [(1, "network"), (2, "network"), (30, "network"), (5, "content")]:
        time_machine.move_to(NOW - timedelta(hours=hours_ago), tick=False)
        fail(task, error_class)
    trends = selectors.error_group_trends(now=NOW)
    assert trends == {
        "network": {"last_24h": 2, "previous_24h": 1},
        "content": {"last_24h": 1, "previous_24h": 0},
    }
