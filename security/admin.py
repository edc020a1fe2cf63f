from django import forms
from django.contrib import admin, messages

from security.apikeys import apikey_check_role, apikey_create, apikey_revoke
from security.models import AccessLog, APIKey, SecurityEvent


class APIKeyAddForm(forms.ModelForm):
    class Meta:
        model = APIKey
        fields = ("user", "role", "name", "expires_at")

    def clean(self):
        data = super().clean()
        if data.get("user") and data.get("role"):
            apikey_check_role(user=data["user"], group=data["role"])
        return data


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Keys are created here or with `manage.py apikey create`; the key is shown once,
    in the message after saving. Existing keys can only be revoked."""

    list_display = ("prefix", "user", "role", "name", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "role")
    search_fields = ("prefix", "name", "user__username")
    raw_id_fields = ("user",)
    actions = ("revoke",)
    readonly_fields = (
        "prefix",
        "user",
        "role",
        "name",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created",
    )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = APIKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else APIKeyAddForm.Meta.fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        new = apikey_create(
            user=obj.user, role=obj.role.name, name=obj.name, expires_at=obj.expires_at
        )
        obj.pk, obj.prefix, obj.hashed_key = (
            new.api_key.pk,
            new.api_key.prefix,
            new.api_key.hashed_key,
        )
        obj._state.adding = False
        self.message_user(
            request,
            f"API key for {new.api_key.user}: {new.key} — copy it now, it is not shown again.",
            messages.WARNING,
        )

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description="Revoke the selected keys", permissions=["delete"])
    def revoke(self, request, queryset):
        revoked = sum(apikey_revoke(api_key=key) for key in queryset)
        self.message_user(request, f"Revoked {revoked} key(s).")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the application only; the admin shows it."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = (
        "created",
        "channel",
        "username",
        "api_key_prefix",
        "method",
        "path",
        "object_id",
        "status_code",
        "address",
    )
    list_filter = ("channel", "method", "status_code")
    search_fields = ("username", "path", "action", "object_id", "address", "api_key_prefix")
    date_hierarchy = "created"


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ("created", "kind", "username", "address", "detail")
    list_filter = ("kind",)
    search_fields = ("username", "address", "detail")
    date_hierarchy = "created"
