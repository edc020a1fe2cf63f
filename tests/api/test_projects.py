"""Projects over the API: create (confined paths), change, settings, sources, scan,
statistics, members, and errors in one JSON shape."""

import pytest

from projects.models import Project
from publishing.models import PublishingTask
from tests.fixtures.content import make_plain_project
from tests.fixtures.publishing import ProjectRowFactory, UserFactory

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"


@pytest.fixture
def operator(role_client):
    return role_client("Operator")


@pytest.fixture
def folder(content_root):
    return make_plain_project(content_root, "blog", n_posts=2)


def test_an_operator_creates_scans_and_reads_statistics(operator, folder):
    created = operator.post(
        PROJECTS, {"name": "Blog", "path": str(folder), "daily_max": 3, "text_mode": "direct"}
    )
    assert created.status_code == 201, created.json()
    project = created.json()
    assert (project["owner"], project["layout"], project["text_mode"]) == (
        "operator-user",
        "plain",
        "direct",
    )
    scan = operator.post(f"{PROJECTS}{project['id']}/scan/")
    assert scan.status_code == 200
    assert (scan.json()["created"], scan.json()["tasks_created"]) == (2, 2)
    stats = operator.get(f"{PROJECTS}{project['id']}/statistics/").json()
    assert (stats["tasks_total"], stats["tasks"]["pending"], stats["sources"]) == (
        2,
        2,
        {"active": 2},
    )
    sources = operator.get(f"{PROJECTS}{project['id']}/sources/").json()["results"]
    assert [source["kind"] for source in sources] == ["text", "text"]


def test_a_path_outside_the_content_roots_is_refused_with_the_reason(operator, content_root):
    response = operator.post(PROJECTS, {"name": "Etc", "path": "/etc"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "outside the allowed content roots" in error["fields"]["path"][0]
    assert error["message"].startswith("path: ")
    assert not Project.objects.filter(name="Etc").exists()


def test_a_duplicate_name_is_a_400_not_a_500(operator, folder):
    assert operator.post(PROJECTS, {"name": "Blog", "path": str(folder)}).status_code == 201
    again = operator.post(PROJECTS, {"name": "Blog", "path": str(folder)})
    assert again.status_code == 400
    assert "already have a project named" in again.json()["error"]["fields"]["name"][0]


def test_settings_are_read_and_changed_and_bad_hours_refused(operator, role_client):
    project = role_client.projects["Operator"]
    url = f"{PROJECTS}{project.pk}/settings/"
    assert operator.get(url).json()["daily_max"] == project.daily_max
    changed = operator.patch(url, {"daily_max": 9, "preferred_hours": [8, 20]})
    assert changed.json()["preferred_hours"] == [8, 20]
    assert operator.patch(url, {"blackout_hours": [24]}).status_code == 400
    project.refresh_from_db()
    assert (project.daily_max, project.blackout_hours) == (9, [])


def test_renaming_a_project_keeps_its_other_fields(operator, role_client):
    project = role_client.projects["Operator"]
    response = operator.patch(f"{PROJECTS}{project.pk}/", {"name": "Renamed"})
    assert response.status_code == 200
    project.refresh_from_db()
    assert (project.name, project.path) == ("Renamed", "/nonexistent")


def test_members_see_the_project_and_outsiders_get_404(operator, role_client):
    project = role_client.projects["Operator"]
    viewer = role_client("Viewer")
    assert viewer.get(f"{PROJECTS}{project.pk}/").status_code == 404
    response = operator.patch(f"{PROJECTS}{project.pk}/", {"members": ["viewer-user"]})
    assert response.json()["members"] == ["viewer-user"]
    assert viewer.get(f"{PROJECTS}{project.pk}/").status_code == 200
    assert viewer.patch(f"{PROJECTS}{project.pk}/", {"name": "Mine"}).status_code == 403


def test_an_unknown_member_is_a_field_error(operator, role_client):
    project = role_client.projects["Operator"]
    response = operator.patch(f"{PROJECTS}{project.pk}/", {"members": ["nobody"]})
    assert response.status_code == 400
    assert "members" in response.json()["error"]["fields"]


def test_the_list_holds_owned_and_joined_projects_only(operator, role_client):
    joined = ProjectRowFactory(owner=UserFactory())
    joined.members.add(operator.user)
    ProjectRowFactory(owner=UserFactory())
    names = [p["name"] for p in operator.get(PROJECTS).json()["results"]]
    assert sorted(names) == sorted(["Operator project", joined.name])


def test_delete_removes_the_project_and_its_tasks(operator, role_client):
    project = role_client.projects["Operator"]
    PublishingTask.objects.create(project=project, content_path="a.md", language="en")
    assert operator.delete(f"{PROJECTS}{project.pk}/").status_code == 204
    assert not PublishingTask.objects.filter(project_id=project.pk).exists()


def test_malformed_json_is_a_400_in_the_error_shape(operator):
    response = operator.generic("POST", PROJECTS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_every_project_setting_is_read_and_changed_over_the_api(operator, role_client):
    project = role_client.projects["Operator"]
    url = f"{PROJECTS}{project.pk}/settings/"
    changes = {
        "text_mode": "direct",
        "requires_approval": True,
        "language_mode": "each",
        "thread_mode": True,
        "made_with_ai": True,
        "missed_policy": "skip",
        "missed_after_minutes": 30,
        "min_interval_minutes": 15,
    }
    response = operator.patch(url, changes, format="json")
    assert response.status_code == 200
    assert {field: response.json()[field] for field in changes} == changes
    project.refresh_from_db()
    assert {field: getattr(project, field) for field in changes} == changes
    assert operator.get(url).json()["language_mode"] == "each"


@pytest.mark.parametrize(
    "field, value",
    [
        ("text_mode", "poetry"),
        ("language_mode", "all"),
        ("missed_policy", "retry"),
        ("thread_mode", "sometimes"),
        ("requires_approval", "perhaps"),
    ],
)
def test_a_bad_setting_is_a_field_error_and_changes_nothing(operator, role_client, field, value):
    project = role_client.projects["Operator"]
    url = f"{PROJECTS}{project.pk}/settings/"
    response = operator.patch(url, {field: value, "daily_max": 7}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    project.refresh_from_db()
    assert project.daily_max != 7


def test_a_project_is_paused_and_resumed_by_an_operator_not_a_viewer(operator, role_client):
    project = role_client.projects["Operator"]
    project.members.add(role_client("Viewer").user)
    url = f"{PROJECTS}{project.pk}/"
    assert role_client("Viewer").post(f"{url}pause/").status_code == 403
    paused = operator.post(f"{url}pause/")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    project.refresh_from_db()
    assert project.paused
    assert operator.post(f"{url}resume/").json()["paused"] is False
    project.refresh_from_db()
    assert not project.paused


def test_another_users_project_cannot_be_paused(operator):
    other = ProjectRowFactory(owner=UserFactory())
    assert operator.post(f"{PROJECTS}{other.pk}/pause/").status_code == 404
    other.refresh_from_db()
    assert not other.paused
