"""Every endpoint under /api/v1/ × every method × every role, generated from the URL
configuration: a new endpoint without a permission rule fails here, and each role gets
exactly what security.roles.ROLES says (anonymous callers get 401)."""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient, APIRequestFactory

from publishing.models import PublishingLog
from security.api.permissions import AUTHENTICATED, required_permissions
from security.roles import ROLES, role_grants
from tests.fixtures.publishing import TaskFactory, XAccountFactory

pytestmark = pytest.mark.django_db
API_PREFIX = "api/v1/"


@dataclass(frozen=True)
class Endpoint:
    name: str
    route: str
    method: str
    view_class: type
    action: str | None

    def __str__(self) -> str:
        return f"{self.method.upper()} /{self.route} ({self.action or 'view'})"


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def api_endpoints() -> list[Endpoint]:
    found = []
    for route, pattern in _patterns(get_resolver()):
        view_class = getattr(pattern.callback, "cls", None)
        if not route.startswith(API_PREFIX) and not route.startswith("^" + API_PREFIX):
            continue
        if view_class is None or "format" in pattern.pattern.regex.groupindex:
            continue  # format-suffix twins share their view's rules
        actions = getattr(pattern.callback, "actions", None)
        if actions:
            methods = actions.items()
        else:
            methods = [(m, None) for m in view_class.http_method_names if hasattr(view_class, m)]
        for method, action in methods:
            # HEAD/OPTIONS follow GET's rule; a method the view refuses is no endpoint.
            if method in view_class.http_method_names and method not in ("options", "head"):
                found.append(Endpoint(pattern.name, route, method, view_class, action))
    return found


ENDPOINTS = api_endpoints()


def rule_for(endpoint: Endpoint) -> tuple[str, ...] | None:
    view = endpoint.view_class()
    view.action = endpoint.action
    request = getattr(APIRequestFactory(), endpoint.method)("/")
    return required_permissions(view, request)


def test_the_matrix_covers_the_api():
    names = {endpoint.name for endpoint in ENDPOINTS}
    assert {"project-list", "task-detail", "task-approve", "log-list", "account-list"} <= names
    assert {"alert-resolve", "backup-restore", "publisher-pause", "monitoring-health"} <= names


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_endpoint_declares_a_permission_rule(endpoint):
    assert rule_for(endpoint) is not None, f"{endpoint} has no permission_rules entry"


def test_a_view_without_a_rule_is_refused_to_everyone(role_client):
    from rest_framework.views import APIView

    class Unruled(APIView):
        def get(self, request):
            raise AssertionError("must not run")

    request = APIRequestFactory().get("/")
    admin = role_client("Admin")
    request.META["HTTP_AUTHORIZATION"] = admin._credentials["HTTP_AUTHORIZATION"]
    assert Unruled.as_view()(request).status_code == 403


def allowed(role: str, required: tuple[str, ...]) -> bool:
    return all(p == AUTHENTICATED or role_grants(role, p) for p in required)


@pytest.fixture
def objects(role_client, backup_dir):
    """For each role: its own project, a task in it, a log of that task; one account."""
    account = XAccountFactory(handle="matrix")
    found = {}
    for role in ROLES:
        role_client(role)
        project = role_client.projects[role]
        task = TaskFactory(project=project, account=account)
        log = PublishingLog.objects.create(task=task, status="failure", execution_time=0.1)
        found[role] = {"project": project.pk, "task": task.pk, "log": log.pk, "account": account.pk}
    return found


def url_for(endpoint: Endpoint, pks: dict) -> str:
    if endpoint.name.endswith("-detail") or "<pk>" in endpoint.route or "(?P<pk>" in endpoint.route:
        basename = endpoint.name.split("-")[0]
        return reverse(endpoint.name, kwargs={"pk": pks.get(basename, 999999)})
    return reverse(endpoint.name)


@pytest.mark.parametrize("role", [*ROLES, None], ids=lambda role: role or "anonymous")
def test_each_role_gets_exactly_what_its_rules_allow(role, role_client, objects):
    client = role_client(role) if role else APIClient()
    pks = objects[role or "Viewer"]
    wrong = []
    for endpoint in ENDPOINTS:
        required = rule_for(endpoint)
        response = getattr(client, endpoint.method)(url_for(endpoint, pks), {}, format="json")
        if role is None:
            expected_ok, refused = False, response.status_code == 401
        else:
            expected_ok, refused = allowed(role, required), response.status_code == 403
        if expected_ok == refused or response.status_code >= 500:
            wrong.append(f"{endpoint}: {response.status_code} (needs {required})")
    assert wrong == []


def test_a_viewer_only_reads_and_an_editor_only_edits_and_approves_tasks():
    """The issue's role definitions, over every endpoint: a Viewer may call no method
    that changes anything; an Editor only edits a task's text and approves."""
    changing = [e for e in ENDPOINTS if e.method not in ("get", "head", "options")]
    viewer = [str(e) for e in changing if allowed("Viewer", rule_for(e))]
    editor = {(e.name, e.method) for e in changing if allowed("Editor", rule_for(e))}
    assert viewer == []
    assert editor == {
        ("task-detail", "patch"),
        ("task-approve", "post"),
        ("task-bulk-approve", "post"),
    }
