"""The project's language mode: one post per media file in the project's language (the
original behaviour, the default), or one task per file and language."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError

from projects.models import Project
from projects.services import project_create
from publishing.models import PublishingTask
from publishing.services.ingest import project_ingest
from tests.fixtures.content import make_plain_project, make_uploader_json_project
from tests.fixtures.publishing import TaskFactory

S = PublishingTask.Status
NOW = datetime(2026, 11, 2, 0, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def trilingual(content_root, owner):
    folder = make_uploader_json_project(content_root, n_videos=2, languages=("en", "cn", "ja"))
    return project_create(owner=owner, name="videos", path=str(folder), language="ja")


def by_file(project):
    return sorted(project.tasks.values_list("content_path", "language", "status"))


def each(project: Project) -> Project:
    project.language_mode = Project.LanguageMode.EACH
    project.save(update_fields=["language_mode"])
    return project


def test_by_default_each_file_is_one_task_in_the_projects_language(trilingual):
    project_ingest(project=trilingual, now=NOW)

    assert trilingual.language_mode == Project.LanguageMode.ONE
    assert {language for _, language, _ in by_file(trilingual)} == {"ja"}
    assert trilingual.tasks.count() == 2


def test_each_language_becomes_its_own_task_with_its_own_text(trilingual):
    report = project_ingest(project=each(trilingual), now=NOW)

    tasks = list(trilingual.tasks.order_by("content_path", "language"))
    assert report["tasks_created"] == 6
    assert [t.language for t in tasks[:3]] == ["cn", "en", "ja"]
    assert tasks[0].text.startswith("🎥 新视频：") and tasks[1].text.startswith("🎥 New Video:")
    assert tasks[2].text.startswith("🎥 新しい動画：")
    assert all(t.media_paths == [t.content_path] and t.status == S.PENDING for t in tasks)


def test_rescanning_in_each_mode_creates_and_changes_nothing(trilingual):
    project_ingest(project=each(trilingual), now=NOW)
    before = list(trilingual.tasks.order_by("pk").values())

    report = project_ingest(project=trilingual, now=NOW + timedelta(hours=1))

    changes = (report["tasks_created"], report["tasks_updated"], report["tasks_cancelled"])
    assert changes == (0, 0, 0)
    assert list(trilingual.tasks.order_by("pk").values()) == before


def test_back_to_one_language_cancels_the_others_and_each_brings_them_back(trilingual):
    project_ingest(project=each(trilingual), now=NOW)
    trilingual.language_mode = Project.LanguageMode.ONE
    trilingual.save()

    project_ingest(project=trilingual, now=NOW)
    waiting = {(lang, status) for _, lang, status in by_file(trilingual)}
    project_ingest(project=each(trilingual), now=NOW)

    assert waiting == {("ja", S.PENDING), ("en", S.CANCELLED), ("cn", S.CANCELLED)}
    assert {status for _, _, status in by_file(trilingual)} == {S.PENDING}
    assert trilingual.tasks.count() == 6


def test_one_mode_never_posts_a_published_file_again_after_a_language_change(trilingual):
    project_ingest(project=trilingual, now=NOW)
    for n, task in enumerate(trilingual.tasks.all()):
        PublishingTask.objects.filter(pk=task.pk).update(status=S.PUBLISHED, post_id=str(n + 1))
    trilingual.language = "en"
    trilingual.save()

    report = project_ingest(project=trilingual, now=NOW)

    assert report["tasks_created"] == 0
    assert {language for _, language, _ in by_file(trilingual)} == {"ja"}


def test_a_language_missing_from_a_file_is_simply_not_published_in_each_mode(content_root, owner):
    folder = make_plain_project(content_root, n_posts=2, languages=("en", "cn"))
    (folder / "posts" / "post_002.cn.md").unlink()
    project = each(project_create(owner=owner, name="blog", path=str(folder), language="en"))

    project_ingest(project=project, now=NOW)

    assert [(path, lang) for path, lang, _ in by_file(project)] == [
        ("posts/post_001.md", "cn"),
        ("posts/post_001.md", "en"),
        ("posts/post_002.md", "en"),
    ]


def test_the_database_allows_one_task_per_file_and_language(sandbox_account):
    first = TaskFactory(content_path="videos/a.mp4", has_media=True, language="en")
    TaskFactory(project=first.project, content_path="videos/a.mp4", has_media=True, language="ja")

    with pytest.raises(IntegrityError):
        TaskFactory(
            project=first.project, content_path="videos/a.mp4", has_media=True, language="en"
        )
