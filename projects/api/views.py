"""Projects over the API: thin views over projects.services and projects.selectors.
Scanning and statistics need publishing, which adds them in publishing.api.views."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from projects.api.serializers import (
    ContentSourceSerializer,
    ProjectSerializer,
    ProjectSettingsSerializer,
)
from projects.models import Project
from projects.selectors import projects_visible_to
from projects.services import (
    CREATE_FIELDS,
    project_create,
    project_delete,
    project_set_members,
    project_set_paused,
    project_update,
)

# Ids in URLs: digits that fit a BigAutoField; anything else is a 404 from the router.
ID_PATTERN = "[0-9]{1,18}"
VIEW = "projects.view_project"
CHANGE = "projects.change_project"


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Projects the caller owns or is a member of (superusers: all)."""

    serializer_class = ProjectSerializer
    lookup_value_regex = ID_PATTERN
    queryset = Project.objects.none()  # for the schema; get_queryset scopes by user
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permission_rules = {
        "list": VIEW,
        "retrieve": VIEW,
        "create": "projects.add_project",
        "partial_update": CHANGE,
        "destroy": "projects.delete_project",
        "project_settings": VIEW,
        "project_settings_update": CHANGE,
        "sources": ("projects.view_project", "projects.view_contentsource"),
        "pause": CHANGE,
        "resume": CHANGE,
    }

    def get_queryset(self):
        projects = projects_visible_to(self.request.user).select_related("owner")
        return projects.prefetch_related("members").order_by("name", "id")

    @transaction.atomic
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        members = data.pop("members", [])
        create = {field: value for field, value in data.items() if field in CREATE_FIELDS}
        project = project_create(owner=self.request.user, **create)
        rest = {field: value for field, value in data.items() if field not in CREATE_FIELDS}
        if rest:
            project = project_update(project=project, **rest)
        project_set_members(project=project, members=members)
        serializer.instance = project

    @transaction.atomic
    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        members = data.pop("members", None)
        project = project_update(project=serializer.instance, **data)
        if members is not None:
            project_set_members(project=project, members=members)
        serializer.instance = project

    def perform_destroy(self, instance):
        project_delete(project=instance)

    @extend_schema(responses=ProjectSettingsSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path="settings",
        serializer_class=ProjectSettingsSerializer,
    )
    def project_settings(self, request, pk=None):
        """The project's scheduling and review settings."""
        return Response(ProjectSettingsSerializer(self.get_object()).data)

    @extend_schema(request=ProjectSettingsSerializer, responses=ProjectSettingsSerializer)
    @project_settings.mapping.patch
    def project_settings_update(self, request, pk=None):
        project = self.get_object()
        serializer = ProjectSettingsSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = project_update(project=project, **serializer.validated_data)
        return Response(ProjectSettingsSerializer(project).data, status=status.HTTP_200_OK)

    @extend_schema(responses=ContentSourceSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=ContentSourceSerializer)
    def sources(self, request, pk=None):
        """What the scanner found in the project's folder, by key."""
        sources = self.get_object().sources.order_by("key", "id")
        page = self.paginate_queryset(sources)
        return self.get_paginated_response(ContentSourceSerializer(page, many=True).data)

    @extend_schema(request=None, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Publish none of the project's tasks until it is resumed (scans go on)."""
        return self._set_paused(paused=True)

    @extend_schema(request=None, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._set_paused(paused=False)

    def _set_paused(self, *, paused: bool) -> Response:
        project = self.get_object()
        project_set_paused(project=project, paused=paused)
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)
