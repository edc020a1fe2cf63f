"""django-q2 runs the function a Schedule names with pickled arguments: only
allowlisted functions may be stored, and only superusers touch the queue in the admin."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule

from security.queue_allowlist import func_is_allowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-12345678"))
    return client


@pytest.fixture
def staff_client(client, django_user_model):
    """Staff with every django_q permission, but not a superuser."""
    user = django_user_model.objects.create_user("staff", password="pw-12345678", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="django_q"))
    client.force_login(user)
    return client


def schedule_form(func: str, hook: str = "") -> dict:
    now = timezone.now()
    return {
        "name": "evil",
        "func": func,
        "hook": hook,
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
        "repeats": -1,
        "next_run_0": now.strftime("%Y-%m-%d"),
        "next_run_1": now.strftime("%H:%M:%S"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "os.system",
        "subprocess.call",
        "builtins.eval",
        # Imported into an allowed module, not defined there.
        "publishing.tasks.dispatch_loop",
        "publishing.tasks._private",
        "publishing.tasks.no_such_function",
        "publishing.tasks.dispatch_due.__globals__",
        "",
    ],
)
def test_a_schedule_naming_a_function_off_the_allowlist_cannot_be_saved(name):
    with pytest.raises(ValidationError, match="not an allowed task function"):
        Schedule.objects.create(name="evil", func=name)
    assert not Schedule.objects.filter(name="evil").exists()


def test_a_hook_off_the_allowlist_cannot_be_saved():
    with pytest.raises(ValidationError, match="hook"):
        Schedule.objects.create(name="evil", func="publishing.tasks.dispatch_due", hook="os.system")


def test_the_projects_own_task_functions_are_allowed():
    assert func_is_allowed("publishing.tasks.dispatch_due")
    assert func_is_allowed("database.tasks.backup_daily")
    Schedule.objects.create(name="ok", func="publishing.tasks.dispatch_due")


def test_an_existing_schedule_cannot_be_changed_to_a_bad_function():
    schedule = Schedule.objects.create(name="ok", func="publishing.tasks.dispatch_due")
    schedule.func = "os.system"
    with pytest.raises(ValidationError):
        schedule.save()
    assert Schedule.objects.get(pk=schedule.pk).func == "publishing.tasks.dispatch_due"


def test_the_allowlist_is_a_setting_other_apps_extend(settings):
    assert not func_is_allowed("tests.security.test_queue_allowlist.schedule_form")
    extra = "tests.security.test_queue_allowlist.*"
    settings.Q_FUNC_ALLOWLIST = [*settings.Q_FUNC_ALLOWLIST, extra]
    assert func_is_allowed("tests.security.test_queue_allowlist.schedule_form")


@pytest.mark.parametrize(
    "url",
    [
        "admin:django_q_schedule_changelist",
        "admin:django_q_schedule_add",
        "admin:django_q_ormq_changelist",
        "admin:django_q_success_changelist",
        "admin:django_q_failure_changelist",
    ],
)
def test_staff_without_superuser_cannot_open_the_queue_in_the_admin(staff_client, url):
    assert staff_client.get(reverse(url)).status_code == 403


def test_staff_without_superuser_cannot_add_a_schedule(staff_client):
    response = staff_client.post(
        reverse("admin:django_q_schedule_add"), schedule_form("publishing.tasks.dispatch_due")
    )
    assert response.status_code == 403
    assert not Schedule.objects.filter(name="evil").exists()


def test_a_superuser_is_told_why_a_bad_function_is_refused(superuser_client):
    response = superuser_client.post(
        reverse("admin:django_q_schedule_add"), schedule_form("os.system")
    )
    assert response.status_code == 200
    assert "is not an allowed task function" in response.content.decode()
    assert not Schedule.objects.filter(name="evil").exists()


def test_a_superuser_can_add_an_allowlisted_schedule(superuser_client):
    response = superuser_client.post(
        reverse("admin:django_q_schedule_add"), schedule_form("publishing.tasks.dispatch_due")
    )
    assert response.status_code == 302
    assert Schedule.objects.get(name="evil").func == "publishing.tasks.dispatch_due"


def test_resubmitting_a_failed_task_with_a_bad_function_is_refused(superuser_client):
    failed = Failure.objects.create(
        id="a" * 32,
        name="bad",
        func="os.system",
        started=timezone.now(),
        stopped=timezone.now(),
        success=False,
    )
    response = superuser_client.post(
        reverse("admin:django_q_failure_changelist"),
        {"action": "resubmit_allowed", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "Nothing resubmitted" in response.content.decode()
    assert Failure.objects.filter(pk=failed.pk).exists()
    assert not OrmQ.objects.exists()
