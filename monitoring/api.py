"""Monitoring over the API (mounted at /api/v1/monitoring/): thin views over
monitoring.selectors, monitoring.health and monitoring.services. See docs/api.md.

Alerts, error groups and notifications are system-wide (not scoped by project): a role
that may view them sees them all, as in the admin. A notification's channel target (an
address list or a webhook URL holding its own secret) is never returned."""

from __future__ import annotations

from datetime import timedelta

from django.urls import include, path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from monitoring import selectors
from monitoring.health import health_ready
from monitoring.models import Alert, ErrorGroup, Notification, PerformanceMetric
from monitoring.services.alerts import alert_acknowledge, alert_resolve
from monitoring.services.errors import error_group_acknowledge, error_group_resolve
from monitoring.services.notify import notification_retry
from publishing.selectors import tasks_visible_to
from security.api.pagination import CursorPagination
from security.api.permissions import AUTHENTICATED

ID_PATTERN = "[0-9]{1,18}"
# The overview's windows, as the admin's overview page uses them.
DAY, WEEK = timedelta(days=1), timedelta(days=7)


# --- serializers ------------------------------------------------------------------------


class OverviewSerializer(serializers.Serializer):
    success_rate = serializers.DictField(help_text="Attempts, successes, rate (last 24 h).")
    lateness_seconds = serializers.DictField(help_text="count, p50, p95, max (last 24 h).")
    rate_limit_headroom = serializers.ListField(child=serializers.DictField())
    posts_per_day = serializers.ListField(child=serializers.DictField(), help_text="Last 7 days.")
    costs = serializers.DictField(
        help_text="X spend (last 24 h, month to date), the queue's projected cost, prices."
    )
    alerts_firing = serializers.IntegerField()
    error_groups_open = serializers.IntegerField()


class MetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceMetric
        fields = (
            "id",
            "timestamp",
            "name",
            "resolution",
            "value",
            "value_min",
            "value_max",
            "samples",
        )


class MetricFilterSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=100)
    resolution = serializers.ChoiceField(
        choices=PerformanceMetric.Resolution.choices, required=False
    )
    since = serializers.DateTimeField(required=False, help_text="From this time (inclusive).")
    until = serializers.DateTimeField(required=False, help_text="Up to this time (inclusive).")

    def validate(self, attrs):
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"since": ["since must not be after until."]})
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name")
    severity = serializers.CharField(source="rule.severity")

    class Meta:
        model = Alert
        fields = (
            "id",
            "rule",
            "severity",
            "subject",
            "status",
            "message",
            "value",
            "started_at",
            "last_seen_at",
            "resolved_at",
            "notified",
            "acknowledged_by",
            "acknowledged_at",
        )


class ErrorGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = ErrorGroup
        fields = (
            "id",
            "error_class",
            "status",
            "count",
            "first_seen",
            "last_seen",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_by",
            "resolved_at",
        )


class ErrorGroupDetailSerializer(ErrorGroupSerializer):
    examples = serializers.SerializerMethodField()

    class Meta(ErrorGroupSerializer.Meta):
        fields = (*ErrorGroupSerializer.Meta.fields, "examples")

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_examples(self, group) -> list[dict]:
        """Only examples of tasks in the caller's projects: the error text can quote a
        post, and the task id is another user's project data."""
        examples = list(group.examples)
        visible = tasks_visible_to(self.context["request"].user)
        shown = set(
            visible.filter(pk__in=[e.get("task_id") for e in examples]).values_list("pk", flat=True)
        )
        return [example for example in examples if example.get("task_id") in shown]


class NotificationSerializer(serializers.ModelSerializer):
    # The channel by name and kind only: its target is a secret.
    channel = serializers.CharField(source="channel.name")
    channel_kind = serializers.CharField(source="channel.kind")

    class Meta:
        model = Notification
        fields = (
            "id",
            "alert",
            "channel",
            "channel_kind",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "sent_at",
            "created",
        )


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "fail"])
    checks = serializers.DictField(child=serializers.DictField())


class StateFilterSerializer(serializers.Serializer):
    """?status= for the lists of alerts, error groups and notifications."""

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"] = serializers.ChoiceField(choices=choices, required=False)


def status_filter(request, choices) -> dict:
    params = StateFilterSerializer(data=request.query_params, choices=choices)
    params.is_valid(raise_exception=True)
    found = params.validated_data.get("status")
    return {"status": found} if found else {}


class StatusFiltered:
    """A list narrowed by ?status= to one of `status_choices`."""

    status_choices: list[tuple[str, str]] = []

    def filter_queryset(self, queryset):
        if self.action == "list":
            return queryset.filter(**status_filter(self.request, self.status_choices))
        return queryset


# --- views ------------------------------------------------------------------------------


class OverviewView(APIView):
    """The business figures of the admin's overview page."""

    permission_rules = {"get": "monitoring.view_overview"}

    @extend_schema(responses=OverviewSerializer)
    def get(self, request):
        now = timezone.now()
        days = selectors.posts_per_day(since=now - WEEK, until=now)
        return Response(
            {
                "success_rate": selectors.publish_success_rate(since=now - DAY, until=now),
                "lateness_seconds": selectors.publish_lateness(since=now - DAY, until=now),
                "rate_limit_headroom": selectors.rate_limit_headroom(now=now),
                "posts_per_day": [{"day": day.isoformat(), "posts": n} for day, n in days],
                "costs": selectors.costs_summary(now=now),
                "alerts_firing": len(selectors.alerts_firing()),
                "error_groups_open": len(selectors.error_groups_open()),
            }
        )


class HealthView(APIView):
    """The readiness checks of /health/ready. Always 200 here: `status` says ok or fail
    (load balancers use /health/ready, which answers 503 when a check fails)."""

    permission_rules = {"get": AUTHENTICATED}

    @extend_schema(responses=HealthSerializer)
    def get(self, request):
        return Response(health_ready(now=timezone.now()))


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class MetricPagination(NewestFirst):
    ordering = ("-timestamp", "-id")


@extend_schema_view(list=extend_schema(parameters=[MetricFilterSerializer]))
class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    """Sampled performance metrics, newest first; filter by name, resolution and time."""

    serializer_class = MetricSerializer
    pagination_class = MetricPagination
    lookup_value_regex = ID_PATTERN
    queryset = PerformanceMetric.objects.all()
    permission_rules = {
        "list": "monitoring.view_performancemetric",
        "retrieve": "monitoring.view_performancemetric",
    }

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        params = MetricFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        lookups = {"name": "name", "resolution": "resolution"}
        lookups |= {"since": "timestamp__gte", "until": "timestamp__lte"}
        found = {lookups[key]: value for key, value in params.validated_data.items()}
        return queryset.filter(**found)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Alert.Status.values)],
    )
)
class AlertViewSet(StatusFiltered, viewsets.ReadOnlyModelViewSet):
    """Alert episodes, newest first; ?status=firing or resolved."""

    serializer_class = AlertSerializer
    pagination_class = NewestFirst
    lookup_value_regex = ID_PATTERN
    status_choices = Alert.Status.choices
    queryset = Alert.objects.select_related("rule")
    permission_rules = {
        "list": "monitoring.view_alert",
        "retrieve": "monitoring.view_alert",
        "acknowledge": "monitoring.change_alert",
        "resolve": "monitoring.change_alert",
    }

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Someone is on it. Only a firing alert not yet acknowledged."""
        alert = self.get_object()
        user = request.user.get_username()
        if not alert_acknowledge(alert=alert, user=user, now=timezone.now()):
            raise exceptions.ValidationError(
                f"Alert {alert.pk} is {alert.status}"
                + (f", acknowledged by {alert.acknowledged_by}." if alert.acknowledged_at else ".")
                + " Only a firing alert not yet acknowledged can be."
            )
        return Response(AlertSerializer(self.get_queryset().get(pk=alert.pk)).data)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close a firing alert by hand (its resolved notification is sent). Its rule
        opens a new one if the condition still holds at the next evaluation."""
        alert = self.get_object()
        if not alert_resolve(alert=alert, now=timezone.now()):
            raise exceptions.ValidationError(f"Alert {alert.pk} is resolved already.")
        return Response(AlertSerializer(self.get_queryset().get(pk=alert.pk)).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ErrorGroup.Status.values)],
    )
)
class ErrorGroupViewSet(StatusFiltered, viewsets.ReadOnlyModelViewSet):
    """Publishing failures grouped by error class, most recent first."""

    pagination_class = None  # one group per error class: a handful of rows
    lookup_value_regex = ID_PATTERN
    status_choices = ErrorGroup.Status.choices
    queryset = ErrorGroup.objects.order_by("-last_seen", "id")
    permission_rules = {
        "list": "monitoring.view_errorgroup",
        "retrieve": "monitoring.view_errorgroup",
        "acknowledge": "monitoring.change_errorgroup",
        "resolve": "monitoring.change_errorgroup",
    }

    def get_serializer_class(self):
        return ErrorGroupSerializer if self.action == "list" else ErrorGroupDetailSerializer

    def _act(self, service, refusal: str) -> Response:
        group = self.get_object()
        done = service(group=group, user=self.request.user.get_username(), now=timezone.now())
        if not done:
            raise exceptions.ValidationError(refusal.format(group=group.error_class))
        group.refresh_from_db()
        return Response(self.get_serializer(group).data)

    @extend_schema(request=None, responses=ErrorGroupDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Someone is on it. Only an open group can be acknowledged."""
        return self._act(error_group_acknowledge, "The {group} group is not open.")

    @extend_schema(request=None, responses=ErrorGroupDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Fixed: quiet until a new failure of its class re-opens it."""
        return self._act(error_group_resolve, "The {group} group is resolved already.")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Notification.Status.values)],
    )
)
class NotificationViewSet(StatusFiltered, viewsets.ReadOnlyModelViewSet):
    """Alert notifications and their delivery, newest first; ?status=failed."""

    serializer_class = NotificationSerializer
    pagination_class = NewestFirst
    lookup_value_regex = ID_PATTERN
    status_choices = Notification.Status.choices
    queryset = Notification.objects.select_related("channel")
    permission_rules = {
        "list": "monitoring.view_notification",
        "retrieve": "monitoring.view_notification",
        "retry": "monitoring.change_notification",
    }

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a notification that gave up again, with a fresh set of attempts."""
        notification = self.get_object()
        if not notification_retry(notification=notification, now=timezone.now()):
            raise exceptions.ValidationError(
                f"Notification {notification.pk} is {notification.status}: only a failed "
                "one can be retried."
            )
        return Response(NotificationSerializer(self.get_queryset().get(pk=notification.pk)).data)


router = SimpleRouter()
router.register("metrics", MetricViewSet, basename="metric")
router.register("alerts", AlertViewSet, basename="alert")
router.register("error-groups", ErrorGroupViewSet, basename="errorgroup")
router.register("notifications", NotificationViewSet, basename="notification")

# Mounted under /api/v1/monitoring/ by twitterpub/api_urls.py.
urlpatterns = [
    path("overview/", OverviewView.as_view(), name="monitoring-overview"),
    path("health/", HealthView.as_view(), name="monitoring-health"),
    path("", include(router.urls)),
]
