"""The admin is the operator's console: every page renders, secrets never show."""

import pytest
from django.contrib import admin
from django.urls import reverse

from publishing.models import PublishingLog, TaskTransition
from tests.fixtures.publishing import TaskFactory, XAccountFactory

pytestmark = pytest.mark.django_db

SECRET = "sentinel-secret-4f9c1e"


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(user)
    return client


@pytest.fixture
def rows():
    account = XAccountFactory(handle="someone", consumer_secret=SECRET, access_token_secret=SECRET)
    task = TaskFactory(account=account, status="published", post_id="42")
    TaskTransition.objects.create(
        task=task, from_status="publishing", to_status="published", actor="t"
    )
    PublishingLog.objects.create(task=task, status="success", post_id="42", execution_time=0.1)
    return task


def admin_urls():
    for model in admin.site._registry:
        meta = model._meta
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        obj = model.objects.first()
        if obj is not None:
            yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def test_every_admin_list_and_change_page_renders(operator, rows):
    for url in admin_urls():
        response = operator.get(url)
        assert response.status_code == 200, url


def test_account_pages_never_show_secrets(operator, rows):
    for url in (
        reverse("admin:publishing_xaccount_changelist"),
        reverse("admin:publishing_xaccount_change", args=[rows.account.pk]),
    ):
        assert SECRET not in operator.get(url).content.decode()


def test_task_changelist_filters_by_status(operator, rows):
    TaskFactory(status="pending")
    response = operator.get(
        reverse("admin:publishing_publishingtask_changelist") + "?status=published"
    )
    assert list(response.context["cl"].result_list) == [rows]


def test_worker_owned_task_fields_are_read_only(operator, rows):
    response = operator.get(reverse("admin:publishing_publishingtask_change", args=[rows.pk]))
    form_fields = response.context["adminform"].form.fields
    assert {"status", "post_id", "attempts", "last_error"}.isdisjoint(form_fields)
