from django.contrib import admin

from monitoring.models import PerformanceMetric


@admin.register(PerformanceMetric)
class PerformanceMetricAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "name", "value")
    list_filter = ("name",)
    search_fields = ("name",)
    date_hierarchy = "timestamp"
    show_full_result_count = False
    readonly_fields = ("timestamp", "name", "value", "labels")

    def has_add_permission(self, request):
        return False  # sampled by the worker
