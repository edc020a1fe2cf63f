"""Scanned content becomes tasks, and tasks follow the files."""

from datetime import UTC, datetime, timedelta

import pytest
from django.forms.models import model_to_dict

from projects.services import project_create
from publishing.models import PublishingTask, TaskTransition
from publishing.services import task_sync
from publishing.services.ingest import project_ingest
from tests.fixtures.content import (
    batch_path,
    make_plain_project,
    make_uploader_json_project,
    metadata_entry,
    video_name,
    write_json,
)

S = PublishingTask.Status
NOW = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo
pytestmark = pytest.mark.django_db


@pytest.fixture
def videos(content_root, owner):
    folder = make_uploader_json_project(content_root, n_videos=3, languages=("en", "ja"))
    project = project_create(
        owner=owner, name="videos", path=str(folder), language="en", timezone="Asia/Tokyo"
    )
    return project, folder


def snapshot(project):
    return [model_to_dict(t) for t in project.tasks.order_by("pk")]


def test_it_creates_one_task_per_video_in_the_project_language(videos):
    project, _ = videos
    report = project_ingest(project=project, now=NOW)
    tasks = list(project.tasks.order_by("content_path"))
    assert report["tasks_created"] == 3
    assert [t.language for t in tasks] == ["en", "en", "en"]
    assert all(t.status == S.PENDING and t.has_media for t in tasks)
    assert tasks[0].text.startswith("🎥 New Video:")
    assert tasks[0].media_paths == [tasks[0].content_path]


def test_it_schedules_new_tasks_at_the_projects_preferred_local_hours(videos):
    project, _ = videos
    project_ingest(project=project, now=NOW)
    hours = [t.scheduled_at.astimezone(project_tz(project)).hour for t in project.tasks.all()]
    assert sorted(hours) == [12, 15, 18]


def project_tz(project):
    from zoneinfo import ZoneInfo

    return ZoneInfo(project.timezone)


def test_rescanning_an_unchanged_tree_creates_and_changes_nothing(videos):
    project, _ = videos
    project_ingest(project=project, now=NOW)
    before = snapshot(project)
    report = project_ingest(project=project, now=NOW + timedelta(hours=1))
    assert report["tasks_created"] == report["tasks_updated"] == report["tasks_cancelled"] == 0
    assert snapshot(project) == before


def test_changed_metadata_updates_a_pending_task_but_never_a_published_one(videos):
    project, folder = videos
    project_ingest(project=project, now=NOW)
    first, second = project.tasks.order_by("content_path")[:2]
    PublishingTask.objects.filter(pk=first.pk).update(status=S.PUBLISHED, post_id="111")
    names = [video_name(folder, n) for n in (1, 2, 3)]
    entries = {m: metadata_entry(n, "en", title=f"New title {n}") for n, m in enumerate(names, 1)}
    write_json(batch_path(folder, "en"), entries)

    project_ingest(project=project, now=NOW)

    first.refresh_from_db()
    second.refresh_from_db()
    assert "New title" not in first.text
    assert "New title 2" in second.text


def test_a_removed_file_cancels_its_pending_task_and_keeps_its_history(videos):
    project, folder = videos
    project_ingest(project=project, now=NOW)
    (folder / "videos" / video_name(folder, 3)).unlink()

    report = project_ingest(project=project, now=NOW)

    task = project.tasks.get(content_path=f"videos/{video_name(folder, 3)}")
    assert report["tasks_cancelled"] == 1
    assert task.status == S.CANCELLED
    assert TaskTransition.objects.get(task=task).reason == "The file was removed from disk."


def test_a_file_that_comes_back_gets_its_cancelled_task_back(videos):
    project, folder = videos
    project_ingest(project=project, now=NOW)
    video = folder / "videos" / video_name(folder, 3)
    data = video.read_bytes()
    video.unlink()
    project_ingest(project=project, now=NOW)
    video.write_bytes(data)

    project_ingest(project=project, now=NOW)

    task = project.tasks.get(content_path=f"videos/{video.name}")
    assert task.status == S.PENDING
    assert task.scheduled_at >= NOW
    assert project.tasks.count() == 3


def test_files_that_come_back_together_get_distinct_slots_from_one_slot_query(videos, monkeypatch):
    project, folder = videos
    project_ingest(project=project, now=NOW)
    files = [folder / "videos" / video_name(folder, n) for n in (1, 2, 3)]
    kept = [(video, video.read_bytes()) for video in files]
    for video in files:
        video.unlink()
    project_ingest(project=project, now=NOW)
    for video, data in kept:
        video.write_bytes(data)
    asked = []
    slots = task_sync._slots

    def counted(project, count, now):
        asked.append(count)
        return slots(project, count, now)

    monkeypatch.setattr(task_sync, "_slots", counted)

    report = project_ingest(project=project, now=NOW)

    tasks = list(project.tasks.all())
    times = {task.scheduled_at for task in tasks}
    assert asked == [3, 0]  # the three revived at once, then the (no) new tasks
    assert (report["tasks_updated"], {task.status for task in tasks}) == (3, {S.PENDING})
    assert len(times) == 3 and min(times) >= NOW


def test_content_without_the_project_language_is_an_invalid_task_with_the_reason(
    content_root, owner
):
    folder = make_uploader_json_project(content_root, n_videos=1, languages=("cn",))
    project = project_create(owner=owner, name="cn-only", path=str(folder), language="ja")

    report = project_ingest(project=project, now=NOW)

    task = project.tasks.get()
    assert task.status == S.INVALID
    assert task.last_error == "No metadata in the project's language 'ja' (found: cn)."
    assert report["invalid"] == [{"path": task.content_path, "error": task.last_error}]


def test_a_broken_metadata_file_holds_the_pending_task_as_invalid(videos):
    project, folder = videos
    project_ingest(project=project, now=NOW)
    batch_path(folder, "en").write_text("{ not json", encoding="utf-8")

    report = project_ingest(project=project, now=NOW)

    # The broken file is reported; its videos lose their English text until it is fixed.
    assert [e["path"] for e in report["errors"]] == ["uploader_json/" + batch_path(folder).name]
    assert set(project.tasks.values_list("status", flat=True)) == {S.INVALID}
    assert "(found: ja)" in project.tasks.first().last_error


def test_text_posts_publish_in_the_project_language_only(content_root, owner):
    folder = make_plain_project(
        content_root, n_posts=2, languages=("ja", "en"), default_language="ja"
    )
    project = project_create(owner=owner, name="blog", path=str(folder), language="ja")

    project_ingest(project=project, now=NOW)

    tasks = list(project.tasks.order_by("content_path"))
    assert [(t.language, t.text, t.has_media) for t in tasks] == [
        ("ja", "Post 1 in ja.", False),
        ("ja", "Post 2 in ja.", False),
    ]


def test_without_a_gemini_key_posts_are_composed_directly_and_say_why(videos):
    project, _ = videos
    project_ingest(project=project, now=NOW)
    task = project.tasks.first()
    assert (task.text_origin, task.text_note) == ("direct", "no GEMINI_API_KEY configured")


def test_with_a_gemini_key_the_scan_stores_gemini_rewrites_once(videos, gemini_settings):
    project, _ = videos
    project_ingest(project=project, now=NOW)
    project_ingest(project=project, now=NOW)

    origins = set(project.tasks.values_list("text_origin", flat=True))
    assert origins == {"gemini"}
    assert len(gemini_settings.requests()) == 3  # one paid call per video, none on rescan


def test_an_operators_edit_survives_a_rescan_of_changed_metadata(videos, owner):
    from publishing.services.task_actions import task_edit_text

    project, folder = videos
    project_ingest(project=project, now=NOW)
    task = project.tasks.order_by("content_path").first()
    task_edit_text(task=task, text="Hand-written by the editor", actor="user:ed")
    names = [video_name(folder, n) for n in (1, 2, 3)]
    entries = {m: metadata_entry(n, "en", title=f"Changed {n}") for n, m in enumerate(names, 1)}
    write_json(batch_path(folder, "en"), entries)

    project_ingest(project=project, now=NOW)

    task.refresh_from_db()
    assert task.text == "Hand-written by the editor"


def test_an_operators_cancel_stands_when_the_folder_is_scanned_again(videos):
    from publishing.services.task_actions import task_cancel

    project, _ = videos
    project_ingest(project=project, now=NOW)
    task = project.tasks.order_by("content_path").first()
    task_cancel(task=task, actor="user:ed")

    project_ingest(project=project, now=NOW)

    task.refresh_from_db()
    assert task.status == S.CANCELLED
