"""The review flow of issue 4, as an operator meets it: projects in English, Chinese
and Japanese that require approval are scanned with Gemini (the loopback emulator,
through the real google-genai client); the rewritten posts wait in the admin, where
they are read, edited and approved one by one or in bulk; nothing is published
before its approval, and a rescan that changes an approved text asks again."""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from projects.models import Project
from projects.services import project_create
from publishing import prompts
from publishing.management.commands.demo import DEMO_DIR
from publishing.models import GeneratedText, PublishingTask
from publishing.services.dispatch import dispatch_once
from publishing.services.ingest import project_ingest
from tests.fixtures.content import (
    batch_path,
    make_uploader_json_project,
    metadata_entry,
    write_json,
)

S = PublishingTask.Status
LANGUAGES = ("en", "cn", "ja")
TASKS = reverse("admin:publishing_publishingtask_changelist")
pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed(content_root, owner, sandbox_account, gemini_settings):
    """One project per language, each requiring approval, scanned once."""
    projects = []
    for language in LANGUAGES:
        folder = make_uploader_json_project(
            content_root, name=f"videos_{language}", n_videos=2, languages=(language,)
        )
        project = project_create(owner=owner, name=folder.name, path=str(folder), language=language)
        Project.objects.filter(pk=project.pk).update(requires_approval=True)
        project.refresh_from_db()
        project_ingest(project=project)
        projects.append(project)
    return projects


@pytest.fixture
def operator(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-12345"))
    return client


def task_of(language: str) -> PublishingTask:
    return PublishingTask.objects.filter(language=language).order_by("id").first()


def act(client, action: str, tasks) -> str:
    data = {"action": action, "_selected_action": [t.pk for t in tasks]}
    return client.post(TASKS, data, follow=True).content.decode()


def change(client, task: PublishingTask, **fields):
    """Post the task's change form as the admin renders it, with `fields` changed."""
    url = reverse("admin:publishing_publishingtask_change", args=[task.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in data.items()}
    data.update(fields)
    for prefix in ("thread_parts", "transitions", "logs"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return client.post(url, data, follow=True)


def test_rewritten_posts_in_each_language_wait_for_review_in_the_admin(reviewed, operator):
    tasks = PublishingTask.objects.all()

    assert sorted(t.language for t in tasks) == sorted(LANGUAGES * 2)
    assert {(t.text_origin, t.text_note, t.status) for t in tasks} == {("gemini", "", S.PENDING)}
    listing = operator.get(f"{TASKS}?approval=awaiting").content.decode()
    for task in tasks:
        assert task.text.split("\n")[0] in listing  # the post itself, readable in the list
        page = operator.get(reverse("admin:publishing_publishingtask_change", args=[task.pk]))
        assert task.text in page.content.decode()
    assert dispatch_once(ignore_schedule=True).published == 0


def test_the_task_page_shows_where_its_text_came_from(reviewed, operator):
    task = task_of("cn")
    made = GeneratedText.objects.get(language="cn", text=task.text)

    page = operator.get(reverse("admin:publishing_publishingtask_change", args=[task.pk]))

    assert made.prompt_tokens > 0 and made.output_tokens > 0
    assert (
        f"gemini-2.5-flash, prompt {prompts.PROMPT_VERSION}, {made.prompt_tokens} prompt and "
        f"{made.output_tokens} output tokens"
    ) in page.content.decode()


def test_an_operator_edits_a_generated_text_and_a_rescan_keeps_it(reviewed, operator):
    task = task_of("ja")

    edited = "新作です。紙飛行機の夢をもう一度。#紙飛行機"

    change(operator, task, text=f"  {edited}  ")

    task.refresh_from_db()
    assert (task.text, task.text_origin) == (edited, "edited")
    project_ingest(project=task.project)
    task.refresh_from_db()
    assert task.text == edited


def test_an_edit_over_the_limit_is_refused_on_the_form_and_nothing_is_saved(reviewed, operator):
    task = task_of("cn")
    before = (task.text, task.priority)

    response = change(operator, task, text="字" * 141, priority=7)

    assert "The text weighs 282 characters; the limit is 280." in response.content.decode()
    task.refresh_from_db()
    assert (task.text, task.priority) == before


def test_approving_one_task_publishes_that_one_only(reviewed, operator, xsandbox):
    task = task_of("cn")

    assert "1 task(s) approved." in act(operator, "approve", [task])

    assert dispatch_once(ignore_schedule=True).published == 1
    assert [post["text"] for post in xsandbox.posts()] == [task.text]
    assert PublishingTask.objects.filter(status=S.PENDING).count() == 5


def test_publish_now_refuses_a_task_awaiting_approval_and_says_why(reviewed, operator):
    task = task_of("ja")
    slot = task.scheduled_at

    page = act(operator, "publish_now", [task])

    assert f"Task {task.pk} awaits approval: approve it first." in page
    task.refresh_from_db()
    assert task.scheduled_at == slot
    act(operator, "approve", [task])
    assert "1 task(s) due now." in act(operator, "publish_now", [task])


def test_bulk_approval_lets_every_selected_task_publish(reviewed, operator, xsandbox):
    chosen = [task_of(language) for language in LANGUAGES]

    assert "3 task(s) approved." in act(operator, "approve", chosen)

    assert dispatch_once(ignore_schedule=True).published == 3
    posts = xsandbox.posts()
    assert sorted(p["text"] for p in posts) == sorted(t.text for t in chosen)
    # Each with its video; the three fixture videos have the same bytes, so the same
    # file hash: uploaded once, its media id used by all three posts.
    assert [len(p["media_ids"]) for p in posts] == [1, 1, 1]
    assert len({p["media_ids"][0] for p in posts}) == 1
    assert xsandbox.request_counts()["POST /2/media/upload/initialize"] == 1


def test_a_rescan_that_rewrites_an_approved_text_asks_for_approval_again(reviewed, operator):
    task = task_of("en")
    act(operator, "approve", [task])
    folder = batch_path(Path(task.project.path), "en")
    entries = {
        name: metadata_entry(n, "en", title=f"A new title for video {n}")
        for n, name in enumerate(["videos_en_001.mp4", "videos_en_002.mp4"], 1)
    }
    write_json(folder, entries)

    project_ingest(project=task.project)

    task.refresh_from_db()
    assert "A new title for video 1" in task.text
    assert (task.approved_at, task.approved_by) == (None, "")
    assert dispatch_once(ignore_schedule=True).published == 0


def test_a_viewer_sees_the_review_queue_but_cannot_approve(reviewed, client, django_user_model):
    viewer = django_user_model.objects.create_user("vic", password="pw-12345", is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewer"))
    client.force_login(viewer)
    task = task_of("en")

    page = client.get(TASKS).content.decode()
    act(client, "approve", [task])

    assert task.text.split("\n")[0] in page
    assert 'value="approve"' not in page
    task.refresh_from_db()
    assert task.approved_at is None


def test_an_editor_may_approve_but_not_publish_now(reviewed, client, django_user_model):
    editor = django_user_model.objects.create_user("eve", password="pw-12345", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editor"))
    client.force_login(editor)
    task = task_of("en")
    slot = task.scheduled_at

    page = client.get(TASKS).content.decode()

    assert 'value="approve"' in page and 'value="publish_now"' not in page
    act(client, "approve", [task])
    act(client, "publish_now", [task])
    task.refresh_from_db()
    assert (task.approved_by, task.scheduled_at) == ("user:eve", slot)


# --- what a scan tells Gemini about the account ----------------------------------------


def scanned(content_root, owner, name: str) -> Project:
    folder = make_uploader_json_project(content_root, name=name, n_videos=1)
    project = project_create(owner=owner, name=name, path=str(folder), language="en")
    project_ingest(project=project)
    return project


def test_a_rewrite_repeating_the_accounts_recent_post_is_refused_in_a_scan(
    content_root, owner, sandbox_account, gemini_settings, settings
):
    settings.GEMINI_MAX_REGENERATIONS = 0
    first = scanned(content_root, owner, "first").tasks.get()
    PublishingTask.objects.filter(pk=first.pk).update(status=S.PUBLISHED, post_id="1")

    # The same metadata in another project, posting on the same account.
    second = scanned(content_root, owner, "second").tasks.get()

    assert first.text_origin == "gemini"
    assert second.text_origin == "direct" and second.text != first.text
    assert second.text_note.endswith("(last: it repeats a recent post)")


def test_a_scan_asks_gemini_for_the_accounts_own_limit(
    content_root, owner, sandbox_account, gemini_settings
):
    sandbox_account.char_limit = 25_000
    sandbox_account.save(update_fields=["char_limit"])

    scanned(content_root, owner, "paid")

    (request,) = gemini_settings.requests()
    assert "at most 25000 weighted characters" in request["prompt"]


# --- the demo ------------------------------------------------------------------------


def test_the_review_demo_holds_gemini_posts_in_three_languages_for_approval(
    sandbox_account, gemini_settings, owner, settings
):
    owner.is_superuser = True
    owner.save(update_fields=["is_superuser"])
    settings.CONTENT_ROOTS = [DEMO_DIR]

    call_command("demo", "--review", stdout=StringIO())

    tasks = PublishingTask.objects.filter(project__name="demo-videos")
    assert {t.language for t in tasks} == set(LANGUAGES)
    assert {(t.text_origin, t.text_note) for t in tasks} == {("gemini", "")}
    assert dispatch_once(ignore_schedule=True, project_id=tasks[0].project_id).published == 0


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("char_limit", 30_000, "The text limit must be between 1 and 25,000"),
        ("char_limit", 0, "The text limit must be between 1 and 25,000"),
        ("max_video_seconds", 0, "A video limit of 0 seconds would refuse every video."),
    ],
)
def test_an_account_limit_x_never_has_is_refused_in_the_admin(
    sandbox_account, operator, field, value, error
):
    page = change_account(operator, sandbox_account, **{field: value}).content.decode()

    assert error in page
    sandbox_account.refresh_from_db()
    assert (sandbox_account.char_limit, sandbox_account.max_video_seconds) == (280, 140)


def test_a_paid_accounts_limits_are_saved_in_the_admin(sandbox_account, operator):
    change_account(operator, sandbox_account, char_limit=25_000, max_video_seconds=600)

    sandbox_account.refresh_from_db()
    assert (sandbox_account.char_limit, sandbox_account.max_video_seconds) == (25_000, 600)


def change_account(client, account, **fields):
    url = reverse("admin:publishing_xaccount_change", args=[account.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return client.post(url, {**data, "projects": [], **fields})
