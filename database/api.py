"""Backups over the API (mounted at /api/v1/backups/): thin views over
database.services.backups. See docs/api.md and docs/operations.md.

Taking a backup runs in the request (it is dumped, checksummed and verified before the
answer, so 201 means a verified file or a row that says why not): on a large database
it takes as long as `db backup`, and a proxy in front may time out first; use the
command or the daily schedule there.

Restoring is Admin-only (database.change_backup; backups are otherwise read-only) and
off unless API_ALLOW_RESTORE is true. The procedure (docs/operations.md) stops the web
server and the workers first; over the API the web server is the one doing it, with
other requests and workers still writing, and a single stolen Admin key could replace
every row. Turn it on only where that is understood."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from database.models import Backup
from database.services.backups import backup_create, backup_restore
from database.services.common import BackupError
from security.api.pagination import CursorPagination


class BackupSerializer(serializers.ModelSerializer):
    # The file's name only: the server's folders are no business of the client's.
    file = serializers.SerializerMethodField()

    class Meta:
        model = Backup
        fields = (
            "id",
            "name",
            "kind",
            "engine",
            "file",
            "size_bytes",
            "sha256",
            "row_counts",
            "verified",
            "verify_error",
            "duration_seconds",
            "taken_at",
            "created",
        )

    def get_file(self, backup: Backup) -> str:
        return Path(backup.path).name


class BackupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, max_length=80, help_text="Default: twitterpub-<time>-manual."
    )


class RestoreReportSerializer(serializers.Serializer):
    backup = serializers.CharField()
    taken_at = serializers.CharField()
    row_counts = serializers.DictField(child=serializers.IntegerField())
    matches_manifest = serializers.BooleanField(help_text="The restored rows match the backup's.")
    safety_backup = serializers.CharField()
    reconcile = serializers.DictField()


class RestoreDisabled(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "restore_disabled"
    default_detail = (
        "Restoring over the API is off (setting API_ALLOW_RESTORE); use "
        "`manage.py db restore` with the web server and workers stopped."
    )


class BackupPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class BackupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Backups, newest first. POST takes one now; restore replaces the database."""

    serializer_class = BackupSerializer
    pagination_class = BackupPagination
    lookup_value_regex = "[0-9]{1,18}"
    queryset = Backup.objects.all()
    permission_rules = {
        "list": "database.view_backup",
        "retrieve": "database.view_backup",
        "create": "database.add_backup",
        "restore": "database.change_backup",
    }

    @extend_schema(request=BackupCreateSerializer, responses={201: BackupSerializer})
    def create(self, request, *args, **kwargs):
        """Take a verified backup now (synchronous: see the module's note)."""
        body = BackupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            backup = backup_create(name=body.validated_data.get("name"), kind=Backup.Kind.MANUAL)
        except BackupError as exc:
            raise exceptions.ValidationError(str(exc)) from None
        return Response(BackupSerializer(backup).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: RestoreReportSerializer,
            409: OpenApiResponse(description="Restores over the API are off (restore_disabled)."),
        },
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Replace the database with this backup (a safety backup is taken first); the
        publisher stays paused until the dispatcher has checked X for every due post."""
        if not settings.API_ALLOW_RESTORE:
            raise RestoreDisabled()
        backup = self.get_object()
        try:
            report = backup_restore(path=Path(backup.path), reconcile=False)
        except BackupError as exc:
            raise exceptions.ValidationError(str(exc)) from None
        return Response(report.as_dict())
