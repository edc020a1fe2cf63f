"""django-q2's admin, restricted: only superusers see or change schedules and queued
tasks, and a schedule (or a resubmitted task) may only name an allowlisted function.

django-q2 registers its own admin classes; SecurityConfig.ready() swaps them for these."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from security.queue_allowlist import func_check, func_is_allowed


class SuperuserOnly:
    """Every view and action of the model admin needs a superuser."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request) and self.allow_add

    allow_add = False


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = [
            "name",
            "func",
            "hook",
            "args",
            "kwargs",
            "schedule_type",
            "minutes",
            "repeats",
            "next_run",
            "cron",
            "cluster",
            "intended_date_kwarg",
        ]

    def clean_func(self):
        func = self.cleaned_data["func"].strip()
        _field_check(func, "func")
        return func

    def clean_hook(self):
        hook = (self.cleaned_data.get("hook") or "").strip()
        if hook:
            _field_check(hook, "hook")
        return hook or None


def _field_check(name: str, field: str) -> None:
    try:
        func_check(name, field=field)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict[field]) from None


class ScheduleAdmin(SuperuserOnly, q_admin.ScheduleAdmin):
    form = ScheduleForm
    allow_add = True


@admin.action(description="Resubmit selected tasks to the queue (allowlisted functions only)")
def resubmit_allowed(modeladmin, request, queryset):
    refused = [task.name for task in queryset if not func_is_allowed(task.func)]
    if refused:
        modeladmin.message_user(
            request,
            f"Nothing resubmitted: not allowlisted functions in {', '.join(refused)}.",
            messages.ERROR,
        )
        return
    q_admin.resubmit_task(modeladmin, request, queryset)
    modeladmin.message_user(request, f"Resubmitted {len(queryset)} task(s).")


class SuccessAdmin(SuperuserOnly, q_admin.TaskAdmin):
    actions = [resubmit_allowed]


class FailureAdmin(SuperuserOnly, q_admin.FailAdmin):
    actions = [resubmit_allowed]


class QueueAdmin(SuperuserOnly, q_admin.QueueAdmin):
    pass


def queue_admin_install(site: admin.AdminSite = admin.site) -> None:
    for model, model_admin in (
        (Schedule, ScheduleAdmin),
        (Success, SuccessAdmin),
        (Failure, FailureAdmin),
        (OrmQ, QueueAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
