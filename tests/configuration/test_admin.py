"""Editing the configuration in the admin: YAML or JSON in a textarea, every problem
shown, versions read-only with their diff, and rollback."""

import json

import pytest
import yaml
from django.urls import reverse

from configuration.models import ConfigVersion
from configuration.selectors import config_value
from configuration.services import config_version_create

pytestmark = pytest.mark.django_db
EDIT = reverse("admin:configuration_configversion_add")
LIST = reverse("admin:configuration_configversion_changelist")


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(user)
    return client


def edited(operator, text: str, *, fmt="yaml", based_on=0, comment="by hand"):
    return operator.post(
        EDIT, {"format": fmt, "text": text, "comment": comment, "based_on": based_on}
    )


def test_the_edit_page_holds_the_configuration_in_force_as_yaml_or_json(operator):
    page = operator.get(EDIT).context["form"]
    as_json = operator.get(EDIT + "?format=json").context["form"]

    assert yaml.safe_load(page["text"].value())["publishing"]["max_concurrent_tasks"] == 1
    assert json.loads(as_json["text"].value())["performance"]["retention"]["raw_days"] == 7


def test_saving_a_valid_edit_stores_a_version_by_the_signed_in_user(operator):
    response = edited(operator, "publishing:\n  max_concurrent_tasks: 3\n")

    assert response.status_code == 302
    version = ConfigVersion.objects.get()
    assert (version.author.username, version.author_name, version.comment) == (
        "root",
        "root",
        "by hand",
    )
    assert config_value("publishing.max_concurrent_tasks") == 3


def test_json_edits_are_accepted_too(operator):
    edited(operator, '{"scheduling": {"daily_max": 8}}', fmt="json")

    assert config_value("scheduling.daily_max") == 8


def test_an_invalid_edit_lists_every_problem_and_stores_nothing(operator):
    response = edited(
        operator,
        "publishing:\n  max_concurrent_tasks: 0\nperformance:\n"
        "  throttle: {cpu_slow: 90, cpu_pause: 80}\nsurprise: 1\n",
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Not saved, nothing changed" in page
    for problem in (
        "publishing.max_concurrent_tasks: Input should be greater than or equal to 1",
        "performance.throttle: cpu_slow (90) must be below cpu_pause (80)",
        "surprise: unknown setting",
    ):
        assert problem in page
    assert ConfigVersion.objects.count() == 0
    # The operator's text stays in the form to be corrected.
    assert "surprise: 1" in response.context["form"]["text"].value()


def test_an_edit_of_a_stale_version_is_refused(operator):
    config_version_create(document={"scheduling": {"daily_max": 2}}, author_name="bob")

    response = edited(operator, "scheduling:\n  daily_max: 9\n", based_on=0)

    assert "version 1 was saved by bob after version 0" in response.content.decode()
    assert config_value("scheduling.daily_max") == 2


def test_versions_are_read_only_and_show_their_diff(operator):
    version = config_version_create(document={"scheduling": {"daily_max": 2}}, author_name="bob")

    listing = operator.get(LIST).content.decode()
    detail = operator.get(
        reverse("admin:configuration_configversion_change", args=[version.pk])
    ).content.decode()

    assert "bob" in listing
    assert "<code>scheduling.daily_max</code>" in detail and "<td>5</td><td>2</td>" in detail
    assert 'name="_save"' not in detail
    delete = reverse("admin:configuration_configversion_delete", args=[version.pk])
    assert operator.post(delete, {"post": "yes"}).status_code == 403
    assert ConfigVersion.objects.count() == 1


def test_the_rollback_action_puts_the_selected_version_back(operator):
    first = config_version_create(document={"scheduling": {"daily_max": 2}}, author_name="bob")
    config_version_create(document={"scheduling": {"daily_max": 7}}, author_name="bob")

    response = operator.post(
        LIST, {"action": "rollback", "_selected_action": [first.pk]}, follow=True
    )

    assert "Version 1 is in force again as version 3" in response.content.decode()
    latest = ConfigVersion.objects.get(number=3)
    assert (latest.rollback_of, latest.author_name) == (1, "root")
    assert config_value("scheduling.daily_max") == 2
