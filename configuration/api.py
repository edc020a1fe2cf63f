"""The runtime configuration over the API (mounted at /api/v1/config/): thin views over
configuration.services and configuration.selectors. A refused document is a 400 whose
`fields.config` lists every problem; nothing changes."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
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

VIEW = "configuration.view_configversion"
CHANGE = "configuration.add_configversion"  # a change or a rollback adds a version


class ConfigCurrentSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True, help_text="null: the defaults.")
    config = serializers.JSONField()


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
    """Either `config` (the document as JSON) or `text` in `format` (YAML by default).
    What the document leaves out takes its default."""

    config = serializers.DictField(required=False)
    text = serializers.CharField(required=False, trim_whitespace=False, max_length=100_000)
    format = serializers.ChoiceField(choices=FORMATS, default="yaml")
    comment = serializers.CharField(required=False, default="", max_length=500, allow_blank=True)
    based_on = serializers.IntegerField(
        required=False, min_value=0, help_text="Refused (409) if another version was saved since."
    )

    def validate(self, attrs):
        if ("config" in attrs) == ("text" in attrs):
            raise serializers.ValidationError("Send either `config` or `text`.")
        return attrs


class ConfigRollbackSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    comment = serializers.CharField(required=False, default="", max_length=500, allow_blank=True)


class ConfigConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _refusal(exc: Exception) -> exceptions.APIException:
    if isinstance(exc, ConfigInvalid):
        return exceptions.ValidationError({"config": exc.problems})
    if isinstance(exc, ConfigVersionMissing):
        return exceptions.NotFound(str(exc))
    if isinstance(exc, ConfigConflict):
        return ConfigConflictError(str(exc))
    return exceptions.ValidationError({"config": [str(exc)]})  # ConfigUnchanged


REFUSALS = (ConfigInvalid, ConfigConflict, ConfigUnchanged, ConfigVersionMissing)


class ConfigCurrentView(APIView):
    """The configuration in force and its version (null: the defaults from settings)."""

    permission_rules = {"get": VIEW}

    @extend_schema(responses=ConfigCurrentSerializer)
    def get(self, request):
        return Response({"version": config_active_number(), "config": config_document()})


class ConfigVersionListView(APIView):
    """The stored versions, newest first (the first is in force); POST stores a new one."""

    permission_rules = {"get": VIEW, "post": CHANGE}

    @extend_schema(responses=ConfigVersionSerializer(many=True))
    def get(self, request):
        return Response(ConfigVersionSerializer(config_versions()[:100], many=True).data)

    @extend_schema(request=ConfigInputSerializer, responses={201: ConfigVersionDetailSerializer})
    def post(self, request):
        given = ConfigInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            document = data.get("config")
            if document is None:
                document = config_parse(data["text"], fmt=data["format"])
            version = config_version_create(
                document=document,
                author=request.user,
                author_name=request.user.get_username(),
                comment=data["comment"],
                based_on=data.get("based_on"),
            )
        except REFUSALS as exc:
            raise _refusal(exc) from None
        body = ConfigVersionDetailSerializer(version).data
        return Response(body, status=status.HTTP_201_CREATED)


class ConfigVersionDetailView(APIView):
    """One stored version with its whole document."""

    permission_rules = {"get": VIEW}

    @extend_schema(responses=ConfigVersionDetailSerializer)
    def get(self, request, pk: int):
        version = config_versions().filter(number=pk).first()
        if version is None:
            raise exceptions.NotFound(f"there is no configuration version {pk}")
        return Response(ConfigVersionDetailSerializer(version).data)


class ConfigRollbackView(APIView):
    """Put an old version back in force, as a new version equal to it."""

    permission_rules = {"post": CHANGE}

    @extend_schema(request=ConfigRollbackSerializer, responses={201: ConfigVersionDetailSerializer})
    def post(self, request):
        given = ConfigRollbackSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            version = config_rollback(
                number=given.validated_data["version"],
                author=request.user,
                author_name=request.user.get_username(),
                comment=given.validated_data["comment"],
            )
        except REFUSALS as exc:
            raise _refusal(exc) from None
        body = ConfigVersionDetailSerializer(version).data
        return Response(body, status=status.HTTP_201_CREATED)


# Mounted under /api/v1/config/ by twitterpub/api_urls.py. The version number is `pk`
# and the detail route's name ends in -detail, as the router's are.
urlpatterns = [
    path("", ConfigCurrentView.as_view(), name="config-current"),
    path("versions/", ConfigVersionListView.as_view(), name="config-version-list"),
    path("versions/<int:pk>/", ConfigVersionDetailView.as_view(), name="config-version-detail"),
    path("rollback/", ConfigRollbackView.as_view(), name="config-rollback"),
]
