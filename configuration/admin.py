from django import forms
from django.contrib import admin, messages
from django.db.models import Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from configuration.diff import MISSING
from configuration.models import ConfigVersion
from configuration.schema import ConfigInvalid
from configuration.selectors import config_active_number, config_document
from configuration.services import (
    FORMATS,
    ConfigConflict,
    ConfigUnchanged,
    ConfigVersionMissing,
    config_parse,
    config_render,
    config_rollback,
    config_version_create,
)


class ConfigEditForm(forms.Form):
    """The whole configuration as text. Saving validates it and stores a new version;
    a refused document shows every problem and stores nothing."""

    format = forms.ChoiceField(choices=[("yaml", "YAML"), ("json", "JSON")], initial="yaml")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 40, "cols": 100, "style": "font-family: monospace"})
    )
    comment = forms.CharField(max_length=500, required=False, help_text="Why the change.")
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def save(self, *, user) -> ConfigVersion | None:
        """The new version, or None with the problems added to the form's errors."""
        data = self.cleaned_data
        try:
            return config_version_create(
                document=config_parse(data["text"], fmt=data["format"]),
                author=user,
                author_name=user.get_username(),
                comment=data["comment"],
                based_on=data["based_on"] or 0,
            )
        except ConfigInvalid as exc:
            for problem in exc.problems:
                self.add_error("text", problem)
        except (ConfigConflict, ConfigUnchanged) as exc:
            self.add_error(None, str(exc))
        return None


@admin.register(ConfigVersion)
class ConfigVersionAdmin(admin.ModelAdmin):
    """Versions are read-only history; "Add" edits the configuration in force, and the
    rollback action puts an old version back as a new one."""

    list_display = ("number", "in_force", "created", "author_name", "comment", "changes_count")
    list_display_links = ("number",)
    search_fields = ("comment", "author_name")
    fields = ("number", "created", "author_name", "comment", "rollback_of", "changes", "document")
    readonly_fields = fields
    actions = ("rollback",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        latest = ConfigVersion.objects.order_by("-number").values("number")[:1]
        return super().get_queryset(request).annotate(latest=Subquery(latest))

    @admin.display(boolean=True, description="In force")
    def in_force(self, obj):
        return obj.number == obj.latest

    @admin.display(description="Changes")
    def changes_count(self, obj):
        return len(obj.diff)

    @admin.display(description="Changes against the version before")
    def changes(self, obj):
        if not obj.diff:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            ((c["path"], _cell(c["old"]), _cell(c["new"])) for c in obj.diff),
        )
        head = mark_safe("<tr><th>setting</th><th>before</th><th>after</th></tr>")
        return format_html("<table>{}{}</table>", head, rows)

    @admin.display(description="Document (YAML)")
    def document(self, obj):
        return format_html("<pre>{}</pre>", config_render(obj.data))

    @admin.action(description="Roll back to the selected version (adds a new version)")
    def rollback(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        number = queryset.get().number
        try:
            version = config_rollback(
                number=number, author=request.user, author_name=request.user.get_username()
            )
        except (ConfigInvalid, ConfigUnchanged, ConfigConflict, ConfigVersionMissing) as exc:
            self.message_user(request, f"Not rolled back: {exc}", messages.ERROR)
            return
        self.message_user(
            request, f"Version {number} is in force again as version {version.number}."
        )

    def add_view(self, request, form_url="", extra_context=None):
        form = ConfigEditForm(request.POST or None, initial=self._initial(request))
        if request.method == "POST" and form.is_valid():
            version = form.save(user=request.user)
            if version is not None:
                self.message_user(request, f"Configuration version {version.number} is in force.")
                return HttpResponseRedirect(reverse("admin:configuration_configversion_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Edit the configuration",
            "form": form,
            "based_on": form["based_on"].value(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/configuration/configversion/edit.html", context)

    def _initial(self, request) -> dict:
        fmt = request.GET.get("format", "yaml")
        fmt = fmt if fmt in FORMATS else "yaml"
        return {
            "format": fmt,
            "text": config_render(config_document(), fmt=fmt),
            "based_on": config_active_number() or 0,
        }


def _cell(value) -> str:
    return value if value == MISSING else config_render(value, fmt="json").strip()
