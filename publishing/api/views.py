"""Tasks, logs, X accounts, and the publishing side of projects (scan, statistics):
thin views over publishing.services and publishing.selectors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from projects.api.views import ID_PATTERN, ProjectViewSet
from projects.selectors import projects_visible_to
from publishing.api.serializers import (
    MAX_ID,
    BulkRescheduleSerializer,
    BulkResultSerializer,
    BulkSerializer,
    IngestResultSerializer,
    LogSerializer,
    PauseSerializer,
    PublisherStateSerializer,
    RescheduleSerializer,
    StatisticsSerializer,
    TaskDetailSerializer,
    TaskFilterSerializer,
    TaskSerializer,
    TaskTextSerializer,
    XAccountSerializer,
)
from publishing.models import (
    PublisherState,
    PublishingLog,
    PublishingTask,
    TaskTransition,
    XAccount,
)
from publishing.selectors import (
    logs_visible_to,
    project_statistics,
    task_search,
    tasks_visible_to,
)
from publishing.services.accounts import account_create
from publishing.services.ingest import project_ingest
from publishing.services.reconcile import publisher_pause, publisher_resume, publisher_state
from publishing.services.retries import account_pause, account_resume
from publishing.services.task_actions import (
    task_approve,
    task_cancel,
    task_edit_text,
    task_publish_now,
    task_reschedule,
    task_retry,
)
from security.api.errors import error_body
from security.api.pagination import CursorPagination

VIEW_TASK = "publishing.view_publishingtask"
PUBLISH = "publishing.publish_publishingtask"
APPROVE = "publishing.approve_publishingtask"
VIEW_LOG = "publishing.view_publishinglog"


def actor(request) -> str:
    """Who did it, as transitions record it: the user, and the key if one was used."""
    key = getattr(request.auth, "prefix", None)
    return f"{request.user.get_username()} (api key {key})" if key else request.user.get_username()


class PublishingProjectViewSet(ProjectViewSet):
    """Projects, plus what publishing knows about them: scanning and statistics."""

    permission_rules = {
        **ProjectViewSet.permission_rules,
        "scan": "projects.scan_project",
        "statistics": ("projects.view_project", VIEW_TASK),
    }

    @extend_schema(request=None, responses=IngestResultSerializer)
    @action(detail=True, methods=["post"])
    def scan(self, request, pk=None):
        """Scan the folder now and turn what it holds into tasks."""
        return Response(project_ingest(project=self.get_object()))

    @extend_schema(responses=StatisticsSerializer)
    @action(detail=True, methods=["get"])
    def statistics(self, request, pk=None):
        return Response(StatisticsSerializer(project_statistics(self.get_object())).data)


class TaskPagination(CursorPagination):
    """Cursor pagination: constant cost on any page of a million rows."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        ordering = view.list_ordering()
        # The id breaks ties, so the order is total.
        return (ordering, "-id" if ordering.startswith("-") else "id")


_BULK_SCHEMA = {"request": BulkSerializer, "responses": BulkResultSerializer}


@extend_schema_view(list=extend_schema(parameters=[TaskFilterSerializer]))
class TaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Publishing tasks of the projects the caller sees. Only `text` is writable, and
    only before the task is published (PATCH)."""

    serializer_class = TaskSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = TaskPagination
    queryset = PublishingTask.objects.none()  # for the schema; get_queryset scopes by user
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_rules = {
        "list": VIEW_TASK,
        "retrieve": VIEW_TASK,
        "partial_update": "publishing.change_publishingtask",
        "publish_now": PUBLISH,
        "cancel": PUBLISH,
        "retry": PUBLISH,
        "reschedule": PUBLISH,
        "approve": APPROVE,
        "bulk_publish_now": PUBLISH,
        "bulk_cancel": PUBLISH,
        "bulk_retry": PUBLISH,
        "bulk_reschedule": PUBLISH,
        "bulk_approve": APPROVE,
    }

    def base_queryset(self):
        # Names by annotation, not select_related: loading the account would decrypt
        # its four credentials for every row of every page.
        return tasks_visible_to(self.request.user).annotate(
            project_name=F("project__name"), account_handle=F("account__handle")
        )

    def get_queryset(self):
        tasks = self.base_queryset()
        if self.action == "list":
            return task_search(tasks, **self.filters())
        if self.action == "retrieve":
            transitions = TaskTransition.objects.order_by("created", "id")
            logs = PublishingLog.objects.order_by("-created", "-id")
            return tasks.prefetch_related(
                Prefetch("transitions", transitions), Prefetch("logs", logs)
            )
        return tasks

    def filters(self) -> dict:
        params = TaskFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        found = dict(params.validated_data)
        found.pop("ordering", None)
        found["status"] = sorted(found.get("status", ())) or None
        return found

    def list_ordering(self) -> str:
        params = TaskFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data.get("ordering", "-id")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return TaskDetailSerializer
        if self.action == "partial_update":
            return TaskTextSerializer
        return TaskSerializer

    @extend_schema(request=TaskTextSerializer, responses=TaskSerializer)
    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        body = TaskTextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task_edit_text(task=task, text=body.validated_data["text"], actor=actor(request))
        return Response(TaskSerializer(self._reloaded(task)).data)

    def _reloaded(self, task: PublishingTask) -> PublishingTask:
        return self.base_queryset().get(pk=task.pk)

    def _act(self, request, service, **kwargs) -> Response:
        task = self.get_object()
        service(task=task, actor=actor(request), **kwargs)
        return Response(TaskSerializer(self._reloaded(task)).data)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"], url_path="publish-now")
    def publish_now(self, request, pk=None):
        """Make the task due now (a failed one is queued again)."""
        return self._act(request, task_publish_now)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(request, task_cancel)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self._act(request, task_retry)

    @extend_schema(request=RescheduleSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(request, task_reschedule, when=body.validated_data["scheduled_at"])

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request, task_approve)

    # Bulk: one result per id, in the order given; one failure does not stop the rest.

    def _bulk(self, request, service, body_class=BulkSerializer, **kwargs) -> Response:
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(body.validated_data["ids"]))
        if "scheduled_at" in body.validated_data:
            kwargs["when"] = body.validated_data["scheduled_at"]
        tasks = tasks_visible_to(request.user).select_related("account").in_bulk(ids)
        results = [self._bulk_one(request, tasks.get(pk), pk, service, kwargs) for pk in ids]
        failed = sum(1 for result in results if not result["ok"])
        summary = {"succeeded": len(results) - failed, "failed": failed, "results": results}
        return Response(summary)

    def _bulk_one(self, request, task, pk: int, service, kwargs: dict) -> dict:
        if task is None:
            error = {"code": "not_found", "message": f"No task {pk} among yours."}
            return {"id": pk, "ok": False, "error": error}
        try:
            service(task=task, actor=actor(request), **kwargs)
        except ValidationError as exc:
            return {"id": pk, "ok": False, "error": error_body(exc)}
        status_now = PublishingTask.objects.values_list("status", flat=True).get(pk=pk)
        return {"id": pk, "ok": True, "status": status_now}

    @extend_schema(**_BULK_SCHEMA)
    @action(detail=False, methods=["post"], url_path="bulk/publish-now")
    def bulk_publish_now(self, request):
        return self._bulk(request, task_publish_now)

    @extend_schema(**_BULK_SCHEMA)
    @action(detail=False, methods=["post"], url_path="bulk/cancel")
    def bulk_cancel(self, request):
        return self._bulk(request, task_cancel)

    @extend_schema(**_BULK_SCHEMA)
    @action(detail=False, methods=["post"], url_path="bulk/retry")
    def bulk_retry(self, request):
        return self._bulk(request, task_retry)

    @extend_schema(request=BulkRescheduleSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk/reschedule")
    def bulk_reschedule(self, request):
        return self._bulk(request, task_reschedule, BulkRescheduleSerializer)

    @extend_schema(**_BULK_SCHEMA)
    @action(detail=False, methods=["post"], url_path="bulk/approve")
    def bulk_approve(self, request):
        return self._bulk(request, task_approve)


class LogPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("task", int, description="Only this task's attempts."),
            OpenApiParameter("project", int, description="Only this project's attempts."),
        ]
    )
)
class LogViewSet(viewsets.ReadOnlyModelViewSet):
    """Every attempt to publish, newest first."""

    serializer_class = LogSerializer
    lookup_value_regex = ID_PATTERN
    pagination_class = LogPagination
    queryset = PublishingLog.objects.none()  # for the schema; get_queryset scopes by user
    permission_rules = {
        "list": "publishing.view_publishinglog",
        "retrieve": "publishing.view_publishinglog",
    }

    def get_queryset(self):
        logs = logs_visible_to(self.request.user)
        if self.action == "list":
            logs = logs.filter(**self.filters())
        return logs

    def filters(self) -> dict:
        found = {}
        for param, lookup in (("task", "task_id"), ("project", "task__project_id")):
            value = self.request.query_params.get(param)
            if value is not None:
                if not value.isdigit() or int(value) > MAX_ID:
                    raise ValidationError({param: [f"{param} must be a task or project id."]})
                found[lookup] = int(value)
        return found


class XAccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """X accounts. Credentials can be written, never read back."""

    serializer_class = XAccountSerializer
    lookup_value_regex = ID_PATTERN
    queryset = XAccount.objects.prefetch_related("projects").order_by("handle")
    permission_rules = {
        "list": "publishing.view_xaccount",
        "retrieve": "publishing.view_xaccount",
        "create": "publishing.add_xaccount",
        "destroy": "publishing.delete_xaccount",
        "pause": "publishing.change_xaccount",
        "resume": "publishing.change_xaccount",
    }

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = account_create(
            handle=data["handle"],
            credentials=serializer.credentials(),
            projects=data.get("projects", []),
            make_default=data.get("is_default") or None,
            char_limit=data.get("char_limit", 280),
            verify=data["verify"],
        )

    @extend_schema(request=PauseSerializer, responses=XAccountSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        body = PauseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account = self.get_object()
        account_pause(account=account, reason=body.validated_data["reason"], actor=actor(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=account.pk)).data)

    @extend_schema(request=None, responses=XAccountSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        account = self.get_object()
        account_resume(account=account, actor=actor(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=account.pk)).data)


# --- the publisher's global switch ---------------------------------------------------

VIEW_PUBLISHER = "publishing.view_publisherstate"
CHANGE_PUBLISHER = "publishing.change_publisherstate"
STATE_ACTOR_MAX = PublisherState._meta.get_field("changed_by").max_length


def publisher_body(request, state) -> dict:
    paused_projects = projects_visible_to(request.user).filter(paused=True).order_by("id")
    paused_accounts = XAccount.objects.filter(paused=True).order_by("handle")
    return {
        "paused": state.paused,
        "reason": state.reason,
        "reconcile_required": state.reconcile_required,
        "changed_by": state.changed_by,
        "changed_at": state.changed_at,
        "paused_projects": list(paused_projects.values_list("id", flat=True)),
        "paused_accounts": list(paused_accounts.values_list("handle", flat=True)),
    }


class PublisherStateView(APIView):
    """Whether the publisher runs, and what is paused (your projects, X accounts)."""

    permission_rules = {"get": VIEW_PUBLISHER}

    @extend_schema(responses=PublisherStateSerializer)
    def get(self, request):
        return Response(publisher_body(request, publisher_state()))


class PublisherPauseView(APIView):
    """Stop all publishing (tasks stay queued); nothing is sent until resumed."""

    permission_rules = {"post": CHANGE_PUBLISHER}

    @extend_schema(request=PauseSerializer, responses=PublisherStateSerializer)
    def post(self, request):
        body = PauseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reason = body.validated_data["reason"]
        state = publisher_pause(reason=reason, actor=actor(request)[:STATE_ACTOR_MAX])
        return Response(publisher_body(request, state))


class PublisherResumeView(APIView):
    """Publish again. Refused (400) while a restore awaits reconciliation with X."""

    permission_rules = {"post": CHANGE_PUBLISHER}

    @extend_schema(request=None, responses=PublisherStateSerializer)
    def post(self, request):
        state = publisher_resume(actor=actor(request)[:STATE_ACTOR_MAX])
        return Response(publisher_body(request, state))
