"""Object-level scoping where project data hides inside other resources: an X account's
project list and an error group's examples show only the caller's projects."""

import pytest
from django.utils import timezone

from monitoring.models import ErrorGroup
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory, XAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(role_client):
    return role_client("Viewer")


def test_an_account_lists_only_the_callers_projects(viewer, role_client):
    mine = role_client.projects["Viewer"]
    theirs = ProjectRowFactory()
    account = XAccountFactory(handle="shared")
    account.projects.add(mine, theirs)
    listed = viewer.get("/api/v1/accounts/").json()["results"]
    detail = viewer.get(f"/api/v1/accounts/{account.pk}/").json()
    assert [row["projects"] for row in listed] == [[mine.pk]]
    assert detail["projects"] == [mine.pk]


def test_an_operator_pausing_an_account_sees_only_their_projects(role_client):
    operator = role_client("Operator")
    account = XAccountFactory(handle="paused")
    account.projects.add(role_client.projects["Operator"], ProjectRowFactory())
    response = operator.post(f"/api/v1/accounts/{account.pk}/pause/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["projects"] == [role_client.projects["Operator"].pk]


def test_an_error_groups_examples_are_only_of_the_callers_tasks(viewer, role_client):
    mine = TaskFactory(project=role_client.projects["Viewer"])
    theirs = TaskFactory(text="someone else's unpublished post")
    now = timezone.now()
    example = {"at": now.isoformat(), "outcome": "failure", "http_status": 403}
    group = ErrorGroup.objects.create(
        error_class="content",
        count=2,
        first_seen=now,
        last_seen=now,
        examples=[
            {**example, "log_id": 1, "task_id": theirs.pk, "error": "duplicate: " + theirs.text},
            {**example, "log_id": 2, "task_id": mine.pk, "error": "duplicate"},
        ],
    )
    response = viewer.get(f"/api/v1/monitoring/error-groups/{group.pk}/")
    assert response.status_code == 200
    assert [e["task_id"] for e in response.json()["examples"]] == [mine.pk]
    assert theirs.text not in response.content.decode()
