from django import forms
from django.contrib import admin

from projects.models import ContentSource, Project, ScanReport
from projects.services import project_path_clean


class ProjectAdminForm(forms.ModelForm):
    def clean_path(self) -> str:
        # Confined here as in the API and the scanner: a real folder inside CONTENT_ROOTS.
        return str(project_path_clean(self.cleaned_data["path"]))


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = (
        "name",
        "owner",
        "layout",
        "language",
        "timezone",
        "enabled",
        "priority",
        "last_scan",
    )
    list_filter = ("enabled", "layout", "language")
    search_fields = ("name", "path")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    readonly_fields = ("last_scan", "created", "updated")
    fieldsets = (
        (None, {"fields": ("name", "owner", "path", "layout", "language", "enabled", "priority")}),
        (
            "Scheduling",
            {
                "fields": (
                    "timezone",
                    "daily_max",
                    "preferred_hours",
                    "blackout_hours",
                    "min_interval_minutes",
                    "missed_after_minutes",
                    "missed_policy",
                )
            },
        ),
        (
            "Content",
            {
                "fields": (
                    "made_with_ai",
                    "text_mode",
                    "requires_approval",
                    "language_mode",
                    "thread_mode",
                )
            },
        ),
        ("Worker-owned", {"fields": ("last_scan", "created", "updated")}),
    )


@admin.register(ContentSource)
class ContentSourceAdmin(admin.ModelAdmin):
    list_display = ("key", "project", "kind", "status", "error", "last_seen")
    list_filter = ("status", "kind", "project")
    search_fields = ("key", "error")
    list_select_related = ("project",)
    show_full_result_count = False
    readonly_fields = [f.name for f in ContentSource._meta.fields]

    def has_add_permission(self, request):
        return False  # only the scanner writes content sources


@admin.register(ScanReport)
class ScanReportAdmin(admin.ModelAdmin):
    list_display = (
        "project",
        "started",
        "created_count",
        "updated_count",
        "unchanged_count",
        "removed_count",
        "error_count",
    )
    list_filter = ("project",)
    list_select_related = ("project",)
    readonly_fields = [f.name for f in ScanReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
