"""Several worker processes share one queue: every post goes out exactly once."""

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TASKS = 120

# Creates the demo account and TASKS text tasks, all due now, in the process database.
SEED = f"""
from django.contrib.auth.models import User
from django.utils import timezone
from projects.models import Project
from publishing.models import PublishingTask, XAccount
from publishing.xsandbox import DEMO_ACCOUNT as A
owner = User.objects.create(username="owner")
project = Project.objects.create(owner=owner, name="p", path="/", layout="plain", daily_max=10000)
account = XAccount.objects.create(handle=A.username, x_user_id=A.user_id, is_default=True,
    consumer_key=A.consumer_key, consumer_secret=A.consumer_secret,
    access_token=A.access_token, access_token_secret=A.access_token_secret)
PublishingTask.objects.bulk_create(
    PublishingTask(project=project, account=account, content_path=f"p{{i}}.md", language="en",
                   text=f"Worker race post {{i}}", scheduled_at=timezone.now())
    for i in range({TASKS}))
"""


@pytest.fixture
def unlimited_sandbox(xsandbox):
    xsandbox.configure(
        rate_limits={"POST /2/tweets": 10**6, "*": 10**6},
        post_user_24h_limit=10**6,
        post_app_24h_limit=10**6,
    )
    return xsandbox


def test_eight_dispatchers_publish_each_task_once(processes, unlimited_sandbox):
    processes.python(SEED)
    env = {
        "X_API_BASE_URL": unlimited_sandbox.base_url,
        "MAX_CONCURRENT_TASKS": "2",
        "MAX_CONCURRENT_PER_ACCOUNT": "16",
        "DISPATCH_POLL_SECONDS": "0.05",
    }
    workers = [processes.spawn("dispatcher", "--seconds", "12", **env) for _ in range(8)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read()[-2000:]

    posts = unlimited_sandbox.posts()
    texts = [p["text"] for p in posts]
    tasks = processes.tasks()
    assert len(texts) == len(set(texts)) == TASKS
    assert {t["status"] for t in tasks} == {"published"}
    assert sorted(t["post_id"] for t in tasks) == sorted(p["id"] for p in posts)
    processes_that_claimed = {t["claimed_by"].split(":")[1] for t in tasks}
    assert len(processes_that_claimed) > 1  # the queue really was shared
