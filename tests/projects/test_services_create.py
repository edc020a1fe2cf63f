import os

import pytest
from django.core.exceptions import ValidationError

from projects.models import Project
from projects.services import project_create
from tests.fixtures.content import make_plain_project, make_uploader_json_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(content_root):
    return make_uploader_json_project(content_root, "maker", n_videos=1)


def create_fails(owner, **values) -> dict[str, list[str]]:
    """The errors by field; asserts nothing was created."""
    values = {"name": "Maker", "path": "/nonexistent", **values}
    with pytest.raises(ValidationError) as caught:
        project_create(owner=owner, **values)
    assert Project.objects.count() == 0
    return caught.value.message_dict


def test_a_project_is_created_with_the_real_path_and_the_detected_layout(owner, folder):
    project = project_create(owner=owner, name="Maker", path=str(folder))

    project.refresh_from_db()
    assert (project.name, project.path, project.layout) == ("Maker", str(folder), "uploader_json")
    assert (project.language, project.timezone, project.owner) == ("en", "UTC", owner)


def test_a_folder_without_uploader_json_is_detected_as_plain(owner, content_root):
    folder = make_plain_project(content_root, "blog")

    assert project_create(owner=owner, name="Blog", path=str(folder)).layout == "plain"


def test_an_explicit_layout_wins_over_detection(owner, folder):
    project = project_create(owner=owner, name="Maker", path=str(folder), layout="plain")

    assert project.layout == "plain"


def test_the_path_is_stored_as_its_real_path(owner, folder, content_root):
    (content_root / "current").symlink_to(folder)

    project = project_create(owner=owner, name="Maker", path=f"{content_root}/current/../maker")

    assert project.path == str(folder)


def test_settings_and_scheduling_are_stored(owner, folder):
    project = project_create(
        owner=owner,
        name="  Maker  ",
        path=str(folder),
        language="ja",
        timezone="Asia/Tokyo",
        daily_max=3,
        preferred_hours=[8, 20],
        blackout_hours=[0, 1],
        missed_policy="skip",
        priority=2,
    )

    project.refresh_from_db()
    assert (project.name, project.language, project.timezone) == ("Maker", "ja", "Asia/Tokyo")
    assert (project.daily_max, project.preferred_hours, project.blackout_hours) == (
        3,
        [8, 20],
        [0, 1],
    )
    assert (project.missed_policy, project.priority) == ("skip", 2)


def test_zh_is_accepted_as_chinese(owner, folder):
    assert project_create(owner=owner, name="M", path=str(folder), language="zh").language == "cn"


@pytest.mark.parametrize("name", ["", "   "])
def test_a_name_is_required(owner, folder, name):
    assert create_fails(owner, name=name, path=str(folder)) == {
        "name": ["Give the project a name."]
    }


def test_a_name_is_unique_per_owner_but_not_across_owners(owner, folder, django_user_model):
    project_create(owner=owner, name="Maker", path=str(folder))
    other = django_user_model.objects.create_user("other")

    with pytest.raises(ValidationError) as caught:
        project_create(owner=owner, name="Maker", path=str(folder))
    assert caught.value.message_dict == {"name": ["You already have a project named 'Maker'."]}
    assert project_create(owner=other, name="Maker", path=str(folder)).owner == other


def test_a_path_outside_the_content_roots_is_refused_naming_the_roots(owner, content_root):
    errors = create_fails(owner, path="/etc")

    assert errors == {"path": [f"/etc is outside the allowed content roots: {content_root}."]}


def test_a_symlink_that_leads_out_of_the_content_roots_is_refused(owner, content_root, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, content_root / "sneaky")

    [message] = create_fails(owner, path=str(content_root / "sneaky"))["path"]

    assert message == (
        f"{content_root}/sneaky (real path {outside}) is outside the allowed content roots: "
        f"{content_root}."
    )


def test_dot_dot_cannot_climb_out_of_the_content_roots(owner, content_root):
    [message] = create_fails(owner, path=f"{content_root}/../..")["path"]

    assert "is outside the allowed content roots" in message


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "The path is empty."),
        ("relative/maker", "The path 'relative/maker' must be absolute."),
        ("/content/a\x00b", "The path '/content/a\\x00b' contains a NUL byte."),
    ],
)
def test_malformed_paths_are_refused(owner, content_root, path, message):
    assert create_fails(owner, path=path) == {"path": [message]}


def test_a_missing_folder_or_a_file_is_refused(owner, content_root):
    (content_root / "file.txt").write_text("x")

    assert create_fails(owner, path=str(content_root / "gone")) == {
        "path": [f"The project folder {content_root / 'gone'} does not exist."]
    }
    assert create_fails(owner, path=str(content_root / "file.txt")) == {
        "path": [f"The project folder {content_root / 'file.txt'} is not a folder."]
    }


def test_an_unknown_language_is_refused(owner, folder):
    assert create_fails(owner, path=str(folder), language="fr") == {
        "language": ["Unknown language 'fr'; choose one of en, cn, ja."]
    }


@pytest.mark.parametrize("zone", ["Mars/Olympus", "utc", "../etc/passwd", "", "America"])
def test_an_unknown_time_zone_is_refused(owner, folder, zone):
    assert create_fails(owner, path=str(folder), timezone=zone) == {
        "timezone": [
            f"Unknown time zone {zone!r}; use an IANA name such as Europe/Paris or Asia/Tokyo."
        ]
    }


def test_an_unknown_layout_is_refused(owner, folder):
    assert create_fails(owner, path=str(folder), layout="zip") == {
        "layout": ["Unknown layout 'zip'; choose one of uploader_json, plain."]
    }


@pytest.mark.parametrize(
    ("scheduling", "field", "message"),
    [
        ({"daily_max": 0}, "daily_max", "The daily maximum must be at least 1."),
        ({"preferred_hours": [9, 24]}, "preferred_hours", "Hours must be a list of whole hours"),
        ({"blackout_hours": "1,2"}, "blackout_hours", "Hours must be a list of whole hours"),
        ({"missed_policy": "retry"}, "missed_policy", "Value 'retry' is not a valid choice."),
        ({"min_interval_minutes": -5}, "min_interval_minutes", "greater than or equal to 0"),
    ],
)
def test_invalid_scheduling_is_refused(owner, folder, scheduling, field, message):
    errors = create_fails(owner, path=str(folder), **scheduling)

    assert list(errors) == [field]
    assert message in errors[field][0]


def test_every_problem_is_reported_at_once(owner, content_root):
    errors = create_fails(owner, name="", path="/etc", language="xx", timezone="Nowhere")

    assert sorted(errors) == ["language", "name", "path", "timezone"]


def test_an_unknown_keyword_is_a_programming_error(owner, folder):
    with pytest.raises(TypeError, match="colour"):
        project_create(owner=owner, name="Maker", path=str(folder), colour="red")
