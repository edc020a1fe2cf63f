"""Media goes up once per file and account, resumes after an interruption, and
carries its alt text."""

import json
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import MediaUpload, PublishingTask
from publishing.services.accounts import account_client
from publishing.services.dispatch import dispatch_once
from publishing.services.media import media_id_for
from publishing.xclient import XError
from tests.fixtures.content import write_media
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory

S = PublishingTask.Status
APPEND = "POST /2/media/upload/:id/append"
INIT = "POST /2/media/upload/initialize"
FINALIZE = "POST /2/media/upload/:id/finalize"
STATUS = "GET /2/media/upload"
pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(tmp_path, settings):
    settings.X_MEDIA_CHUNK_BYTES = 1024  # several chunks from a small file
    path = tmp_path / "clip.mp4"
    write_media(path)
    with path.open("r+b") as fh:
        fh.truncate(5 * 1024)  # five 1 KiB chunks
    return path


def video_task(account, project, **fields):
    return TaskFactory(
        account=account,
        project=project,
        content_path="clip.mp4",
        media_paths=["clip.mp4"],
        has_media=True,
        **fields,
    )


def test_a_video_goes_up_in_chunks_of_one_mib(sandbox_account, xsandbox, tmp_path, settings):
    assert settings.X_MEDIA_CHUNK_BYTES == 1024 * 1024  # the default: X's advice
    path = write_media(tmp_path / "long.mp4")
    with path.open("r+b") as fh:
        fh.truncate(5 * 1024 * 1024 // 2)  # 2.5 MiB

    media_id_for(client=account_client(sandbox_account), account=sandbox_account, path=path)

    assert xsandbox.request_counts()[APPEND] == 3
    assert MediaUpload.objects.get().chunks_sent == 3


def test_a_second_post_of_the_same_file_reuses_the_media_id(sandbox_account, xsandbox, clip):
    client = account_client(sandbox_account)

    first = media_id_for(client=client, account=sandbox_account, path=clip)
    second = media_id_for(client=client, account=sandbox_account, path=clip)

    assert first == second
    assert xsandbox.request_counts()[INIT] == 1


def test_an_interrupted_upload_resumes_without_resending_finished_chunks(
    sandbox_account, xsandbox, clip
):
    client = account_client(sandbox_account)
    upload_two_chunks_then_fail(client, sandbox_account, clip, xsandbox)

    media_id = media_id_for(client=client, account=sandbox_account, path=clip)

    upload = MediaUpload.objects.get()
    assert (upload.media_id, upload.state, upload.chunks_sent) == (media_id, "ready", 5)
    assert xsandbox.request_counts()[APPEND] == 2 + 1 + 3  # 2 ok, 1 refused, 3 resumed
    assert xsandbox.request_counts()[INIT] == 1


def upload_two_chunks_then_fail(client, account, clip, xsandbox):
    """Two chunks go through, then X answers the third append with a 503."""
    original = client.media_append
    calls = []

    def append(media_id, chunk, index):
        calls.append(index)
        if len(calls) == 3:
            xsandbox.set_faults({"endpoint": APPEND, "action": "error", "status": 503, "count": 1})
        original(media_id, chunk, index)

    client.media_append = append
    with pytest.raises(XError):
        media_id_for(client=client, account=account, path=clip)
    client.media_append = original
    assert MediaUpload.objects.get().chunks_sent == 2


def test_an_expiring_media_id_is_not_reused(sandbox_account, xsandbox, clip):
    client = account_client(sandbox_account)
    media_id_for(client=client, account=sandbox_account, path=clip)
    MediaUpload.objects.update(expires_at=timezone.now() + timedelta(minutes=1))

    media_id_for(client=client, account=sandbox_account, path=clip)

    assert xsandbox.request_counts()[INIT] == 2


def test_a_video_is_ready_only_once_x_says_its_processing_succeeded(
    sandbox_account, xsandbox, clip
):
    xsandbox.configure(processing_polls=3, check_after_secs=0)

    client = account_client(sandbox_account)

    media_id = media_id_for(client=client, account=sandbox_account, path=clip)

    assert xsandbox.request_counts()[STATUS] == 3  # polled until "succeeded", not once more
    assert MediaUpload.objects.get().state == "ready"
    assert xsandbox.media()[0]["id"] == media_id


def test_media_x_failed_to_process_is_uploaded_afresh_when_the_post_is_retried(
    sandbox_account, xsandbox, clip
):
    xsandbox.configure(check_after_secs=0)
    xsandbox.set_faults({"endpoint": FINALIZE, "action": "fail_processing", "count": 1})
    client = account_client(sandbox_account)

    with pytest.raises(XError, match="could not process") as caught:
        media_id_for(client=client, account=sandbox_account, path=clip)
    assert caught.value.error_class == "media"
    assert MediaUpload.objects.get().state == "failed"  # that media id is dead on X's side

    media_id = media_id_for(client=client, account=sandbox_account, path=clip)

    assert xsandbox.request_counts()[INIT] == 2
    assert MediaUpload.objects.get(media_id=media_id).state == "ready"


def test_alt_text_from_the_metadata_reaches_x(sandbox_account, xsandbox, clip):
    from projects.models import ContentSource

    project = ProjectRowFactory(path=str(clip.parent))
    source = ContentSource.objects.create(
        project=project,
        key="clip.mp4",
        kind="video",
        media_paths=["clip.mp4"],
        metadata={"en": {"title": "t", "alt": "A paper plane over a city"}},
        fingerprint="x",
        last_seen=timezone.now(),
    )
    video_task(sandbox_account, project, source=source)

    assert dispatch_once().published == 1
    (media,) = xsandbox.media()
    assert media["alt_text"] == "A paper plane over a city"


def test_a_post_retried_after_x_refused_it_does_not_upload_its_video_again(
    sandbox_account, xsandbox, clip
):
    project = ProjectRowFactory(path=str(clip.parent))
    task = video_task(sandbox_account, project)
    xsandbox.configure(rate_limits={"POST /2/tweets": 0})  # 429 after the upload

    dispatch_once()
    task.refresh_from_db()
    assert task.status == S.RETRY_WAIT
    xsandbox.configure(rate_limits={"POST /2/tweets": 100})
    dispatch_once(now=task.next_attempt_at + timedelta(seconds=1))

    task.refresh_from_db()
    assert task.status == S.PUBLISHED
    assert xsandbox.request_counts()[INIT] == 1
    assert xsandbox.request_counts()[APPEND] == 5


# --- a worker killed mid-upload (real processes, crash points) -------------------------

UPLOAD_SEED = """
from django.contrib.auth.models import User
from django.utils import timezone
from projects.models import Project
from publishing.models import PublishingTask, XAccount
from publishing.xsandbox import DEMO_ACCOUNT as A
owner = User.objects.create(username="owner")
project = Project.objects.create(owner=owner, name="p", path={folder!r}, layout="plain")
account = XAccount.objects.create(handle=A.username, x_user_id=A.user_id, is_default=True,
    consumer_key=A.consumer_key, consumer_secret=A.consumer_secret,
    access_token=A.access_token, access_token_secret=A.access_token_secret)
PublishingTask.objects.create(project=project, account=account, content_path="clip.mp4",
    media_paths=["clip.mp4"], has_media=True, language="en", text="A clip",
    scheduled_at=timezone.now())
"""

# The next worker: the dead worker's lease is over, reconciliation finds no post on X
# and queues the task again, and a pass resumes the upload and posts.
UPLOAD_RESUME = """
import json
from datetime import timedelta
from django.utils import timezone
from publishing.models import MediaUpload, PublishingTask
from publishing.services.dispatch import dispatch_once
from publishing.services.reconcile import leases_expire, tasks_reconcile
later = timezone.now() + timedelta(hours=1)
leases_expire(now=later)
tasks_reconcile(now=later)
dispatch_once(ignore_schedule=True)
task, upload = PublishingTask.objects.get(), MediaUpload.objects.get()
print(json.dumps({"status": task.status, "chunks": upload.chunks_sent, "state": upload.state}))
"""


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("point", "appends"),
    [
        ("media_after_checkpoint@3", 3 + 2),  # 3 recorded: only chunks 4 and 5 again
        ("media_after_append@3", 3 + 3),  # X had chunk 3 unrecorded: it goes again, once
    ],
)
def test_a_worker_killed_mid_upload_resumes_without_resending_recorded_chunks(
    processes, xsandbox, clip, point, appends
):
    processes.python(UPLOAD_SEED.format(folder=str(clip.parent)))
    env = {"X_API_BASE_URL": xsandbox.base_url, "X_MEDIA_CHUNK_BYTES": "1024"}

    killed = processes.spawn(
        "publish",
        "--now",
        TWITTERPUB_CRASH_POINTS=point,
        TWITTERPUB_CRASH_DIR=str(clip.parent),
        **env,
    )
    assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()[-2000:]
    assert xsandbox.request_counts()[APPEND] == 3
    outcome = json.loads(processes.python(UPLOAD_RESUME, **env).strip().splitlines()[-1])

    assert outcome == {"status": "published", "chunks": 5, "state": "ready"}
    assert xsandbox.request_counts()[INIT] == 1
    assert xsandbox.request_counts()[APPEND] == appends
    (post,) = xsandbox.posts()
    assert len(post["media_ids"]) == 1
