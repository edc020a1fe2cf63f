"""The manage.py commands a user scripts: names, output and exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from projects.models import Project
from publishing.models import PublishingTask, XAccount
from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.content import make_plain_project, make_uploader_json_project

pytestmark = pytest.mark.django_db

SANDBOX_ENV = {
    "TWITTER_API_KEY": DEMO_ACCOUNT.consumer_key,
    "TWITTER_API_SECRET": DEMO_ACCOUNT.consumer_secret,
    "TWITTER_ACCESS_TOKEN": DEMO_ACCOUNT.access_token,
    "TWITTER_ACCESS_TOKEN_SECRET": DEMO_ACCOUNT.access_token_secret,
}


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", password="admin-pass-1234")


@pytest.fixture
def sandbox_env(monkeypatch):
    for name, value in SANDBOX_ENV.items():
        monkeypatch.setenv(name, value)


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_project_add_detects_the_uploader_json_layout(content_root, admin_user):
    folder = make_uploader_json_project(content_root)

    output = run(
        "project", "add", "music", str(folder), "--language", "ja", "--timezone", "Asia/Tokyo"
    )

    project = Project.objects.get(name="music")
    assert (project.layout, project.language, project.timezone) == (
        "uploader_json",
        "ja",
        "Asia/Tokyo",
    )
    assert "uploader_json" in output


def test_project_add_refuses_a_path_outside_the_content_roots(content_root, admin_user, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    with pytest.raises(CommandError, match="outside"):
        run("project", "add", "bad", str(outside))
    assert not Project.objects.exists()


def test_project_add_refuses_an_unknown_time_zone(content_root, admin_user):
    folder = make_plain_project(content_root)

    with pytest.raises(CommandError, match="Mars/Olympus"):
        run("project", "add", "blog", str(folder), "--timezone", "Mars/Olympus")


def test_account_add_reads_the_original_systems_variables_and_verifies_them(
    sandbox_env, xsandbox_settings
):
    run("account", "add", DEMO_ACCOUNT.username, "--from-env")

    account = XAccount.objects.get()
    assert account.x_user_id == DEMO_ACCOUNT.user_id
    assert account.is_default
    assert account.access_token_secret == DEMO_ACCOUNT.access_token_secret


def test_account_add_names_every_missing_variable(monkeypatch, db):
    for name in SANDBOX_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWITTER_API_KEY", "k")

    with pytest.raises(CommandError) as failure:
        run("account", "add", "someone", "--from-env")
    message = str(failure.value)
    assert "TWITTER_API_SECRET" in message and "TWITTER_ACCESS_TOKEN_SECRET" in message
    assert "TWITTER_API_KEY" not in message
    assert not XAccount.objects.exists()


@pytest.mark.parametrize("limit", ["0", "25001"])
def test_account_add_refuses_a_text_limit_x_never_has(sandbox_env, xsandbox_settings, limit):
    with pytest.raises(CommandError, match="text limit must be between 1 and 25,000"):
        run("account", "add", DEMO_ACCOUNT.username, "--from-env", "--char-limit", limit)
    assert not XAccount.objects.exists()


def test_account_add_takes_a_paid_accounts_limit(sandbox_env, xsandbox_settings):
    run("account", "add", DEMO_ACCOUNT.username, "--from-env", "--char-limit", "25000")

    assert XAccount.objects.get().char_limit == 25_000


def test_account_add_refuses_credentials_x_rejects(sandbox_env, monkeypatch, xsandbox_settings):
    monkeypatch.setenv("TWITTER_API_SECRET", "wrong-secret")

    with pytest.raises(CommandError, match="X refused the credentials"):
        run("account", "add", DEMO_ACCOUNT.username, "--from-env")
    assert not XAccount.objects.exists()


def test_account_add_refuses_credentials_of_another_handle(sandbox_env, xsandbox_settings):
    with pytest.raises(CommandError, match=f"belong to @{DEMO_ACCOUNT.username}"):
        run("account", "add", "somebody_else", "--from-env")


def test_scan_json_reports_tasks_and_per_item_errors(content_root, admin_user):
    folder = make_uploader_json_project(content_root, n_videos=2)
    (folder / "videos" / "orphan.mp4").write_bytes(b"\x00")
    run("project", "add", "music", str(folder))

    (report,) = json.loads(run("scan", "music", "--json"))

    assert report["tasks_created"] == 2
    assert [e["path"] for e in report["errors"]] == ["videos/orphan.mp4"]


def test_scan_refuses_an_unknown_project(db):
    with pytest.raises(CommandError, match="Unknown project: nope"):
        run("scan", "nope")


def test_publish_now_and_tasks_json_show_the_post_ids(
    content_root, admin_user, sandbox_env, xsandbox_settings, xsandbox
):
    folder = make_plain_project(content_root, n_posts=2)
    run("project", "add", "blog", str(folder))
    run("account", "add", DEMO_ACCOUNT.username, "--from-env")
    run("scan")

    published = json.loads(run("publish", "--now", "--limit", "1", "--json"))
    tasks = json.loads(run("tasks", "--project", "blog", "--json"))

    assert published["published"] == 1
    done = [t for t in tasks if t["status"] == "published"]
    assert [t["post_id"] for t in done] == [p["id"] for p in xsandbox.posts()]
    assert len(tasks) == 2


def test_tasks_filters_by_status(content_root, admin_user):
    folder = make_plain_project(content_root, n_posts=2)
    run("project", "add", "blog", str(folder))
    run("scan")
    PublishingTask.objects.filter(content_path="posts/post_001.md").update(status="cancelled")

    rows = json.loads(run("tasks", "--status", "cancelled", "--json"))

    assert [r["content_path"] for r in rows] == ["posts/post_001.md"]


@pytest.mark.slow
def test_bad_input_exits_non_zero_with_a_one_line_reason(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "twitterpub.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CONTENT_ROOTS": str(tmp_path),
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)

    result = subprocess.run(
        [*manage, "scan", "no-such-project"], env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["CommandError: Unknown project: no-such-project."]
