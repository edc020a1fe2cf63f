"""Malformed requests get a 4xx in the error shape, never a 500: forged cursors on
every cursor-paginated list (found from the URL configuration), methods an endpoint
does not have, bodies that are not JSON or not the content type we read."""

import base64
import re

import pytest
from django.urls import reverse
from rest_framework.pagination import CursorPagination

from tests.api.test_permission_matrix import ENDPOINTS
from tests.fixtures.api import key_client, user_in_role
from tests.fixtures.publishing import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(api_cache, backup_dir):
    root = user_in_role("Admin", "root", is_superuser=True)
    TaskFactory(project__owner=root)
    return key_client(root, "Admin")


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


def cursor_lists() -> list[str]:
    """Names of every list endpoint that pages with a cursor."""
    return sorted(
        endpoint.name
        for endpoint in ENDPOINTS
        if endpoint.action == "list"
        and issubclass(endpoint.view_class.pagination_class or object, CursorPagination)
    )


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_the_cursor_lists_are_found():
    assert {"task-list", "log-list", "backup-list", "alert-list"} <= set(cursor_lists())


@pytest.mark.parametrize("name", cursor_lists())
@pytest.mark.parametrize("forged", ["p=abc", "p=2026-13-45", "o=1&r=1&p=x", "p=1.5e3"])
def test_a_forged_cursor_position_is_a_404_not_a_500(admin, name, forged):
    response = admin.get(reverse(name), {"cursor": cursor(forged)})
    assert_error_shape(response, 404, "not_found")


@pytest.mark.parametrize("name", cursor_lists())
def test_a_cursor_beyond_any_id_is_a_page_or_a_404_not_a_database_error(admin, name):
    # Past a BIGINT: PostgreSQL would refuse the comparison if Django passed it on.
    response = admin.get(reverse(name), {"cursor": cursor("p=" + "9" * 30)})
    assert response.status_code in (200, 404)
    assert set(response.json()) & {"results", "error"}


@pytest.mark.parametrize("ordering", ["scheduled_at", "-created", "priority", "id"])
def test_a_forged_cursor_is_refused_in_every_task_ordering(admin, ordering):
    response = admin.get(reverse("task-list"), {"ordering": ordering, "cursor": cursor("p=zz")})
    assert_error_shape(response, 404, "not_found")


def test_a_real_cursor_still_pages(admin):
    TaskFactory.create_batch(3, project=admin.user.projects.first())
    first = admin.get(reverse("task-list"), {"page_size": 2}).json()
    second = admin.get(first["next"])
    assert second.status_code == 200
    assert second.json()["results"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/v1/projects/{project}/"),
        ("delete", "/api/v1/tasks/{task}/"),
        ("put", "/api/v1/publisher/pause/"),
        ("delete", "/api/v1/tasks/"),
    ],
)
def test_a_method_the_endpoint_lacks_is_a_405_in_the_error_shape(admin, method, url):
    task = admin.user.projects.first().tasks.first()
    url = url.format(project=task.project_id, task=task.pk)
    response = getattr(admin, method)(url, {}, format="json")
    assert_error_shape(response, 405, "method_not_allowed")


def test_a_method_the_endpoint_lacks_is_still_a_401_without_a_key(db, api_cache):
    from rest_framework.test import APIClient

    response = APIClient().put("/api/v1/projects/1/", {}, format="json")
    assert_error_shape(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/json", "{bad", 400, "parse_error"),
        ("application/json", '{"ids": [NaN]}', 400, "parse_error"),
        ("text/plain", "ids=1", 415, "unsupported_media_type"),
        ("application/xml", "<ids>1</ids>", 415, "unsupported_media_type"),
        ("application/json", "[1, 2]", 400, "invalid"),
        ("application/json", "null", 400, "invalid"),
    ],
)
def test_a_body_we_cannot_read_is_a_4xx_in_the_error_shape(admin, content_type, body, status, code):
    response = admin.generic("POST", "/api/v1/tasks/bulk/cancel/", body, content_type=content_type)
    assert_error_shape(response, status, code)


def test_a_huge_page_size_is_capped_not_an_error(admin):
    response = admin.get(reverse("task-list"), {"page_size": "9" * 30})
    assert response.status_code == 200


@pytest.mark.parametrize("query", [{"limit": "9" * 30}, {"offset": "9" * 30}, {"limit": "-1"}])
@pytest.mark.parametrize("url", ["/api/v1/projects/", "/api/v1/accounts/", "sources"])
def test_huge_limits_and_offsets_are_capped_not_a_conflict_or_a_500(admin, url, query):
    project = admin.user.projects.first()
    url = f"/api/v1/projects/{project.pk}/sources/" if url == "sources" else url
    response = admin.get(url, query)
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()["results"]) <= 200


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("body", [DEEP, '{"ids": ' + DEEP + "}"])
def test_json_nested_too_deeply_is_a_400_not_a_500(admin, body):
    response = admin.generic(
        "POST", "/api/v1/tasks/bulk/cancel/", body, content_type="application/json"
    )
    assert_error_shape(response, 400, "parse_error")
    assert "nested too deeply" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "endpoint",
    [e for e in ENDPOINTS if e.method in ("post", "patch", "put")],
    ids=str,
)
def test_every_write_endpoint_answers_deep_json_without_a_500(admin, endpoint):
    task = admin.user.projects.first().tasks.first()
    url = re.sub(r"\(\?P<pk>[^)]*\)", str(task.pk), endpoint.route).strip("^$")
    url = "/" + url.replace("^", "").replace("$", "")
    response = admin.generic(endpoint.method.upper(), url, DEEP, content_type="application/json")
    # Endpoints that read no body (pause, scan, cancel) may succeed; none may fail.
    assert response.status_code < 500, (url, response.content[:200])
    if response.status_code >= 400:
        assert response.json()["error"]["message"]
