"""/api/v1/config/: read the configuration and its versions, store a version (every
problem in a 400), roll back; only roles holding the configuration permissions."""

import pytest
from django.urls import reverse

from configuration.models import ConfigVersion
from configuration.selectors import config_value
from configuration.services import config_version_create

pytestmark = pytest.mark.django_db
CURRENT = reverse("config-current")
VERSIONS = reverse("config-version-list")
ROLLBACK = reverse("config-rollback")


@pytest.fixture
def admin(role_client):
    return role_client("Admin")


def test_get_current_returns_the_defaults_before_any_version(admin):
    body = admin.get(CURRENT).json()

    assert body["version"] is None
    assert body["config"]["publishing"]["max_concurrent_tasks"] == 1


def test_post_a_version_as_json_or_yaml_text(admin):
    made = admin.post(VERSIONS, {"config": {"scheduling": {"daily_max": 7}}, "comment": "api"})
    text = admin.post(VERSIONS, {"text": "scheduling:\n  daily_max: 8\n", "format": "yaml"})

    assert made.status_code == 201
    assert made.json()["changes"] == [{"path": "scheduling.daily_max", "old": 5, "new": 7}]
    assert text.status_code == 201 and text.json()["version"] == 2
    assert config_value("scheduling.daily_max") == 8
    assert ConfigVersion.objects.get(number=1).author_name == "admin-user"
    listed = admin.get(VERSIONS).json()
    assert [row["version"] for row in listed] == [2, 1]
    detail = admin.get(reverse("config-version-detail", kwargs={"pk": 1})).json()
    assert detail["config"]["scheduling"]["daily_max"] == 7


def test_an_invalid_document_is_a_400_listing_every_problem_and_stores_nothing(admin):
    response = admin.post(
        VERSIONS,
        {
            "config": {
                "publishing": {"max_concurrent_tasks": 0},
                "performance": {"throttle": {"cpu_slow": 90, "cpu_pause": 80}},
            }
        },
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["config"] == [
        "publishing.max_concurrent_tasks: Input should be greater than or equal to 1",
        "performance.throttle: cpu_slow (90) must be below cpu_pause (80)",
    ]
    assert ConfigVersion.objects.count() == 0


def test_a_stale_edit_is_a_409_and_unreadable_yaml_a_400(admin):
    config_version_create(document={"scheduling": {"daily_max": 2}}, author_name="bob")

    stale = admin.post(VERSIONS, {"config": {"scheduling": {"daily_max": 3}}, "based_on": 0})
    broken = admin.post(VERSIONS, {"text": "a: [1,\n"})

    assert stale.status_code == 409
    assert broken.status_code == 400
    assert broken.json()["error"]["fields"]["config"][0].startswith("line 2, column 1:")
    assert ConfigVersion.objects.count() == 1


def test_rollback_adds_a_version_equal_to_the_old_one(admin):
    config_version_create(document={"scheduling": {"daily_max": 2}}, author_name="bob")
    config_version_create(document={"scheduling": {"daily_max": 3}}, author_name="bob")

    response = admin.post(ROLLBACK, {"version": 1})
    missing = admin.post(ROLLBACK, {"version": 9})

    assert response.status_code == 201
    assert (response.json()["version"], response.json()["rollback_of"]) == (3, 1)
    assert config_value("scheduling.daily_max") == 2
    assert missing.status_code == 404


def test_an_operator_may_change_the_configuration(role_client):
    operator = role_client("Operator")

    assert operator.get(CURRENT).status_code == 200
    assert operator.post(VERSIONS, {"config": {"scheduling": {"daily_max": 4}}}).status_code == 201


@pytest.mark.parametrize("role", ["Editor", "Viewer"])
def test_roles_without_the_configuration_permissions_are_refused(role_client, role):
    client = role_client(role)

    assert client.get(CURRENT).status_code == 403
    assert client.post(VERSIONS, {"config": {}}).status_code == 403
    assert ConfigVersion.objects.count() == 0


def test_api_rates_follow_the_version_in_force_without_a_restart(admin):
    assert admin.get(CURRENT).status_code == 200
    config_version_create(
        document={"security": {"api_throttle": {"user": "2/min", "apikey": "2/min"}}},
        author_name="bob",
    )

    # The first request above was counted under the old rate; the new one allows 2.
    assert admin.get(CURRENT).status_code == 200
    assert admin.get(CURRENT).status_code == 429
