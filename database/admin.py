from django.contrib import admin

from database.models import Backup


@admin.register(Backup)
class BackupAdmin(admin.ModelAdmin):
    """Backups are taken by `db backup` and the worker: read-only here."""

    list_display = (
        "name",
        "kind",
        "engine",
        "taken_at",
        "size_bytes",
        "verified",
        "duration_seconds",
    )
    list_filter = ("kind", "engine", "verified")
    search_fields = ("name",)
    readonly_fields = [f.name for f in Backup._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
