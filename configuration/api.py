"""The runtime configuration over the API: thin views over configuration.services and
configuration.selectors. A refused document answers 400 with every problem; nothing
changes."""

from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from configuration.models import ConfigVersion
from configuration.schema import ConfigInvalid
from configuration.selectors import config_active_number, config_document, config_versions
from configuration.services import (
    FORMATS,
    ConfigConflict,
    ConfigUnchanged,
    ConfigVersionMissing,
    config_parse,
    config_rollback,
    config_version_create,
)


class ConfigVersionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number")
    author = serializers.CharField(source="author_name")
    changes = serializers.JSONField(source="diff")

    class Meta:
        model = ConfigVersion
        fields = ("version", "author", "created", "comment", "rollback_of", "changes")


class ConfigVersionDetailSerializer(ConfigVersionSerializer):
    config = serializers.JSONField(source="data")

    class Meta(ConfigVersionSerializer.Meta):
        fields = (*ConfigVersionSerializer.Meta.fields, "config")


class ConfigInputSerializer(serializers.Serializer):
    """Either `config` (the document as JSON) or `text` in `format` (YAML by default)."""

    config = serializers.DictField(required=False)
    text = serializers.CharField(required=False, trim_whitespace=False)
    format = serializers.ChoiceField(choices=FORMATS, default="yaml")
    comment = serializers.CharField(required=False, default="", max_length=500, allow_blank=True)
    based_on = serializers.IntegerField(
        required=False, min_value=0, help_text="Refuse (409) if another version was saved since."
    )

    def validate(self, attrs):
        if ("config" in attrs) == ("text" in attrs):
            raise serializers.ValidationError("Send either `config` or `text`.")
        return attrs


def _refused(exc: Exception) -> Response:
    if isinstance(exc, ConfigInvalid):
        return Response({"problems": exc.problems}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConfigVersionMissing):
        return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ConfigConflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


REFUSALS = (ConfigInvalid, ConfigConflict, ConfigUnchanged, ConfigVersionMissing)


class ConfigCurrentView(APIView):
    """GET: the configuration in force and its version (null: the defaults)."""

    def get(self, request):
        return Response({"version": config_active_number(), "config": config_document()})


class ConfigVersionListView(APIView):
    """GET: the stored versions, newest first. POST: store a new version."""

    def get(self, request):
        return Response(ConfigVersionSerializer(config_versions()[:100], many=True).data)

    def post(self, request):
        given = ConfigInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            document = (
                data["config"]
                if "config" in data
                else config_parse(data["text"], fmt=data["format"])
            )
            version = config_version_create(
                document=document,
                author=request.user,
                author_name=request.user.get_username(),
                comment=data["comment"],
                based_on=data.get("based_on"),
            )
        except REFUSALS as exc:
            return _refused(exc)
        body = ConfigVersionDetailSerializer(version).data
        return Response(body, status=status.HTTP_201_CREATED)


class ConfigVersionDetailView(APIView):
    """GET: one version with its document."""

    def get(self, request, number: int):
        version = config_versions().filter(number=number).first()
        if version is None:
            return _refused(ConfigVersionMissing(f"there is no configuration version {number}"))
        return Response(ConfigVersionDetailSerializer(version).data)


class ConfigRollbackView(APIView):
    """POST: put version `number` back in force, as a new version equal to it."""

    def post(self, request, number: int):
        comment = str(request.data.get("comment", ""))[:500]
        try:
            version = config_rollback(
                number=number,
                author=request.user,
                author_name=request.user.get_username(),
                comment=comment,
            )
        except REFUSALS as exc:
            return _refused(exc)
        body = ConfigVersionDetailSerializer(version).data
        return Response(body, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("config/", ConfigCurrentView.as_view(), name="config-current"),
    path("config/versions/", ConfigVersionListView.as_view(), name="config-versions"),
    path(
        "config/versions/<int:number>/",
        ConfigVersionDetailView.as_view(),
        name="config-version",
    ),
    path(
        "config/versions/<int:number>/rollback/",
        ConfigRollbackView.as_view(),
        name="config-rollback",
    ),
]
