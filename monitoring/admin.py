import threading

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join

from monitoring import selectors
from monitoring.health import health_ready
from monitoring.models import (
    Alert,
    AlertRule,
    ErrorGroup,
    Notification,
    NotificationChannel,
    Overview,
    PerformanceMetric,
    WorkerHeartbeat,
)
from monitoring.prometheus import endpoint_stats
from monitoring.services.alerts import alert_acknowledge, alert_resolve
from monitoring.services.errors import error_group_acknowledge, error_group_resolve
from monitoring.services.notify import notification_retry

# The error-group list's trend counts, computed once per request: the admin class is
# shared by every request thread, so they cannot live on it.
_request_local = threading.local()


def _trend(group: ErrorGroup, key: str) -> int:
    trends = getattr(_request_local, "trends", {})
    return trends.get(group.error_class, {}).get(key, 0)


class WorkerOwned(admin.ModelAdmin):
    """Rows only the worker writes: read-only pages; actions (which call services)
    for users with the change permission."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)


@admin.register(PerformanceMetric)
class PerformanceMetricAdmin(WorkerOwned):
    list_display = ("timestamp", "name", "resolution", "value", "value_min", "value_max", "samples")
    list_filter = ("resolution", "name")
    search_fields = ("name",)
    date_hierarchy = "timestamp"
    show_full_result_count = False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(WorkerOwned):
    list_display = ("host", "pid", "beat_at")


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "enabled", "created")
    list_filter = ("kind", "enabled")

    def get_fields(self, request, obj=None):
        # An existing target is not shown back: a webhook URL is a secret. Type a new
        # one to replace it.
        return ("name", "kind", "enabled", "target")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.base_fields["target"].initial = ""
            form.base_fields["target"].required = False
            form.base_fields["target"].help_text = "Stored encrypted; leave empty to keep it."
        return form

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET":
            obj.target = ""  # the form never renders the stored secret
        return obj

    def save_model(self, request, obj, form, change):
        if change and not form.cleaned_data.get("target"):
            obj.target = NotificationChannel.objects.get(pk=obj.pk).target
        super().save_model(request, obj, form, change)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "condition", "severity", "enabled", "cooldown_minutes")
    list_filter = ("kind", "enabled", "severity")
    search_fields = ("name", "metric")
    filter_horizontal = ("children", "channels")
    fieldsets = (
        (None, {"fields": ("name", "kind", "enabled", "severity", "cooldown_minutes", "channels")}),
        ("Threshold and trend", {"fields": ("metric", "operator", "value", "duration_minutes")}),
        ("Trend only", {"fields": ("baseline_minutes", "floor")}),
        ("Composite", {"fields": ("combine", "children")}),
        ("Built-in", {"fields": ("check_name",)}),
    )

    def get_queryset(self, request):
        # The condition column names a composite rule's children: one query, not one a row.
        return super().get_queryset(request).prefetch_related("children")

    @admin.display(description="condition")
    def condition(self, rule: AlertRule) -> str:
        if rule.kind == AlertRule.Kind.THRESHOLD:
            symbol = AlertRule.Operator(rule.operator).label
            return f"{rule.metric} {symbol} {rule.value:g} for {rule.duration_minutes} min"
        if rule.kind == AlertRule.Kind.TREND:
            return (
                f"{rule.metric}: last {rule.duration_minutes} min ≥ {rule.value:g}× "
                f"the {rule.baseline_minutes} min before"
            )
        if rule.kind == AlertRule.Kind.COMPOSITE:
            return f"{rule.get_combine_display()} {', '.join(c.name for c in rule.children.all())}"
        return rule.get_check_name_display()


@admin.register(Alert)
class AlertAdmin(WorkerOwned):
    list_display = (
        "rule",
        "subject",
        "status",
        "started_at",
        "resolved_at",
        "acknowledged_by",
        "notified",
        "message",
    )
    list_filter = ("status", "rule")
    list_select_related = ("rule",)
    date_hierarchy = "started_at"
    actions = ("acknowledge", "resolve")

    @admin.action(description="Acknowledge (someone is on it)", permissions=["change"])
    def acknowledge(self, request, queryset):
        now, user = timezone.now(), request.user.get_username()
        done = sum(alert_acknowledge(alert=alert, user=user, now=now) for alert in queryset)
        self.message_user(request, f"{done} alert(s) acknowledged.")

    @admin.action(
        description="Mark resolved (sends the resolved notification)", permissions=["change"]
    )
    def resolve(self, request, queryset):
        now = timezone.now()
        done = sum(alert_resolve(alert=alert, now=now) for alert in queryset.select_related("rule"))
        self.message_user(request, f"{done} alert(s) resolved.")


@admin.register(Notification)
class NotificationAdmin(WorkerOwned):
    list_display = (
        "alert",
        "channel",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "event", "channel")
    list_select_related = ("alert__rule", "channel")
    actions = ("retry",)

    @admin.action(description="Retry failed notifications now", permissions=["change"])
    def retry(self, request, queryset):
        now = timezone.now()
        done = sum(notification_retry(notification=n, now=now) for n in queryset)
        level = messages.SUCCESS if done else messages.WARNING
        self.message_user(request, f"{done} notification(s) queued again.", level)


@admin.register(ErrorGroup)
class ErrorGroupAdmin(WorkerOwned):
    list_display = ("error_class", "status", "count", "last_24h", "previous_24h", "last_seen")
    list_filter = ("status",)
    readonly_fields = (
        "error_class",
        "status",
        "count",
        "first_seen",
        "last_seen",
        "recent_examples",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
    )
    exclude = ("examples", "last_log_id")
    actions = ("acknowledge", "resolve")

    def changelist_view(self, request, extra_context=None):
        _request_local.trends = selectors.error_group_trends(now=timezone.now())
        return super().changelist_view(request, extra_context)

    @admin.display(description="last 24 h")
    def last_24h(self, group):
        return _trend(group, "last_24h")

    @admin.display(description="24 h before")
    def previous_24h(self, group):
        return _trend(group, "previous_24h")

    @admin.display(description="recent examples")
    def recent_examples(self, group):
        return format_html_join(
            "",
            "<p>{} task #{} ({}, HTTP {}): {}</p>",
            (
                (e["at"], e["task_id"], e["outcome"], e["http_status"] or "-", e["error"])
                for e in group.examples
            ),
        )

    @admin.action(description="Acknowledge (someone is on it)", permissions=["change"])
    def acknowledge(self, request, queryset):
        now, user = timezone.now(), request.user.get_username()
        done = sum(error_group_acknowledge(group=g, user=user, now=now) for g in queryset)
        self.message_user(request, f"{done} error group(s) acknowledged.")

    @admin.action(description="Resolve (fixed; a new failure re-opens it)", permissions=["change"])
    def resolve(self, request, queryset):
        now, user = timezone.now(), request.user.get_username()
        done = sum(error_group_resolve(group=g, user=user, now=now) for g in queryset)
        self.message_user(request, f"{done} error group(s) resolved.")


@admin.register(Overview)
class OverviewAdmin(admin.ModelAdmin):
    """One page: health, firing alerts, error groups, costs, endpoints, last samples."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": "Monitoring overview",
            "opts": self.model._meta,
            "health": health_ready(now=now),
            "alerts": selectors.alerts_firing(),
            "undelivered": selectors.notifications_undelivered(),
            "error_groups": selectors.error_groups_open(),
            # Health, alerts and headroom are read live; the history's figures are cached.
            **selectors.business_summary_cached(
                now=now, seconds=settings.MONITORING_METRICS_CACHE_SECONDS
            ),
            "headroom": selectors.rate_limit_headroom(now=now),
            "endpoints": endpoint_stats(),
            "metrics": sorted(selectors.metrics_latest().values(), key=lambda m: m.name),
        }
        return TemplateResponse(request, "admin/monitoring/overview.html", context)
