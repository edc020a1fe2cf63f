from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from projects.admin import ProjectAdmin
from projects.models import Project
from publishing.models import (
    GeminiStatus,
    GeneratedText,
    MediaUpload,
    PublisherState,
    PublishingLog,
    PublishingTask,
    RateLimitState,
    TaskTransition,
    ThreadPart,
    XAccount,
)
from publishing.selectors import gemini_outage_state
from publishing.services.accounts import account_char_limit_check
from publishing.services.ingest import project_ingest
from publishing.services.reconcile import publisher_pause, publisher_resume
from publishing.services.retries import account_pause, account_resume
from publishing.services.task_actions import (
    EDITABLE,
    task_approve,
    task_cancel,
    task_edit_text,
    task_publish_now,
    task_retry,
    task_text_check,
)

S = PublishingTask.Status
DIRECT_MODE_NOTICE = (
    "Direct mode: no GEMINI_API_KEY is set, so every post is composed from its metadata "
    "by rules, without Gemini. Set GEMINI_API_KEY to have posts rewritten (docs/gemini.md)."
)


def gemini_notice(request) -> None:
    """Say on the page how texts are being written: without a key, or while Gemini
    fails, posts are composed directly."""
    if not settings.GEMINI_API_KEY:
        messages.info(request, DIRECT_MODE_NOTICE)
    elif outage := gemini_outage_state():
        messages.warning(
            request, f"Gemini is failing ({outage.reason}); posts are composed directly meanwhile."
        )


class GeminiNoticeMixin:
    """Shows gemini_notice on the list and edit pages (on GET: a POST redirects)."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            gemini_notice(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET":
            gemini_notice(request)
        return super().changeform_view(request, object_id, form_url, extra_context)


class PublishingProjectAdmin(GeminiNoticeMixin, ProjectAdmin):
    """The projects admin, plus what publishing knows: task counts and "scan now"."""

    list_display = (*ProjectAdmin.list_display, "paused", "pending_tasks", "published_tasks")
    actions = ("scan_now", "pause", "resume")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_pending=Count("tasks", filter=Q(tasks__status=S.PENDING)),
                n_published=Count("tasks", filter=Q(tasks__status=S.PUBLISHED)),
            )
        )

    @admin.display(description="Pending", ordering="n_pending")
    def pending_tasks(self, obj):
        return obj.n_pending

    @admin.display(description="Published", ordering="n_published")
    def published_tasks(self, obj):
        return obj.n_published

    @admin.action(description="Scan selected projects now")
    def scan_now(self, request, queryset):
        for project in queryset:
            r = project_ingest(project=project)
            level = messages.WARNING if r["errors"] or r["invalid"] else messages.SUCCESS
            self.message_user(
                request,
                f"{project.name}: {r['tasks_created']} new tasks, {r['tasks_updated']} updated, "
                f"{r['tasks_cancelled']} cancelled, {len(r['errors'])} file errors, "
                f"{r['tasks_invalid']} invalid.",
                level,
            )

    @admin.action(description="Pause publishing of selected projects")
    def pause(self, request, queryset):
        self.message_user(request, f"{queryset.update(paused=True)} project(s) paused.")

    @admin.action(description="Resume publishing of selected projects")
    def resume(self, request, queryset):
        self.message_user(request, f"{queryset.update(paused=False)} project(s) resumed.")


def _each(modeladmin, request, queryset, action, done: str) -> None:
    """Apply a task service to each selected row; report successes and refusals."""
    ok, refused = 0, []
    actor = f"user:{request.user.get_username()}"
    for task in queryset:
        try:
            action(task=task, actor=actor)
            ok += 1
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
    modeladmin.message_user(request, f"{ok} task(s) {done}.")
    for reason in refused[:10]:
        modeladmin.message_user(request, reason, messages.WARNING)


admin.site.unregister(Project)
admin.site.register(Project, PublishingProjectAdmin)


class HistoryInline(admin.TabularInline):
    """Rows the dispatcher and services write: shown on the task, never added or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TransitionInline(HistoryInline):
    model = TaskTransition
    readonly_fields = ("created", "from_status", "to_status", "actor", "reason")


class LogInline(HistoryInline):
    model = PublishingLog
    readonly_fields = (
        "created",
        "status",
        "post_id",
        "error_class",
        "http_status",
        "error",
        "execution_time",
    )


class ThreadPartInline(HistoryInline):
    model = ThreadPart
    readonly_fields = ("index", "text", "weighted_length", "post_id", "posted_at")


class ApprovalFilter(admin.SimpleListFilter):
    """The review queue: tasks of projects that require approval, not yet approved."""

    title = "approval"
    parameter_name = "approval"
    WAITING = (S.PENDING, S.QUEUED, S.RETRY_WAIT, S.NEEDS_REVIEW)

    def lookups(self, request, model_admin):
        return (("awaiting", "Awaiting approval"), ("approved", "Approved"))

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(
                project__requires_approval=True, approved_at__isnull=True, status__in=self.WAITING
            )
        if self.value() == "approved":
            return queryset.filter(approved_at__isnull=False)
        return queryset


class PublishingTaskForm(forms.ModelForm):
    """Checks an edited text the way the service will (limit, status), so a bad edit
    is an error on the form and nothing of the change is saved."""

    class Meta:
        model = PublishingTask
        fields = ("text",)  # the admin passes its own field list; text is what is checked

    def clean_text(self):
        text = self.cleaned_data["text"]
        if self.instance.pk and "text" in self.changed_data:
            return task_text_check(task=self.instance, text=text)
        return text


@admin.register(PublishingTask)
class PublishingTaskAdmin(GeminiNoticeMixin, admin.ModelAdmin):
    form = PublishingTaskForm
    list_display = (
        "id",
        "project",
        "content_path",
        "language",
        "status",
        "scheduled_at",
        "text_preview",
        "text_origin",
        "approval",
        "post_id",
        "attempts",
        "last_error",
    )
    list_filter = (ApprovalFilter, "status", "language", "text_origin", "project", "error_class")
    search_fields = ("content_path", "text", "post_id")
    list_select_related = ("project",)
    raw_id_fields = ("project", "source", "account")
    date_hierarchy = "scheduled_at"
    show_full_result_count = False
    inlines = (ThreadPartInline, TransitionInline, LogInline)
    actions = ("approve", "cancel", "retry", "publish_now")
    # Status moves only through services; the worker owns the outcome fields.
    readonly_fields = (
        "status",
        "attempts",
        "post_id",
        "last_error",
        "error_class",
        "claimed_by",
        "claimed_at",
        "lease_expires_at",
        "published_at",
        "weighted_length",
        "has_media",
        "created",
        "updated",
        "next_attempt_at",
        "text_origin",
        "text_note",
        "text_provenance",
        "approved_at",
        "approved_by",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status not in EDITABLE:
            return (*fields, "text")  # sent or on its way: the text is history now
        return fields

    def save_model(self, request, obj, form, change):
        """Save only what the operator changed: a full save would write back the
        status the form loaded, over whatever the dispatcher did meanwhile. Text edits
        go through the service (validated, marked as edited, kept by rescans)."""
        if not change:
            return super().save_model(request, obj, form, change)
        fields = [f for f in form.changed_data if f != "text"]
        if "text" in form.changed_data:
            actor = f"user:{request.user.get_username()}"
            try:
                task_edit_text(task=obj, text=form.cleaned_data["text"], actor=actor)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
        if fields:
            obj.save(update_fields=[*fields, "updated"])
        return None

    @admin.display(description="Text")
    def text_preview(self, obj):
        # Enough to review a post from the list (X's 280 characters); the page has all.
        return obj.text if len(obj.text) <= 280 else obj.text[:279] + "…"

    @admin.display(description="Provenance")
    def text_provenance(self, obj):
        """Where the current text was made (model, prompt version, tokens, time), from
        the generator's record of it; edited or hand-written texts have none."""
        made = GeneratedText.objects.filter(language=obj.language, text=obj.text).first()
        if made is None or not made.model:
            return "-"
        return (
            f"{made.model}, prompt {made.prompt_version}, {made.prompt_tokens} prompt and "
            f"{made.output_tokens} output tokens, {made.created:%Y-%m-%d %H:%M} UTC"
        )

    @admin.display(description="Approved", ordering="approved_at")
    def approval(self, obj):
        if obj.approved_at:
            return f"by {obj.approved_by}"
        return "awaiting" if obj.project.requires_approval else "not needed"

    # The actions follow the roles (security/roles.py): an editor approves, only an
    # operator cancels, retries or publishes now, and a viewer only looks.
    def has_approve_permission(self, request):
        return request.user.has_perm("publishing.approve_publishingtask")

    def has_publish_permission(self, request):
        return request.user.has_perm("publishing.publish_publishingtask")

    @admin.action(description="Approve selected tasks for publishing", permissions=["approve"])
    def approve(self, request, queryset):
        _each(self, request, queryset, task_approve, "approved")

    @admin.action(description="Cancel selected tasks", permissions=["publish"])
    def cancel(self, request, queryset):
        _each(self, request, queryset, task_cancel, "cancelled")

    @admin.action(
        description="Retry selected tasks (failed, needs review, missed, invalid)",
        permissions=["publish"],
    )
    def retry(self, request, queryset):
        _each(self, request, queryset, task_retry, "queued again")

    @admin.action(description="Publish selected tasks now", permissions=["publish"])
    def publish_now(self, request, queryset):
        _each(self, request, queryset, task_publish_now, "due now")


@admin.register(PublishingLog)
class PublishingLogAdmin(admin.ModelAdmin):
    list_display = (
        "created",
        "task",
        "status",
        "post_id",
        "error_class",
        "http_status",
        "execution_time",
    )
    list_filter = ("status", "error_class")
    search_fields = ("post_id", "error")
    list_select_related = ("task",)
    raw_id_fields = ("task",)
    show_full_result_count = False
    readonly_fields = [f.name for f in PublishingLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class XAccountForm(forms.ModelForm):
    class Meta:
        model = XAccount
        fields = ("char_limit", "max_video_seconds")  # the admin passes its own list

    def clean_char_limit(self):
        return account_char_limit_check(self.cleaned_data["char_limit"])

    def clean_max_video_seconds(self):
        seconds = self.cleaned_data["max_video_seconds"]
        if seconds < 1:
            raise ValidationError("A video limit of 0 seconds would refuse every video.")
        return seconds


@admin.register(XAccount)
class XAccountAdmin(admin.ModelAdmin):
    form = XAccountForm
    list_display = (
        "handle",
        "x_user_id",
        "is_default",
        "paused",
        "paused_reason",
        "char_limit",
        "verified_at",
    )
    list_filter = ("paused", "is_default")
    search_fields = ("handle", "x_user_id")
    filter_horizontal = ("projects",)
    # Secrets are write-only: the admin never renders them back.
    exclude = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
    readonly_fields = (
        "x_user_id",
        "verified_at",
        "created",
        "paused",
        "paused_reason",
        "paused_at",
    )
    actions = ("pause", "resume")

    def has_add_permission(self, request):
        return False  # added with `manage.py account add` (verified against X)

    @admin.action(description="Pause selected accounts")
    def pause(self, request, queryset):
        actor = f"user:{request.user.get_username()}"
        for account in queryset:
            account_pause(account=account, reason="paused by an operator", actor=actor)
        self.message_user(request, f"{queryset.count()} account(s) paused.")

    @admin.action(description="Resume selected accounts")
    def resume(self, request, queryset):
        actor = f"user:{request.user.get_username()}"
        released = sum(account_resume(account=a, actor=actor) for a in queryset)
        self.message_user(request, f"Resumed; {released} held task(s) are due again.")


@admin.register(TaskTransition)
class TaskTransitionAdmin(admin.ModelAdmin):
    list_display = ("created", "task", "from_status", "to_status", "actor", "reason")
    list_filter = ("to_status", "from_status")
    search_fields = ("actor", "reason")
    list_select_related = ("task",)
    raw_id_fields = ("task",)
    show_full_result_count = False
    readonly_fields = [f.name for f in TaskTransition._meta.fields]

    def has_add_permission(self, request):
        return False  # written by the state machine only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RateLimitState)
class RateLimitStateAdmin(admin.ModelAdmin):
    list_display = ("scope", "bucket", "limit", "remaining", "reset_at", "updated")
    list_filter = ("bucket",)
    readonly_fields = [f.name for f in RateLimitState._meta.fields]

    def has_add_permission(self, request):
        return False  # written from X's headers only


@admin.register(PublisherState)
class PublisherStateAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reason", "reconcile_required", "changed_by", "changed_at")
    readonly_fields = ("paused", "reason", "reconcile_required", "changed_by", "changed_at")
    actions = ("pause", "resume")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Pause all publishing")
    def pause(self, request, queryset):
        publisher_pause(reason="paused by an operator", actor=f"user:{request.user}")
        self.message_user(request, "Publishing paused.")

    @admin.action(description="Resume publishing")
    def resume(self, request, queryset):
        try:
            publisher_resume(actor=f"user:{request.user}")
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, "Publishing resumed.")


@admin.register(GeneratedText)
class GeneratedTextAdmin(admin.ModelAdmin):
    """Read-only: the generator writes these. Deleting a row has its text made again."""

    list_display = ("created", "language", "mode", "weighted_length", "model", "prompt_version")
    list_filter = ("mode", "language", "prompt_version")
    search_fields = ("text", "content_hash")
    readonly_fields = [f.name for f in GeneratedText._meta.fields]
    show_full_result_count = False  # one row per post ever composed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MediaUpload)
class MediaUploadAdmin(admin.ModelAdmin):
    list_display = (
        "media_id",
        "account",
        "media_type",
        "size",
        "state",
        "chunks_sent",
        "expires_at",
    )
    list_filter = ("state", "media_type")
    search_fields = ("media_id", "sha256")
    list_select_related = ("account",)
    readonly_fields = [f.name for f in MediaUpload._meta.fields]

    def has_add_permission(self, request):
        return False  # written by the dispatcher only


@admin.register(GeminiStatus)
class GeminiStatusAdmin(admin.ModelAdmin):
    """Read-only: whether Gemini is failing, as the generator recorded it."""

    list_display = ("__str__", "failures", "last_error", "last_error_at", "last_success_at")
    readonly_fields = [f.name for f in GeminiStatus._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
