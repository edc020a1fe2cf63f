from rest_framework import serializers

from projects.models import Language
from projects.selectors import projects_visible_to
from publishing.models import PublishingLog, PublishingTask, TaskTransition, XAccount
from publishing.xclient import Credentials

S = PublishingTask.Status
ORDERINGS = ("id", "scheduled_at", "created", "priority")
MAX_BULK = 500
MAX_ID = 2**63 - 1  # BigAutoField; larger numbers cannot name a row


class TaskSerializer(serializers.ModelSerializer):
    # Annotated by the views (TaskViewSet.base_queryset).
    project_name = serializers.CharField(read_only=True)
    account = serializers.CharField(source="account_handle", read_only=True, allow_null=True)

    class Meta:
        model = PublishingTask
        fields = (
            "id",
            "project",
            "project_name",
            "account",
            "content_path",
            "media_paths",
            "language",
            "text",
            "weighted_length",
            "text_origin",
            "text_note",
            "status",
            "priority",
            "scheduled_at",
            "approved_at",
            "approved_by",
            "attempts",
            "next_attempt_at",
            "post_id",
            "last_error",
            "error_class",
            "published_at",
            "created",
            "updated",
        )
        read_only_fields = tuple(name for name in fields if name != "text")


class TaskTextSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=True, max_length=25_000)


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskTransition
        fields = ("from_status", "to_status", "actor", "reason", "created")


class LogSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublishingLog
        fields = (
            "id",
            "task",
            "status",
            "post_id",
            "error",
            "error_class",
            "http_status",
            "execution_time",
            "created",
        )


class TaskDetailSerializer(TaskSerializer):
    transitions = TransitionSerializer(many=True, read_only=True)
    logs = LogSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = (*TaskSerializer.Meta.fields, "transitions", "logs")
        read_only_fields = TaskSerializer.Meta.read_only_fields


class TaskFilterSerializer(serializers.Serializer):
    """The task list's query parameters; anything else is ignored, a bad value is 400."""

    project = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.MultipleChoiceField(choices=S.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    scheduled_after = serializers.DateTimeField(required=False)
    scheduled_before = serializers.DateTimeField(required=False)
    search = serializers.CharField(required=False, max_length=200)
    ordering = serializers.ChoiceField(
        choices=[*ORDERINGS, *(f"-{field}" for field in ORDERINGS)], required=False
    )

    def to_internal_value(self, data):
        # ?status=a&status=b and ?status=a,b both work.
        if hasattr(data, "getlist") and "status" in data:
            data = data.copy()
            data.setlist("status", [s for v in data.getlist("status") for s in v.split(",") if s])
        return super().to_internal_value(data)


class RescheduleSerializer(serializers.Serializer):
    scheduled_at = serializers.DateTimeField()


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BULK,
    )


class BulkRescheduleSerializer(BulkSerializer):
    scheduled_at = serializers.DateTimeField()


class BulkItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    status = serializers.CharField(required=False)
    error = serializers.DictField(required=False)


class BulkResultSerializer(serializers.Serializer):
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkItemSerializer(many=True)


class VisibleProjectField(serializers.PrimaryKeyRelatedField):
    """A project id the caller may see; others are "does not exist"."""

    def get_queryset(self):
        return projects_visible_to(self.context["request"].user)


class XAccountSerializer(serializers.ModelSerializer):
    """Credentials are write-only: nothing secret is ever read back."""

    consumer_key = serializers.CharField(write_only=True, max_length=200)
    consumer_secret = serializers.CharField(write_only=True, max_length=200)
    access_token = serializers.CharField(write_only=True, max_length=200)
    access_token_secret = serializers.CharField(write_only=True, max_length=200)
    projects = VisibleProjectField(many=True, required=False)
    verify = serializers.BooleanField(
        write_only=True, default=True, help_text="Ask X who the credentials belong to first."
    )

    class Meta:
        model = XAccount
        fields = (
            "id",
            "handle",
            "x_user_id",
            "char_limit",
            "is_default",
            "projects",
            "paused",
            "paused_reason",
            "verified_at",
            "created",
            "consumer_key",
            "consumer_secret",
            "access_token",
            "access_token_secret",
            "verify",
        )
        read_only_fields = ("x_user_id", "paused", "paused_reason", "verified_at", "created")
        validators = []
        extra_kwargs = {"handle": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Only the caller's projects: another user's project ids are theirs to know.
        data["projects"] = [pk for pk in data["projects"] if pk in self._visible_projects()]
        return data

    def _visible_projects(self) -> set[int]:
        cache = self.context.setdefault("visible_projects", {})
        if "ids" not in cache:  # once per response, shared by a list's rows
            user = self.context["request"].user
            cache["ids"] = set(projects_visible_to(user).values_list("pk", flat=True))
        return cache["ids"]

    def credentials(self) -> Credentials:
        data = self.validated_data
        return Credentials(**{field: data[field] for field in Credentials.__dataclass_fields__})


class PauseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, default="paused over the API")


class IngestResultSerializer(serializers.Serializer):
    project = serializers.CharField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())
    tasks_created = serializers.IntegerField()
    tasks_updated = serializers.IntegerField()
    tasks_cancelled = serializers.IntegerField()
    tasks_invalid = serializers.IntegerField()
    invalid = serializers.ListField(child=serializers.DictField())


class StatisticsSerializer(serializers.Serializer):
    tasks = serializers.DictField(child=serializers.IntegerField())
    tasks_total = serializers.IntegerField()
    sources = serializers.DictField(child=serializers.IntegerField())
    last_published = serializers.DateTimeField(allow_null=True)
    next_scheduled = serializers.DateTimeField(allow_null=True)
    last_scan = serializers.DateTimeField(allow_null=True)


class PublisherStateSerializer(serializers.Serializer):
    paused = serializers.BooleanField()
    reason = serializers.CharField()
    reconcile_required = serializers.BooleanField(
        help_text="After a restore: resuming is refused until X has been checked."
    )
    changed_by = serializers.CharField()
    changed_at = serializers.DateTimeField()
    paused_projects = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of your projects that are paused."
    )
    paused_accounts = serializers.ListField(
        child=serializers.CharField(), help_text="Handles of paused X accounts."
    )
