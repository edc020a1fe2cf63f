"""Path confinement where paths come in: the API and the admin refuse a project folder
outside CONTENT_ROOTS (`..`, absolute paths elsewhere, NUL bytes, escaping symlinks,
relative paths) with a message naming the problem, and create or change nothing.
(projects.paths itself: tests/projects/test_paths.py; the scanner re-checks at every
scan: tests/projects/test_services_scan.py.)"""

import os
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from projects.models import Project
from tests.fixtures.content import make_plain_project
from tests.fixtures.publishing import ProjectRowFactory

pytestmark = pytest.mark.django_db
PROJECTS = "/api/v1/projects/"


@pytest.fixture
def tree(content_root, tmp_path):
    """root/blog (a project folder), root/away -> a folder outside the root."""
    make_plain_project(content_root, "blog", n_posts=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, content_root / "away")
    return content_root


def refused_paths(root) -> dict[str, str]:
    return {
        "dotdot": f"{root}/blog/../../outside",
        "absolute": "/etc",
        "nul": f"{root}/blog\x00/x",
        "symlink": f"{root}/away",
        "relative": "blog",
    }


REASONS = {
    "dotdot": "outside the allowed content roots",
    "absolute": "outside the allowed content roots",
    "nul": "Null characters are not allowed",
    "symlink": "real path",
    "relative": "must be absolute",
}


@pytest.fixture
def operator(role_client):
    return role_client("Operator")


@pytest.mark.parametrize("case", list(REASONS))
def test_the_api_refuses_a_path_outside_the_roots_and_creates_nothing(operator, tree, case):
    path = refused_paths(tree)[case]
    response = operator.post(PROJECTS, {"name": "escape", "path": path}, format="json")
    assert response.status_code == 400, response.content
    assert REASONS[case] in response.json()["error"]["fields"]["path"][0]
    assert not Project.objects.filter(name="escape").exists()


@pytest.mark.parametrize("case", list(REASONS))
def test_the_api_refuses_moving_a_project_outside_the_roots(operator, role_client, tree, case):
    project = role_client.projects["Operator"]
    Project.objects.filter(pk=project.pk).update(path=str(tree / "blog"))
    path = refused_paths(tree)[case]
    response = operator.patch(f"{PROJECTS}{project.pk}/", {"path": path}, format="json")
    assert response.status_code == 400, response.content
    project.refresh_from_db()
    assert project.path == str(tree / "blog")


SEGMENTS = st.sampled_from(["..", ".", "blog", "away", "posts", "", "outside", "\x00", "etc"])


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(SEGMENTS, max_size=6), absolute=st.booleans())
def test_any_path_through_the_api_is_confined_or_refused_never_a_500(
    operator, tree, parts, absolute
):
    path = "/".join([str(tree), *parts]) if absolute else "/".join(parts)
    before = Project.objects.count()
    response = operator.post(PROJECTS, {"name": f"p{before}", "path": path}, format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:
        assert Path(os.path.realpath(response.json()["path"])).is_relative_to(tree)
    else:
        assert Project.objects.count() == before
        assert response.json()["error"]["fields"]["path"]


def admin_change(client, project, path: str):
    """POST the admin's change form for `project` as it is, with `path` replaced."""
    model_admin = admin.site._registry[Project]
    request = client.get(reverse("admin:projects_project_change", args=[project.pk])).wsgi_request
    form = model_admin.get_form(request, project)(instance=project)
    data = {name: form[name].field.prepare_value(form[name].value()) for name in form.fields}
    data = {key: "" if value is None else value for key, value in data.items()}
    return client.post(
        reverse("admin:projects_project_change", args=[project.pk]), {**data, "path": path}
    )


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-1234567"))
    return client


def test_the_admin_saves_a_path_inside_the_roots(superuser_client, tree):
    project = ProjectRowFactory(path=str(tree / "blog"))
    response = admin_change(superuser_client, project, f"{tree}/blog/posts/..")
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.path == str(tree / "blog")  # stored as its real path


@pytest.mark.parametrize("case", list(REASONS))
def test_the_admin_refuses_a_path_outside_the_roots(superuser_client, tree, case):
    project = ProjectRowFactory(path=str(tree / "blog"))
    response = admin_change(superuser_client, project, refused_paths(tree)[case])
    assert response.status_code == 200  # the form again, with the error
    assert REASONS[case] in str(response.context["adminform"].form.errors["path"])
    project.refresh_from_db()
    assert project.path == str(tree / "blog")
