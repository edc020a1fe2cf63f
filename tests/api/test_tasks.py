"""Tasks over the API: scoped to the caller's projects, filtered, cursor-paginated,
text editable only before publishing, actions and bulk actions with per-item results."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from publishing.models import PublishingLog, PublishingTask, TaskTransition
from tests.fixtures.api import key_client, user_in_role
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory

S = PublishingTask.Status
pytestmark = pytest.mark.django_db
TASKS = "/api/v1/tasks/"


@pytest.fixture
def operator(role_client):
    return role_client("Operator")


@pytest.fixture
def project(operator, role_client):
    return role_client.projects["Operator"]


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_a_user_sees_only_tasks_of_projects_they_own_or_joined(operator, project):
    mine = TaskFactory(project=project)
    joined_project = ProjectRowFactory()
    joined_project.members.add(operator.user)
    joined = TaskFactory(project=joined_project)
    TaskFactory()  # someone else's
    response = operator.get(TASKS)
    assert sorted(ids(response)) == sorted([mine.pk, joined.pk])


def test_another_users_task_is_not_found_rather_than_forbidden(operator):
    other = TaskFactory()
    assert operator.get(f"{TASKS}{other.pk}/").status_code == 404
    assert operator.post(f"{TASKS}{other.pk}/cancel/").status_code == 404
    assert PublishingTask.objects.get(pk=other.pk).status == S.PENDING


def test_a_superuser_sees_every_task(db, api_cache):
    root = user_in_role("Admin", "root", is_superuser=True)
    tasks = [TaskFactory(), TaskFactory()]
    response = key_client(root, "Admin").get(TASKS)
    assert sorted(ids(response)) == sorted(task.pk for task in tasks)


def test_the_list_filters_by_status_language_date_and_text(operator, project):
    now = timezone.now()
    hit = TaskFactory(project=project, language="ja", text="Paper airplane", scheduled_at=now)
    TaskFactory(project=project, language="en", text="Paper airplane", scheduled_at=now)
    TaskFactory(project=project, language="ja", text="Other", scheduled_at=now)
    TaskFactory(project=project, language="ja", text="Paper", scheduled_at=now - timedelta(days=3))
    TaskFactory(project=project, language="ja", text="Paper", status=S.CANCELLED, scheduled_at=now)
    params = {
        "project": project.pk,
        "status": "pending,queued",
        "language": "ja",
        "scheduled_after": (now - timedelta(hours=1)).isoformat(),
        "scheduled_before": (now + timedelta(hours=1)).isoformat(),
        "search": "airplane",
    }
    assert ids(operator.get(TASKS, params)) == [hit.pk]


def test_a_bad_filter_value_is_a_400_that_names_the_parameter(operator):
    response = operator.get(TASKS, {"status": "sleeping", "scheduled_after": "yesterday"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"status", "scheduled_after"}


def test_cursor_pages_walk_every_task_once_in_the_chosen_order(operator, project):
    tasks = [TaskFactory(project=project, priority=n % 3) for n in range(7)]
    seen, url = [], f"{TASKS}?page_size=3&ordering=priority"
    while url:
        page = operator.get(url).json()
        assert "count" not in page  # no COUNT(*) over a large table
        seen += [(row["priority"], row["id"]) for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == seen
    assert sorted(pk for _priority, pk in seen) == sorted(task.pk for task in tasks)


def test_the_list_query_count_does_not_grow_with_the_page_size(operator, project):
    for _ in range(30):
        TaskFactory(project=project)

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert operator.get(TASKS, {"page_size": size}).status_code == 200
        return len(captured)

    queries(1)  # the key's first use records its last-used time once
    assert queries(5) == queries(30)


def test_retrieve_includes_logs_and_transitions(operator, project):
    task = TaskFactory(project=project)
    TaskTransition.objects.create(task=task, from_status="pending", to_status="queued", actor="t")
    PublishingLog.objects.create(task=task, status="failure", error="boom", execution_time=0.2)
    body = operator.get(f"{TASKS}{task.pk}/").json()
    assert [t["to_status"] for t in body["transitions"]] == ["queued"]
    assert [log["error"] for log in body["logs"]] == ["boom"]


def test_text_can_be_edited_before_publishing_and_is_marked_edited(operator, project):
    task = TaskFactory(project=project)
    response = operator.patch(f"{TASKS}{task.pk}/", {"text": "  A better text  "})
    assert response.status_code == 200
    assert (response.json()["text"], response.json()["text_origin"]) == ("A better text", "edited")


def test_text_of_a_published_task_cannot_change(operator, project):
    task = TaskFactory(project=project, status=S.PUBLISHED, post_id="77", text="As posted")
    response = operator.patch(f"{TASKS}{task.pk}/", {"text": "Rewritten"})
    assert response.status_code == 400
    assert "can no longer change" in response.json()["error"]["message"]
    assert PublishingTask.objects.get(pk=task.pk).text == "As posted"


def test_only_the_text_is_writable(operator, project):
    task = TaskFactory(project=project)
    response = operator.patch(f"{TASKS}{task.pk}/", {"status": "published"})
    assert response.status_code == 400
    assert PublishingTask.objects.get(pk=task.pk).status == S.PENDING


def test_actions_cancel_retry_reschedule_and_publish_now(operator, project):
    task = TaskFactory(project=project, scheduled_at=timezone.now() + timedelta(days=2))
    url = f"{TASKS}{task.pk}/"
    assert operator.post(url + "cancel/").json()["status"] == S.CANCELLED
    assert operator.post(url + "retry/").json()["status"] == S.PENDING
    when = timezone.now() + timedelta(days=5)
    body = operator.post(url + "reschedule/", {"scheduled_at": when.isoformat()}).json()
    assert body["scheduled_at"][:16] == when.isoformat()[:16]
    body = operator.post(url + "publish-now/").json()
    assert timezone.datetime.fromisoformat(body["scheduled_at"]) <= timezone.now()
    actors = set(TaskTransition.objects.filter(task=task).values_list("actor", flat=True))
    assert actors == {f"operator-user (api key {operator.api_key.prefix})"}


def test_an_action_the_state_forbids_is_a_400_with_the_reason(operator, project):
    task = TaskFactory(project=project, status=S.PUBLISHED, post_id="5")
    response = operator.post(f"{TASKS}{task.pk}/cancel/")
    assert response.status_code == 400
    assert "cannot be cancelled" in response.json()["error"]["message"]


def test_an_editor_approves_but_cannot_cancel(role_client):
    editor = role_client("Editor")
    task = TaskFactory(project=role_client.projects["Editor"])
    assert editor.post(f"{TASKS}{task.pk}/approve/").json()["approved_by"].startswith("editor")
    assert editor.post(f"{TASKS}{task.pk}/cancel/").status_code == 403


def test_bulk_actions_report_each_item_and_carry_on_after_a_failure(operator, project):
    waiting = TaskFactory(project=project)
    published = TaskFactory(project=project, status=S.PUBLISHED, post_id="9")
    foreign = TaskFactory()
    body = {"ids": [waiting.pk, published.pk, foreign.pk, 999999]}
    response = operator.post(f"{TASKS}bulk/cancel/", body)
    assert response.status_code == 200
    result = response.json()
    assert (result["succeeded"], result["failed"]) == (1, 3)
    by_id = {item["id"]: item for item in result["results"]}
    assert by_id[waiting.pk] == {"id": waiting.pk, "ok": True, "status": "cancelled"}
    assert "cannot be cancelled" in by_id[published.pk]["error"]["message"]
    assert by_id[foreign.pk]["error"]["code"] == "not_found"
    assert PublishingTask.objects.get(pk=foreign.pk).status == S.PENDING


def test_bulk_reschedule_needs_a_time(operator, project):
    task = TaskFactory(project=project)
    response = operator.post(f"{TASKS}bulk/reschedule/", {"ids": [task.pk]})
    assert response.status_code == 400
    assert "scheduled_at" in response.json()["error"]["fields"]


def test_logs_are_scoped_like_tasks(operator, project):
    mine = PublishingLog.objects.create(
        task=TaskFactory(project=project), status="success", post_id="1", execution_time=0.1
    )
    PublishingLog.objects.create(
        task=TaskFactory(), status="success", post_id="2", execution_time=1
    )
    assert ids(operator.get("/api/v1/logs/")) == [mine.pk]
    assert operator.get("/api/v1/logs/", {"task": "x"}).status_code == 400
