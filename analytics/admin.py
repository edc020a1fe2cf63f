from django.contrib import admin

from analytics.models import AnalyticsHourly


@admin.register(AnalyticsHourly)
class AnalyticsHourlyAdmin(admin.ModelAdmin):
    list_display = ("hour", "project", "posts_published", "posts_failed", "impressions", "likes")
    list_filter = ("project",)
    list_select_related = ("project",)
    date_hierarchy = "hour"
    readonly_fields = [f.name for f in AnalyticsHourly._meta.fields]

    def has_add_permission(self, request):
        return False  # rolled up by the worker
