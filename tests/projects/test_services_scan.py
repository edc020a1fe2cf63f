import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import ContentSource, ScanReport
from projects.services import project_create, project_scan
from tests.fixtures.content import (
    batch_path,
    make_plain_project,
    make_uploader_json_project,
    metadata_entry,
    write,
    write_json,
    write_media,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


@pytest.fixture
def folder(content_root):
    return make_uploader_json_project(content_root, "maker", n_videos=3, languages=("en", "cn"))


@pytest.fixture
def project(owner, folder):
    return project_create(owner=owner, name="Maker", path=str(folder))


def rows(project):
    """Every column of every row, to prove a scan wrote nothing."""
    return list(ContentSource.objects.filter(project=project).order_by("key").values())


def sources(project):
    return {source.key: source for source in ContentSource.objects.filter(project=project)}


def test_the_first_scan_creates_one_row_per_item_with_all_it_found(project):
    outcome = project_scan(project=project, now=T0)

    found = sources(project)
    assert sorted(found) == ["videos/maker_001.mp4", "videos/maker_002.mp4", "videos/maker_003.mp4"]
    first = found["videos/maker_001.mp4"]
    assert first.kind == ContentSource.Kind.VIDEO
    assert first.media_paths == ["videos/maker_001.mp4"]
    assert first.metadata == {"en": metadata_entry(1, "en"), "cn": metadata_entry(1, "cn")}
    assert first.status == ContentSource.Status.ACTIVE
    assert first.last_seen == T0
    assert len(first.fingerprint) == 64
    assert outcome.created == [found[key].pk for key in sorted(found)]
    assert (outcome.updated, outcome.unchanged, outcome.removed, outcome.errored) == (
        [],
        [],
        [],
        [],
    )


def test_the_scan_is_recorded_in_a_report_and_on_the_project(project):
    outcome = project_scan(project=project, now=T0)

    report = ScanReport.objects.get()
    assert outcome.report == report
    assert (report.started, report.created_count, report.error_count) == (T0, 3, 0)
    assert report.finished >= report.started
    project.refresh_from_db()
    assert project.last_scan == T0


def test_rescanning_an_unchanged_tree_creates_and_changes_nothing(project):
    project_scan(project=project, now=T0)
    before = rows(project)

    outcome = project_scan(project=project, now=T1)

    assert rows(project) == before
    assert (outcome.created, outcome.updated, outcome.removed) == ([], [], [])
    assert outcome.unchanged == [row["id"] for row in before]
    assert outcome.report.unchanged_count == 3
    project.refresh_from_db()
    assert project.last_scan == T1


def test_rescanning_unchanged_rows_does_not_write_them(project):
    project_scan(project=project, now=T0)

    with CaptureQueriesContext(connection) as queries:
        project_scan(project=project, now=T1)

    writes = [q["sql"] for q in queries if "projects_contentsource" in q["sql"]]
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in writes)


def test_changed_metadata_updates_only_that_row(project, folder):
    project_scan(project=project, now=T0)
    before = {row["key"]: row for row in rows(project)}
    entries = {f"maker_{n:03d}.mp4": metadata_entry(n) for n in (1, 2, 3)}
    entries["maker_002.mp4"]["title"] = "A better title"

    write_json(batch_path(folder, "en", "20250801_000000"), entries)
    outcome = project_scan(project=project, now=T1)

    changed = sources(project)["videos/maker_002.mp4"]
    assert outcome.updated == [changed.pk]
    assert changed.metadata["en"]["title"] == "A better title"
    assert changed.fingerprint != before["videos/maker_002.mp4"]["fingerprint"]
    assert changed.last_seen == T1
    after = {row["key"]: row for row in rows(project)}
    assert after["videos/maker_001.mp4"] == before["videos/maker_001.mp4"]
    assert outcome.report.updated_count == 1
    assert outcome.report.unchanged_count == 2


def test_a_retouched_media_file_updates_its_row(project, folder):
    project_scan(project=project, now=T0)

    os.utime(folder / "videos" / "maker_003.mp4", ns=(10**18, 10**18))
    outcome = project_scan(project=project, now=T1)

    assert outcome.updated == [sources(project)["videos/maker_003.mp4"].pk]


def test_a_file_gone_from_disk_is_marked_removed_and_kept(project, folder):
    project_scan(project=project, now=T0)

    (folder / "videos" / "maker_002.mp4").unlink()
    outcome = project_scan(project=project, now=T1)

    gone = sources(project)["videos/maker_002.mp4"]
    assert gone.status == ContentSource.Status.REMOVED
    assert gone.metadata["en"] == metadata_entry(2)
    assert gone.last_seen == T0  # the last scan that saw it
    assert outcome.removed == [gone.pk]
    assert outcome.report.removed_count == 1


def test_an_already_removed_row_is_not_removed_again(project, folder):
    project_scan(project=project, now=T0)
    (folder / "videos" / "maker_002.mp4").unlink()
    project_scan(project=project, now=T1)
    before = rows(project)

    outcome = project_scan(project=project, now=T2)

    assert outcome.removed == []
    assert rows(project) == before


def test_a_file_that_reappears_is_active_again_and_counted_as_updated(project, folder):
    project_scan(project=project, now=T0)
    video = folder / "videos" / "maker_002.mp4"
    saved = video.read_bytes()
    video.unlink()
    project_scan(project=project, now=T1)

    write(video, saved)
    outcome = project_scan(project=project, now=T2)

    back = sources(project)["videos/maker_002.mp4"]
    assert back.status == ContentSource.Status.ACTIVE
    assert back.last_seen == T2
    assert outcome.updated == [back.pk]
    assert outcome.created == []


def test_an_item_in_error_is_stored_with_its_error_and_listed(project, folder):
    write_media(folder / "videos" / "untitled.mp4")

    outcome = project_scan(project=project, now=T0)

    bad = sources(project)["videos/untitled.mp4"]
    assert bad.status == ContentSource.Status.ERROR
    assert bad.error == "No metadata for untitled.mp4 in any language."
    assert outcome.errored == [bad.pk]
    assert bad.pk in outcome.created
    assert outcome.report.errors == [{"path": "videos/untitled.mp4", "error": bad.error}]
    assert outcome.report.error_count == 1


def test_an_item_in_error_stays_listed_as_errored_on_an_unchanged_rescan(project, folder):
    write_media(folder / "videos" / "untitled.mp4")
    project_scan(project=project, now=T0)

    outcome = project_scan(project=project, now=T1)

    bad = sources(project)["videos/untitled.mp4"]
    assert outcome.errored == [bad.pk]
    assert bad.pk in outcome.unchanged


def test_fixing_an_item_in_error_makes_it_active(project, folder):
    write_media(folder / "videos" / "untitled.mp4")
    project_scan(project=project, now=T0)

    write_json(folder / "videos" / "untitled.json", metadata_entry(7))
    outcome = project_scan(project=project, now=T1)

    fixed = sources(project)["videos/untitled.mp4"]
    assert (fixed.status, fixed.error) == (ContentSource.Status.ACTIVE, "")
    assert outcome.updated == [fixed.pk]
    assert outcome.errored == []


def test_errors_without_an_item_are_only_in_the_report(project, folder):
    write(folder / "videos" / "notes.psd", b"8BPS")

    outcome = project_scan(project=project, now=T0)

    assert "videos/notes.psd" not in sources(project)
    assert [error["path"] for error in outcome.report.errors] == ["videos/notes.psd"]


def test_a_media_symlink_leaving_the_project_is_stored_as_an_error(project, folder, tmp_path):
    outside = write_media(tmp_path / "elsewhere" / "maker_009.mp4")
    os.symlink(outside, folder / "videos" / "maker_009.mp4")

    project_scan(project=project, now=T0)

    escaped = sources(project)["videos/maker_009.mp4"]
    assert escaped.status == ContentSource.Status.ERROR
    assert "leads outside the project folder" in escaped.error


def test_a_missing_project_folder_is_reported_and_removes_nothing(project, folder):
    project_scan(project=project, now=T0)
    before = rows(project)

    shutil.rmtree(folder)
    outcome = project_scan(project=project, now=T1)

    assert rows(project) == before
    assert outcome.report.errors == [
        {"path": ".", "error": f"The project folder {folder} does not exist."}
    ]
    assert outcome.removed == []
    project.refresh_from_db()
    assert project.last_scan == T0  # the last scan that could read the folder


def test_a_folder_no_longer_inside_the_content_roots_is_not_scanned(project, settings, tmp_path):
    project_scan(project=project, now=T0)
    before = rows(project)
    other = tmp_path / "other-root"
    other.mkdir()

    settings.CONTENT_ROOTS = [other]
    outcome = project_scan(project=project, now=T1)

    assert rows(project) == before
    [error] = outcome.report.errors
    assert error["path"] == "."
    assert "outside the allowed content roots" in error["error"]


def test_files_in_an_unreadable_folder_are_not_marked_removed(project, folder, monkeypatch):
    project_scan(project=project, now=T0)
    before = rows(project)
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(folder / "videos"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    outcome = project_scan(project=project, now=T1)

    assert outcome.removed == []
    assert rows(project) == before
    assert "The folder videos could not be read" in outcome.report.errors[-1]["error"]


def test_the_number_of_queries_does_not_grow_with_the_number_of_items(content_root, owner):
    def queries_for(n: int, name: str) -> tuple[int, int]:
        folder = make_plain_project(content_root, name, n_posts=n)
        project = project_create(owner=owner, name=name, path=str(folder))
        with CaptureQueriesContext(connection) as first:
            project_scan(project=project, now=T0)
        for path in (folder / "posts").iterdir():
            write(path, path.read_text() + " (edited)")
        with CaptureQueriesContext(connection) as second:
            project_scan(project=project, now=T1)
        return len(first), len(second)

    # Both sizes fit one batch (SQLite: 999 variables, about 99 rows per INSERT).
    assert queries_for(5, "small") == queries_for(80, "large")


def test_a_plain_project_scan_stores_text_posts(content_root, owner):
    folder = make_plain_project(content_root, "blog", n_posts=1, languages=("en", "ja"), images=2)
    project = project_create(owner=owner, name="Blog", path=str(folder))

    project_scan(project=project, now=T0)

    [post] = ContentSource.objects.filter(project=project)
    assert post.key == "posts/post_001.md"
    assert post.kind == ContentSource.Kind.IMAGE
    assert post.media_paths == ["posts/post_001.1.jpg", "posts/post_001.2.jpg"]
    assert post.metadata == {"en": {"text": "Post 1 in en."}, "ja": {"text": "Post 1 in ja."}}
