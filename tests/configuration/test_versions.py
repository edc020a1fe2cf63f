"""Stored versions: who changed what, the diff, one version in force, rollback, and the
engine reading the version in force."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from configuration import selectors
from configuration.models import ConfigVersion
from configuration.schema import ConfigInvalid
from configuration.selectors import config_current, config_retry_policy, config_value
from configuration.services import (
    ConfigConflict,
    ConfigUnchanged,
    ConfigVersionMissing,
    config_parse,
    config_rollback,
    config_version_create,
)
from monitoring.selectors import post_price
from monitoring.services.notify import retry_delay
from projects.services import project_create
from publishing.services import dispatch
from publishing.services.retries import retry_policy
from security.apikeys import apikey_create
from tests.fixtures.content import make_plain_project

pytestmark = pytest.mark.django_db


def save(author_name="alice", **publishing) -> ConfigVersion:
    return config_version_create(
        document={"publishing": publishing}, author_name=author_name, comment="test"
    )


def test_the_first_version_records_its_author_and_its_diff_against_the_defaults(owner):
    version = config_version_create(
        document={"publishing": {"max_concurrent_tasks": 3}},
        author=owner,
        author_name=owner.username,
        comment="more posts at once",
    )

    assert (version.number, version.author, version.author_name) == (1, owner, "owner")
    assert version.diff == [{"path": "publishing.max_concurrent_tasks", "old": 1, "new": 3}]
    assert version.data["publishing"]["max_concurrent_tasks"] == 3
    # The whole document is stored, defaults filled in.
    assert version.data["performance"]["retention"]["day_days"] == 5 * 365


def test_the_highest_version_is_in_force_and_shows_in_this_process_at_once():
    save(max_concurrent_tasks=3)
    assert config_value("publishing.max_concurrent_tasks") == 3

    second = save(max_concurrent_tasks=5, max_concurrent_per_account=5)

    assert config_value("publishing.max_concurrent_tasks") == 5
    assert second.diff == [
        {"path": "publishing.max_concurrent_tasks", "old": 3, "new": 5},
        {"path": "publishing.max_concurrent_per_account", "old": 1, "new": 5},
    ]


def test_an_invalid_document_stores_nothing_and_leaves_the_config_in_force():
    save(max_concurrent_tasks=3)

    with pytest.raises(ConfigInvalid):
        save(max_concurrent_tasks=0)

    assert ConfigVersion.objects.count() == 1
    assert config_value("publishing.max_concurrent_tasks") == 3


def test_a_document_equal_to_the_version_in_force_adds_no_version():
    save(max_concurrent_tasks=3)

    with pytest.raises(ConfigUnchanged):
        save(max_concurrent_tasks=3)

    assert ConfigVersion.objects.count() == 1


def test_an_edit_started_before_another_save_is_refused_rather_than_undoing_it():
    save(max_concurrent_tasks=3)
    save(author_name="bob", max_concurrent_tasks=2)

    with pytest.raises(ConfigConflict, match="version 2 was saved by bob after version 1"):
        config_version_create(
            document={"publishing": {"max_concurrent_tasks": 4}}, author_name="alice", based_on=1
        )
    assert config_value("publishing.max_concurrent_tasks") == 2


def test_rollback_adds_a_version_equal_to_the_old_one():
    first = save(max_concurrent_tasks=3)
    save(max_concurrent_tasks=6)

    back = config_rollback(number=1, author_name="carol")

    assert (back.number, back.rollback_of, back.author_name) == (3, 1, "carol")
    assert back.data == first.data
    assert back.diff == [{"path": "publishing.max_concurrent_tasks", "old": 6, "new": 3}]
    assert back.comment == "rollback to version 1"
    assert config_value("publishing.max_concurrent_tasks") == 3
    assert ConfigVersion.objects.count() == 3


def test_rollback_to_a_missing_version_changes_nothing():
    save(max_concurrent_tasks=3)

    with pytest.raises(ConfigVersionMissing, match="no configuration version 9"):
        config_rollback(number=9, author_name="carol")

    assert ConfigVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("publishing: [1,\n", "line 2, column 1:"),
        ("", "(top level): the document is empty"),
        ("- a\n- b\n", "(top level): the document must be a mapping"),
        ("a: !!python/object/apply:os.system ['true']\n", "line 1, column 4:"),
    ],
)
def test_unreadable_yaml_is_refused_with_where_it_breaks(text, problem):
    with pytest.raises(ConfigInvalid) as refused:
        config_parse(text)

    assert refused.value.problems[0].startswith(problem)


def test_another_process_s_version_is_seen_after_the_revalidation_interval(monkeypatch):
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock.now)
    assert config_value("publishing.max_concurrent_tasks") == 1
    # As another process would: straight into the table, no cache cleared here.
    data = config_current().model_dump(mode="json")
    data["publishing"]["max_concurrent_tasks"] = 4
    ConfigVersion.objects.create(number=1, data=data, author_name="elsewhere")

    clock.now += selectors.REVALIDATE_SECONDS / 2
    assert config_value("publishing.max_concurrent_tasks") == 1  # cached: no query yet
    clock.now += selectors.REVALIDATE_SECONDS
    assert config_value("publishing.max_concurrent_tasks") == 4


def test_the_five_second_promise_holds_by_construction(settings):
    """A version reaches a process at its next read after the revalidation interval; the
    dispatcher reads at least every DISPATCH_POLL_SECONDS. Together: under 5 s."""
    assert selectors.REVALIDATE_SECONDS + settings.DISPATCH_POLL_SECONDS < 5


def test_the_dispatcher_and_retries_read_the_version_in_force(monkeypatch):
    monkeypatch.setattr(dispatch.psutil, "cpu_percent", lambda interval=None: 50.0)
    monkeypatch.setattr(dispatch.psutil, "virtual_memory", lambda: SimpleNamespace(percent=50.0))
    monkeypatch.setattr(dispatch, "_load", dispatch._Load())
    config_version_create(
        document={
            "publishing": {
                "max_concurrent_tasks": 6,
                "retry": {"media": {"base_seconds": 7, "cap_seconds": 70, "max_attempts": 2}},
            },
            "performance": {"throttle": {"cpu_slow": 40, "cpu_pause": 60}},
        },
        author_name="alice",
    )

    # CPU 50% is over the stored slow level (40): half of the stored 6 slots.
    assert dispatch.concurrency_now() == 3
    assert retry_policy("media") == {"base": 7, "cap": 70, "max_attempts": 2}
    assert config_retry_policy("no-such-class") == retry_policy("unknown")


def test_new_projects_take_the_scheduling_defaults_in_force(owner, content_root):
    folder = make_plain_project(content_root, "blog")
    config_version_create(
        document={
            "scheduling": {"daily_max": 9, "preferred_hours": [8, 20], "missed_policy": "skip"}
        },
        author_name="alice",
    )

    chosen = project_create(owner=owner, name="Blog", path=str(folder))
    own = project_create(owner=owner, name="Own", path=str(folder), daily_max=2)

    chosen.refresh_from_db()
    assert (chosen.daily_max, chosen.preferred_hours, chosen.missed_policy) == (9, [8, 20], "skip")
    assert own.daily_max == 2  # what a caller gives wins


def test_monitoring_prices_and_notification_retries_follow_the_version_in_force():
    config_version_create(
        document={
            "publishing": {"prices_usd": {"post": 0.02}},
            "notifications": {"retry": {"base_seconds": 5, "cap_seconds": 50, "max_attempts": 2}},
        },
        author_name="alice",
    )

    assert post_price("Just words, no link.") == 0.02
    assert retry_delay(2) == timedelta(seconds=10)


def test_api_keys_made_without_a_date_get_the_configured_lifetime(owner):
    owner.is_superuser = True
    owner.save()
    forever = apikey_create(user=owner, role="Admin").api_key
    config_version_create(document={"security": {"api_key_expiry_days": 30}}, author_name="a")

    limited = apikey_create(user=owner, role="Admin").api_key
    chosen = apikey_create(user=owner, role="Admin", expires_at=timezone.now() + timedelta(days=2))

    assert forever.expires_at is None
    assert timedelta(days=29) < limited.expires_at - timezone.now() <= timedelta(days=30)
    assert chosen.api_key.expires_at - timezone.now() <= timedelta(days=2)
