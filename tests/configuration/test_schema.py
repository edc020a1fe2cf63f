"""The schema: ranges, the cross-field rules, every problem at once, and the defaults
taken from Django settings while no version is stored."""

import pytest
from pydantic import ValidationError

from configuration.schema import Config, ConfigInvalid
from configuration.selectors import config_current, config_default, config_retry_policy
from configuration.services import config_validate
from twitterpub.settings import base

pytestmark = pytest.mark.django_db


def problems(document: dict) -> list[str]:
    with pytest.raises(ConfigInvalid) as refused:
        config_validate(document)
    return refused.value.problems


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            {"publishing": {"retry": {"network": {"base_seconds": 60, "cap_seconds": 30}}}},
            "publishing.retry.network: cap_seconds (30) must be at least base_seconds (60)",
        ),
        (
            {"publishing": {"max_concurrent_tasks": 2, "max_concurrent_per_account": 3}},
            "publishing: max_concurrent_per_account (3) must not exceed max_concurrent_tasks (2)",
        ),
        (
            {"performance": {"throttle": {"cpu_slow": 90, "cpu_pause": 90}}},
            "performance.throttle: cpu_slow (90) must be below cpu_pause (90)",
        ),
        (
            {"performance": {"throttle": {"memory_slow": 96, "memory_pause": 95}}},
            "performance.throttle: memory_slow (96) must be below memory_pause (95)",
        ),
        (
            {"performance": {"retention": {"raw_days": 30, "hour_days": 7}}},
            "performance.retention: hour_days (7) must be at least raw_days (30)",
        ),
        (
            {"performance": {"retention": {"hour_days": 90, "day_days": 30}}},
            "performance.retention: day_days (30) must be at least hour_days (90)",
        ),
        (
            {"notifications": {"retry": {"base_seconds": 60, "cap_seconds": 10}}},
            "notifications.retry: cap_seconds (10) must be at least base_seconds (60)",
        ),
        (
            {"scheduling": {"preferred_hours": [], "blackout_hours": list(range(24))}},
            "scheduling: all 24 hours are blackout hours: nothing could ever be scheduled",
        ),
        (
            {"scheduling": {"preferred_hours": [1, 2], "blackout_hours": [1, 2, 3]}},
            "scheduling: every preferred hour is also a blackout hour",
        ),
    ],
)
def test_each_cross_field_rule_refuses_with_its_path(document, problem):
    assert problems(document) == [problem]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"scheduling": {"preferred_hours": [9, 24]}}, "scheduling.preferred_hours.1:"),
        ({"scheduling": {"preferred_hours": [9, 9]}}, "scheduling.preferred_hours: an hour"),
        ({"publishing": {"max_concurrent_tasks": 0}}, "publishing.max_concurrent_tasks:"),
        ({"performance": {"throttle": {"cpu_slow": 101}}}, "performance.throttle.cpu_slow:"),
        ({"security": {"api_throttle": {"user": "fast"}}}, "security.api_throttle.user: 'fast'"),
        ({"notifications": {"email_from": "ops"}}, "notifications.email_from: 'ops' is not"),
        ({"notifications": {"webhooks": []}}, "notifications.webhooks: unknown setting"),
        ({"publishing": {"colour": "blue"}}, "publishing.colour: unknown setting"),
        ({"version": 2}, "version: Input should be 1"),
        ({"environment": "moon"}, "environment: Input should be"),
        ({"publishing": "fast"}, "publishing: Input should be a valid dictionary"),
    ],
)
def test_values_out_of_range_or_of_the_wrong_kind_are_refused(document, problem):
    (found,) = problems(document)
    assert found.startswith(problem)


def test_every_problem_is_listed_even_rules_of_a_section_with_a_bad_field():
    found = problems(
        {
            "publishing": {
                "max_concurrent_tasks": 2,
                "max_concurrent_per_account": 3,
                "retry": {"network": {"base_seconds": 60, "cap_seconds": 10, "max_attempts": 0}},
            },
            "performance": {"throttle": {"cpu_slow": 90, "cpu_pause": 80, "memory_slow": 150}},
            "environment": "moon",
        }
    )

    assert sorted(found) == sorted(
        [
            "environment: Input should be 'development', 'staging', 'production' or 'test'",
            "publishing.retry.network.max_attempts: Input should be greater than or equal to 1",
            "performance.throttle.memory_slow: Input should be less than or equal to 100",
            "publishing.retry.network: cap_seconds (10) must be at least base_seconds (60)",
            "publishing: max_concurrent_per_account (3) must not exceed max_concurrent_tasks (2)",
            "performance.throttle: cpu_slow (90) must be below cpu_pause (80)",
        ]
    )


def test_a_pause_level_of_null_means_never_and_allows_any_slow_level():
    config = config_validate({"performance": {"throttle": {"cpu_slow": 99, "cpu_pause": None}}})

    assert config.performance.throttle.cpu_pause is None


def test_a_document_with_one_section_takes_the_defaults_for_the_rest():
    config = config_validate({"publishing": {"max_concurrent_tasks": 6}})

    assert config.publishing.max_concurrent_tasks == 6
    assert config.scheduling == config_default().scheduling
    assert config.publishing.retry == config_default().publishing.retry


def test_the_config_is_frozen():
    with pytest.raises(ValidationError):
        config_current().publishing.max_concurrent_tasks = 9


ENGINE_SETTINGS = (
    "MAX_CONCURRENT_TASKS",
    "MAX_CONCURRENT_PER_ACCOUNT",
    "PUBLISH_RETRY_POLICIES",
    "RESOURCE_THRESHOLDS",
    "REST_FRAMEWORK",
    "MONITORING_RETENTION",
    "MONITORING_NOTIFY_RETRY",
    "MONITORING_EMAIL_FROM",
    "MONITORING_WEBHOOK_TIMEOUT_SECONDS",
    "X_API_PRICES",
)


def test_the_schema_defaults_are_the_settings_of_base_py(settings):
    """A file that leaves a value out, or a fresh install, behaves as before."""
    for name in ENGINE_SETTINGS:  # test settings lower some of them
        setattr(settings, name, getattr(base, name))

    derived = config_default()

    assert derived == Config(environment=derived.environment)
    assert derived.performance.throttle.cpu_pause is None  # CPU never pauses by default


def test_without_a_version_the_settings_are_in_force_and_overrides_apply_at_once(settings):
    settings.MAX_CONCURRENT_TASKS = 7
    settings.MAX_CONCURRENT_PER_ACCOUNT = 3
    settings.PUBLISH_RETRY_POLICIES = {
        "network": {"base": 2, "cap": 20, "max_attempts": 4},
        "unknown": {"base": 9, "cap": 90, "max_attempts": 2},
    }
    settings.RESOURCE_THRESHOLDS = {
        "cpu_slow": 70.0,
        "cpu_pause": 101.0,
        "memory_slow": 80.0,
        "memory_pause": 90.0,
    }

    config = config_current()

    assert config.publishing.max_concurrent_tasks == 7
    assert config.publishing.max_concurrent_per_account == 3
    assert config_retry_policy("network") == {"base": 2, "cap": 20, "max_attempts": 4}
    # Classes the settings do not name take the "unknown" policy, as the engine always did.
    assert config_retry_policy("media") == {"base": 9, "cap": 90, "max_attempts": 2}
    # 101% is never reached: it reads as "never".
    assert config.performance.throttle.cpu_pause is None
    assert config.performance.throttle.cpu_slow == 70.0


def test_more_per_account_than_in_all_is_read_from_settings_as_the_total(settings):
    settings.MAX_CONCURRENT_TASKS = 1
    settings.MAX_CONCURRENT_PER_ACCOUNT = 2

    assert config_current().publishing.max_concurrent_per_account == 1
