"""Folders on disk become posts on X: both layouts, scanned, published, and checked
against what the emulator received."""

import json
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from publishing.models import PublishingTask
from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.content import make_plain_project, make_uploader_json_project, write_media
from tests.publishing.test_commands import SANDBOX_ENV

pytestmark = pytest.mark.django_db


def manage(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def published(content_root, django_user_model, monkeypatch, xsandbox_settings):
    django_user_model.objects.create_superuser("admin", password="admin-pass-1234")
    for name, value in SANDBOX_ENV.items():
        monkeypatch.setenv(name, value)
    videos = make_uploader_json_project(content_root, "videos", n_videos=2, languages=("en", "cn"))
    notes = make_plain_project(content_root, "notes", n_posts=2)
    write_media(notes / "posts" / "post_001.1.jpg")
    write_media(notes / "posts" / "post_001.2.png")
    manage("project", "add", "videos", str(videos), "--language", "cn")
    manage("project", "add", "notes", str(notes))
    manage("account", "add", DEMO_ACCOUNT.username, "--from-env")
    manage("scan")
    manage("publish", "--now", "--json")
    return xsandbox_settings


def test_every_task_is_published_once_with_the_post_id_x_gave(published):
    posts = published.posts()
    tasks = PublishingTask.objects.all()
    assert len(posts) == tasks.count() == 4
    assert {t.status for t in tasks} == {"published"}
    assert sorted(t.post_id for t in tasks) == sorted(p["id"] for p in posts)


def test_videos_go_out_in_the_project_language_with_their_video(published):
    by_id = {p["id"]: p for p in published.posts()}
    media = {m["id"]: m for m in published.media()}
    for task in PublishingTask.objects.filter(project__name="videos"):
        post = by_id[task.post_id]
        assert post["text"].startswith("🎥 新视频：纸飞机")
        (media_id,) = post["media_ids"]
        assert media[media_id]["media_category"] == "tweet_video"


def test_text_posts_carry_their_images_in_order(published):
    task = PublishingTask.objects.get(content_path="posts/post_001.md")
    post = next(p for p in published.posts() if p["id"] == task.post_id)
    media = {m["id"]: m for m in published.media()}
    assert post["text"] == "Post 1 in en."
    assert [media[m]["media_type"] for m in post["media_ids"]] == ["image/jpeg", "image/png"]


def test_a_second_scan_and_publish_send_nothing_more(published):
    manage("scan")
    report = json.loads(manage("publish", "--now", "--json"))
    assert report["claimed"] == 0
    assert len(published.posts()) == 4


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_worker_process_publishes_due_posts_on_its_own(tmp_path):
    """What `make run` starts: the emulator and qcluster as real processes."""
    env = _process_env(tmp_path)
    run = _runner(env)
    run("migrate", "-v", "0")
    procs = [_spawn(env, "xsandbox", "--port", env["XSANDBOX_PORT"])]
    try:
        _wait_for(lambda: requests.get(f"{env['X_API_BASE_URL']}/_sandbox/health", timeout=1).ok)
        run("ensure_admin")
        run("project", "add", "notes", str(make_plain_project(tmp_path, "notes", n_posts=2)))
        run("account", "add", DEMO_ACCOUNT.username, "--from-env")
        run("shell", "-c", _DUE_NOW)
        procs.append(_spawn(env, "qcluster"))
        _wait_for(lambda: len(_posts(env)) == 2, timeout=150)
        assert sorted(p["text"] for p in _posts(env)) == ["Post 1 in en.", "Post 2 in en."]
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # qcluster waits for its running dispatcher loop; not what this tests.
                proc.kill()
                proc.wait()


# Scan, then make every task due now (the demo spaces them a minute apart).
_DUE_NOW = (
    "from django.utils import timezone;"
    "from django.core.management import call_command;"
    "from publishing.services.schedules import schedules_ensure;"
    "from publishing.models import PublishingTask;"
    "call_command('scan'); schedules_ensure();"
    "PublishingTask.objects.update(scheduled_at=timezone.now())"
)


def _process_env(tmp_path: Path) -> dict:
    port = _free_port()
    return {
        **os.environ,
        **SANDBOX_ENV,
        "DJANGO_SETTINGS_MODULE": "twitterpub.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
        "CONTENT_ROOTS": str(tmp_path),
        "XSANDBOX_PORT": str(port),
        "X_API_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SUPERUSER_PASSWORD": "admin-pass-1234",
    }


def _runner(env):
    def run(*args):
        subprocess.run(_manage(*args), env=env, check=True, capture_output=True)

    return run


def _manage(*args) -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]


def _spawn(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        _manage(*args), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _posts(env) -> list[dict]:
    return requests.get(f"{env['X_API_BASE_URL']}/_sandbox/posts", timeout=5).json()["data"]


def _wait_for(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.5)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
