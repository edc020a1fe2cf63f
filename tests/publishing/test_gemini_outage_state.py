"""A Gemini outage is recorded in the database for monitoring to alert on
(publishing.selectors.gemini_outage_state), and the admin says how texts are written."""

import pytest
from django.urls import reverse

from publishing.admin import DIRECT_MODE_NOTICE
from publishing.models import GeminiStatus
from publishing.selectors import gemini_outage_state
from publishing.services.generation import post_generate
from tests.fixtures.publishing import TaskFactory

pytestmark = pytest.mark.django_db

META = {"title": "The Moon Landing, Explained", "description": "How Apollo 11 got there."}


def generate(title="The Moon Landing, Explained"):
    return post_generate(meta={**META, "title": title}, language="en", limit=280)


def test_no_outage_is_reported_while_gemini_answers(gemini_settings):
    assert generate().mode == "gemini"

    assert gemini_outage_state() is None
    assert GeminiStatus.objects.get().last_success_at is not None


def test_a_failed_call_starts_an_outage_with_its_time_count_and_error(gemini_settings, settings):
    settings.GEMINI_OUTAGE_COOLDOWN_SECONDS = 0  # every post asks Gemini again
    gemini_settings.configure(mode="quota")

    generate()
    generate("Another video")

    outage = gemini_outage_state()
    assert outage.failures == 2
    assert outage.last_error.startswith("quota:") and "429" in outage.last_error
    assert outage.since <= outage.last_error_at
    assert "2 failed call(s) since" in outage.reason and outage.reason.startswith("quota:")


def test_the_outage_ends_at_the_next_answered_call(gemini_settings, settings):
    settings.GEMINI_OUTAGE_COOLDOWN_SECONDS = 0
    gemini_settings.configure(mode="error", count=1)
    generate()
    assert gemini_outage_state() is not None

    assert generate("Another video").mode == "gemini"

    assert gemini_outage_state() is None
    assert GeminiStatus.objects.get().failures == 0


def test_without_a_key_direct_mode_is_no_outage(gemini_settings, settings):
    settings.GEMINI_OUTAGE_COOLDOWN_SECONDS = 0
    gemini_settings.configure(mode="quota")
    generate()
    settings.GEMINI_API_KEY = ""

    assert gemini_outage_state() is None


# --- the admin ----------------------------------------------------------------------


@pytest.fixture
def operator(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-12345"))
    return client


def admin_pages(task):
    return [
        reverse("admin:projects_project_changelist"),
        reverse("admin:projects_project_change", args=[task.project_id]),
        reverse("admin:publishing_publishingtask_changelist"),
        reverse("admin:publishing_publishingtask_change", args=[task.pk]),
    ]


def test_without_a_key_the_project_and_task_pages_say_direct_mode_is_used(operator, settings):
    settings.GEMINI_API_KEY = ""
    task = TaskFactory()

    for url in admin_pages(task):
        page = operator.get(url)
        assert page.status_code == 200
        assert DIRECT_MODE_NOTICE in page.content.decode(), url


def test_with_a_working_key_the_pages_carry_no_gemini_notice(operator, gemini_settings):
    task = TaskFactory()

    page = operator.get(reverse("admin:publishing_publishingtask_changelist")).content.decode()

    assert "Direct mode" not in page and "Gemini is failing" not in page
    assert operator.get(admin_pages(task)[1]).status_code == 200


def test_during_an_outage_the_pages_say_gemini_is_failing(operator, gemini_settings):
    gemini_settings.configure(mode="quota")
    generate()

    page = operator.get(reverse("admin:projects_project_changelist")).content.decode()

    assert "Gemini is failing (quota:" in page and "posts are composed directly" in page
