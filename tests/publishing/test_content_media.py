"""A scan checks videos against the posting account's limit, and alt text files reach X."""

import pytest

from projects.services import project_create
from publishing.services.dispatch import dispatch_once
from publishing.services.ingest import project_ingest
from tests.fixtures.content import make_uploader_json_project, video_name, write, write_mp4

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_video(content_root, owner):
    folder = make_uploader_json_project(content_root, n_videos=1)
    write_mp4(folder / "videos" / video_name(folder, 1), 300)
    return project_create(owner=owner, name="long", path=str(folder))


def test_a_video_too_long_for_the_account_is_a_scan_error_not_a_task(long_video, sandbox_account):
    report = project_ingest(project=long_video)

    assert report["tasks_created"] == 0
    assert report["errors"] == [
        {
            "path": "videos/maker_music_001.mp4",
            "error": "videos/maker_music_001.mp4 runs 300.0 s; most accounts can post videos "
            "of up to 140 s.",
        }
    ]


def test_a_paid_account_with_a_longer_limit_gets_the_video_as_a_task(long_video, sandbox_account):
    sandbox_account.max_video_seconds = 600
    sandbox_account.save()

    report = project_ingest(project=long_video)

    assert (report["errors"], report["tasks_created"]) == ([], 1)


def test_the_alt_text_file_reaches_x_with_the_upload(
    content_root, owner, sandbox_account, xsandbox
):
    folder = make_uploader_json_project(content_root, n_videos=1)
    write(folder / "videos" / "maker_music_001.alt.txt", "A paper plane over a city.")
    project = project_create(owner=owner, name="alt", path=str(folder))
    project_ingest(project=project)

    assert dispatch_once(ignore_schedule=True).published == 1

    [media] = xsandbox.media()
    assert media["alt_text"] == "A paper plane over a city."
