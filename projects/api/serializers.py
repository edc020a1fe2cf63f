from django.contrib.auth import get_user_model
from rest_framework import serializers

from projects.models import ContentSource, Language, Layout, Project, ScanReport
from projects.services import SETTINGS_FIELDS


def hours_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=23), required=False
    )


class ProjectSerializer(serializers.ModelSerializer):
    """Input is checked by projects.services (confinement of `path` included)."""

    owner = serializers.CharField(source="owner.username", read_only=True)
    members = serializers.SlugRelatedField(
        slug_field="username",
        many=True,
        required=False,
        queryset=get_user_model().objects.filter(is_active=True),
        help_text="Usernames who see the project besides its owner.",
    )
    layout = serializers.ChoiceField(choices=Layout.choices, required=False, allow_null=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    preferred_hours = hours_field()
    blackout_hours = hours_field()

    class Meta:
        model = Project
        fields = (
            "id",
            "name",
            "path",
            "layout",
            "language",
            "timezone",
            "owner",
            "members",
            "paused",
            *SETTINGS_FIELDS,
            "last_scan",
            "created",
            "updated",
        )
        read_only_fields = ("paused", "last_scan", "created", "updated")
        # Uniqueness is the service's to check (with a message naming the project).
        validators = []


class ProjectSettingsSerializer(serializers.ModelSerializer):
    preferred_hours = hours_field()
    blackout_hours = hours_field()

    class Meta:
        model = Project
        fields = SETTINGS_FIELDS


class ContentSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContentSource
        fields = (
            "id",
            "key",
            "kind",
            "media_paths",
            "metadata",
            "status",
            "error",
            "first_seen",
            "last_seen",
        )


class ScanReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScanReport
        fields = (
            "started",
            "finished",
            "created_count",
            "updated_count",
            "unchanged_count",
            "removed_count",
            "error_count",
            "errors",
        )
