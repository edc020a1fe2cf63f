"""Thread mode: splitting, the reply chain on X, checkpoints, resuming after a crash
or a lost answer, and X's refusal of API replies."""

import json
import re
import signal
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from projects.services import project_create
from publishing.models import PublishingTask, ThreadPart
from publishing.services import dispatch, reconcile
from publishing.services.ingest import project_ingest
from publishing.services.task_actions import task_edit_text, task_retry
from publishing.textcount import normalize, weighted_length
from publishing.threadsplit import ThreadError, sentences, split_thread
from publishing.xclient import XClient
from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.content import (
    batch_path,
    make_uploader_json_project,
    metadata_entry,
    video_name,
    write_json,
    write_media,
)
from tests.fixtures.publishing import ProjectRowFactory, TaskFactory

S = PublishingTask.Status
NUMBER = re.compile(r" (\d+)/(\d+)$")

EN = " ".join(f"Sentence number {n} tells a little more of the story." for n in range(1, 16))
CN = "".join(f"第{n}句话讲述了纸飞机和童年梦想的故事！" for n in range(1, 16))
JA = "".join(f"これは{n}番目の文で、紙飛行機の物語です。" for n in range(1, 16))


def bodies(parts: list[str]) -> list[str]:
    return [NUMBER.sub("", part) for part in parts]


# --- splitting ----------------------------------------------------------------------


def test_a_text_within_the_limit_is_one_unnumbered_post():
    assert split_thread("  Short and sweet.  ", 280) == ["Short and sweet."]


@pytest.mark.parametrize("text", [EN, CN, JA], ids=["en", "cn", "ja"])
def test_parts_end_at_sentence_ends_numbered_within_the_limit(text):
    parts = split_thread(text, 280)

    assert len(parts) > 1
    assert [NUMBER.search(p).groups() for p in parts] == [
        (str(i), str(len(parts))) for i in range(1, len(parts) + 1)
    ]
    assert all(weighted_length(part) <= 280 for part in parts)  # numbering included
    assert all(body.endswith((".", "！", "。")) for body in bodies(parts))
    assert "".join(bodies(parts)).replace(" ", "") == text.replace(" ", "")


def test_the_numbering_is_counted_in_the_weighted_length():
    # 4 sentences of 69 characters and 3 spaces weigh 279: they would fit in one post,
    # but not with " 1/2" after them.
    sentence = "A" * 68 + ". "
    text = (sentence * 8).strip()

    parts = split_thread(text, 280)

    assert [weighted_length(body) for body in bodies(parts)] == [209, 209, 139]
    assert all(weighted_length(part) <= 280 for part in parts)


def test_ten_parts_or_more_make_room_for_two_digit_numbers():
    text = " ".join(f"Part of a long story, sentence {n}." for n in range(1, 20))

    parts = split_thread(text, 60)

    assert len(parts) >= 10
    assert parts[-1].endswith(f" {len(parts)}/{len(parts)}")
    assert all(weighted_length(part) <= 60 for part in parts)


def test_a_sentence_longer_than_a_post_is_cut_at_words_then_between_cjk_characters():
    words = " ".join(["word"] * 120)  # no sentence end at all
    cjk = "纸飞机" * 120  # no space either

    word_parts = bodies(split_thread(words, 100))
    cjk_parts = split_thread(cjk, 100)

    assert all(set(body.split()) == {"word"} for body in word_parts)  # never inside a word
    assert "".join(bodies(cjk_parts)) == cjk
    assert all(weighted_length(part) <= 100 for part in cjk_parts)


def test_sentences_split_after_english_and_cjk_sentence_punctuation():
    assert sentences('One. "Two!" Three?\nFour') == ["One. ", '"Two!" ', "Three?\n", "Four"]
    assert sentences("一。二！三？「四。」五") == ["一。", "二！", "三？", "「四。」", "五"]


PIECES = st.sampled_from(
    ["Word", "word.", "Sentence!", "why?", "，", "、", "。", "纸飞机", "紙飛行機", "🎥",
     "👨‍👩‍👧", "https://example.com/x", "x.com", "#Tag", "\n", " ", "  ", "é", "…"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(PIECES, min_size=1, max_size=400), limit=st.integers(40, 300))
def test_any_text_splits_into_numbered_parts_within_the_limit_losing_nothing(pieces, limit):
    text = " ".join(pieces)

    try:
        parts = split_thread(text, limit, max_parts=1000)
    except ThreadError:
        return  # only when a limit leaves no room for a thread at all

    assert all(weighted_length(part) <= limit for part in parts)
    if len(parts) > 1:
        assert [NUMBER.search(p).group(1) for p in parts] == [
            str(i) for i in range(1, len(parts) + 1)
        ]
    kept = "".join(bodies(parts) if len(parts) > 1 else parts)
    assert "".join(kept.split()) == "".join(normalize(text).split())


def test_a_text_needing_too_many_parts_is_refused():
    with pytest.raises(ThreadError, match="at most 25"):
        split_thread("Word. " * 3000, 280)


# --- publishing a thread -----------------------------------------------------------


@pytest.fixture
def thread_project(tmp_path):
    write_media(tmp_path / "videos" / "clip.mp4")
    return ProjectRowFactory(path=str(tmp_path), thread_mode=True)


def thread_task(account, project, **fields):
    return TaskFactory(account=account, project=project, **{"text": EN, **fields})


def chain(sandbox) -> list[dict]:
    return [post for post in sandbox.posts(DEMO_ACCOUNT.user_id) if not post["deleted"]]


def assert_one_chain(task, sandbox):
    """X holds each part once, each a reply to the one before; the task and its parts
    recorded X's ids."""
    posts = chain(sandbox)
    parts = list(task.thread_parts.order_by("index"))
    assert [p["text"] for p in posts] == [part.text for part in parts]
    assert [p["id"] for p in posts] == [part.post_id for part in parts]
    assert [p["reply_to"] for p in posts] == [None] + [p["id"] for p in posts[:-1]]
    task.refresh_from_db()
    assert (task.status, task.post_id) == (S.PUBLISHED, posts[0]["id"])


@pytest.mark.django_db
def test_a_long_text_goes_out_as_a_reply_chain_with_the_media_on_the_first_part(
    sandbox_account, xsandbox, thread_project
):
    task = thread_task(
        sandbox_account,
        thread_project,
        content_path="videos/clip.mp4",
        media_paths=["videos/clip.mp4"],
        has_media=True,
    )

    report = dispatch.dispatch_once()

    assert report.published == 1
    assert_one_chain(task, xsandbox)
    posts = chain(xsandbox)
    assert len(posts) == len(split_thread(EN, 280)) > 1
    assert [bool(p["media_ids"]) for p in posts] == [True] + [False] * (len(posts) - 1)


@pytest.mark.django_db
def test_without_thread_mode_a_long_text_is_not_split(sandbox_account, xsandbox):
    task = TaskFactory(account=sandbox_account, text=EN)  # X refuses it as too long

    dispatch.dispatch_once()

    task.refresh_from_db()
    assert task.status == S.NEEDS_REVIEW
    assert chain(xsandbox) == [] and not ThreadPart.objects.exists()


@pytest.mark.django_db
def test_x_refusing_the_reply_stops_the_thread_with_advice_and_keeps_the_first_part(
    sandbox_account, xsandbox, thread_project
):
    xsandbox.configure(self_replies_allowed=False)
    task = thread_task(sandbox_account, thread_project)

    report = dispatch.dispatch_once()

    task.refresh_from_db()
    [first] = chain(xsandbox)
    parts = list(task.thread_parts.order_by("index"))
    assert report.needs_review == 1 and task.status == S.NEEDS_REVIEW
    assert task.error_class == "content" and task.post_id == ""
    assert f"X refused part 2 of {len(parts)} as a reply" in task.last_error
    assert "403" in task.last_error and "turn thread mode off" in task.last_error
    assert [part.post_id for part in parts] == [first["id"]] + [""] * (len(parts) - 1)
    assert task.attempts == 1  # not retried by the dispatcher


@pytest.mark.django_db
def test_after_a_refused_reply_a_retry_resumes_without_repeating_the_first_part(
    sandbox_account, xsandbox, thread_project
):
    xsandbox.configure(self_replies_allowed=False)
    task = thread_task(sandbox_account, thread_project)
    dispatch.dispatch_once()
    xsandbox.configure(self_replies_allowed=True)  # X lets replies through again

    task.refresh_from_db()
    task_retry(task=task, actor="user:operator")
    dispatch.dispatch_once()

    assert_one_chain(task, xsandbox)


@pytest.mark.django_db
def test_a_rate_limit_mid_thread_waits_for_the_reset_then_resumes_after_the_last_part(
    sandbox_account, xsandbox, thread_project
):
    xsandbox.configure(rate_limits={"POST /2/tweets": 2})
    task = thread_task(sandbox_account, thread_project)

    dispatch.dispatch_once()
    task.refresh_from_db()
    waited = (task.status, task.error_class, len(chain(xsandbox)))
    xsandbox.configure(rate_limits={"POST /2/tweets": 100})
    dispatch.dispatch_once(now=timezone.now() + timedelta(hours=1))  # after the reset

    assert waited == (S.RETRY_WAIT, "rate_limit", 2)
    assert_one_chain(task, xsandbox)


def fail_part(monkeypatch, sandbox, number: int, action: str) -> None:
    """Make X's answer to the `number`-th create of this test misbehave."""
    create = XClient.create_post
    calls = []

    def create_post(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            sandbox.set_faults({"endpoint": "POST /2/tweets", "action": action, "count": 1})
        return create(self, *args, **kwargs)

    monkeypatch.setattr(XClient, "create_post", create_post)


def reconcile_and_dispatch() -> None:
    reconcile.tasks_reconcile(now=timezone.now() + timedelta(minutes=10))
    dispatch.dispatch_once(ignore_schedule=True)


@pytest.mark.django_db
def test_a_part_x_stored_but_whose_answer_was_lost_is_found_and_not_sent_again(
    sandbox_account, xsandbox, thread_project, monkeypatch
):
    fail_part(monkeypatch, xsandbox, 2, "accept_then_drop")
    task = thread_task(sandbox_account, thread_project)

    dispatch.dispatch_once()
    task.refresh_from_db()
    assert task.status == S.UNKNOWN  # part 2 may be on X: never resent blindly
    reconcile_and_dispatch()

    assert_one_chain(task, xsandbox)
    reasons = task.transitions.values_list("reason", flat=True)
    assert any("the rest of the thread is due" in reason for reason in reasons)


@pytest.mark.django_db
def test_a_part_x_never_stored_is_sent_again_after_reconciliation(
    sandbox_account, xsandbox, thread_project, monkeypatch, settings
):
    settings.RECONCILE_SETTLE_SECONDS = 0
    fail_part(monkeypatch, xsandbox, 2, "drop")
    task = thread_task(sandbox_account, thread_project)

    dispatch.dispatch_once()
    reconcile_and_dispatch()

    assert_one_chain(task, xsandbox)


@pytest.mark.django_db
def test_a_lost_answer_to_the_last_part_publishes_the_task_with_the_first_parts_id(
    sandbox_account, xsandbox, thread_project, monkeypatch
):
    fail_part(monkeypatch, xsandbox, len(split_thread(EN, 280)), "accept_then_drop")
    task = thread_task(sandbox_account, thread_project)

    dispatch.dispatch_once()
    reconcile.tasks_reconcile(now=timezone.now() + timedelta(minutes=10))

    assert_one_chain(task, xsandbox)


@pytest.mark.django_db
def test_several_unrecorded_parts_on_x_are_all_found_in_one_pass(
    sandbox_account, xsandbox, thread_project
):
    task = thread_task(sandbox_account, thread_project)
    dispatch.dispatch_once()
    # As after a database restore: X has the whole thread, the database only part 1.
    task.thread_parts.filter(index__gte=1).update(post_id="", posted_at=None)
    PublishingTask.objects.filter(pk=task.pk).update(status=S.UNKNOWN, post_id="")

    report = reconcile.tasks_reconcile(now=timezone.now() + timedelta(minutes=10))

    assert report.found == 1 and report.resent == 0
    assert_one_chain(task, xsandbox)


@pytest.mark.django_db
def test_the_split_is_kept_once_a_part_is_on_x_even_if_the_text_changes(
    sandbox_account, xsandbox, thread_project
):
    xsandbox.configure(self_replies_allowed=False)
    task = thread_task(sandbox_account, thread_project)
    dispatch.dispatch_once()
    stored = list(task.thread_parts.values_list("text", flat=True))
    PublishingTask.objects.filter(pk=task.pk).update(text=EN + " One more sentence.")
    xsandbox.configure(self_replies_allowed=True)

    task_retry(task=PublishingTask.objects.get(pk=task.pk), actor="user:operator")
    dispatch.dispatch_once()

    assert [p["text"] for p in chain(xsandbox)] == stored


# --- a worker killed mid-thread (real processes, crash points) -----------------------

THREAD_SEED = f"""
from django.contrib.auth.models import User
from django.utils import timezone
from projects.models import Project
from publishing.models import PublishingTask, XAccount
from publishing.xsandbox import DEMO_ACCOUNT as A
owner = User.objects.create(username="owner")
project = Project.objects.create(owner=owner, name="p", path="/", layout="plain", thread_mode=True)
account = XAccount.objects.create(handle=A.username, x_user_id=A.user_id, is_default=True,
    consumer_key=A.consumer_key, consumer_secret=A.consumer_secret,
    access_token=A.access_token, access_token_secret=A.access_token_secret)
PublishingTask.objects.create(project=project, account=account, content_path="long.md",
    language="en", text={EN!r}, scheduled_at=timezone.now())
"""

# What the next worker does: the dead worker's lease is over (the sweep makes the task
# unknown), reconciliation settles the open part, and a pass sends the rest.
RESUME = """
import json
from datetime import timedelta
from django.utils import timezone
from publishing.models import PublishingTask, ThreadPart
from publishing.services.dispatch import dispatch_once
from publishing.services.reconcile import leases_expire, tasks_reconcile
later = timezone.now() + timedelta(hours=1)
leases_expire(now=later)
tasks_reconcile(now=later)
dispatch_once(ignore_schedule=True)
task = PublishingTask.objects.get()
parts = list(ThreadPart.objects.order_by("index").values_list("text", "post_id"))
print(json.dumps({"status": task.status, "post_id": task.post_id, "parts": parts}))
"""


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize(
    "point",
    [
        "thread_after_answer@2",  # X has part 2, the worker died before recording it
        "thread_after_checkpoint@1",  # part 1 recorded, part 2 never sent
    ],
)
def test_a_worker_killed_mid_thread_resumes_it_without_duplicating_a_part(
    processes, xsandbox, tmp_path, point
):
    processes.python(THREAD_SEED)
    env = {"X_API_BASE_URL": xsandbox.base_url}

    killed = processes.spawn(
        "publish", "--now", TWITTERPUB_CRASH_POINTS=point, TWITTERPUB_CRASH_DIR=str(tmp_path), **env
    )
    assert killed.wait(timeout=120) == -signal.SIGKILL, killed.stderr.read()[-2000:]
    sent_before = len(chain(xsandbox))
    outcome = json.loads(processes.python(RESUME, **env).strip().splitlines()[-1])

    posts = chain(xsandbox)
    assert sent_before == int(point[-1]) < len(posts)
    assert [[p["text"], p["id"]] for p in posts] == outcome["parts"]  # each part once
    assert [p["reply_to"] for p in posts] == [None] + [p["id"] for p in posts[:-1]]
    assert (outcome["status"], outcome["post_id"]) == ("published", posts[0]["id"])


# --- texts for thread mode: scans and edits ----------------------------------------


@pytest.mark.django_db
def test_in_thread_mode_a_long_hand_written_text_becomes_a_task_not_an_error(
    content_root, owner, sandbox_account, xsandbox
):
    folder = content_root / "blog"
    (folder / "posts").mkdir(parents=True)
    (folder / "posts" / "long.md").write_text(EN)
    project = project_create(owner=owner, name="blog", path=str(folder), layout="plain")
    refused = project_ingest(project=project)["invalid"]
    project.thread_mode = True
    project.save()

    project_ingest(project=project)
    dispatch.dispatch_once(ignore_schedule=True)

    assert refused == [
        {
            "path": "posts/long.md",
            "error": f"text is {weighted_length(EN)} weighted characters, limit 280",
        }
    ]
    assert_one_chain(project.tasks.get(), xsandbox)


@pytest.mark.django_db
def test_in_thread_mode_direct_mode_keeps_the_whole_description(
    content_root, owner, sandbox_account
):
    folder = make_uploader_json_project(content_root, n_videos=1)
    name = video_name(folder, 1)
    write_json(batch_path(folder, "en"), {name: metadata_entry(1, description=EN)})
    project = project_create(owner=owner, name="videos", path=str(folder))
    project.thread_mode, project.text_mode = True, "direct"
    project.save()

    project_ingest(project=project)

    task = project.tasks.get()
    assert EN in task.text and task.weighted_length > 280 and task.status == S.PENDING


@pytest.mark.django_db
def test_an_operator_may_write_a_long_text_in_thread_mode_until_a_part_is_on_x(
    sandbox_account, xsandbox, thread_project
):
    task = thread_task(sandbox_account, thread_project, text="Short.")
    task_edit_text(task=task, text=EN, actor="user:operator")
    xsandbox.configure(self_replies_allowed=False)
    dispatch.dispatch_once()
    task.refresh_from_db()

    with pytest.raises(ValidationError, match="thread with parts on X"):
        task_edit_text(task=task, text="Something else.", actor="user:operator")


@pytest.mark.django_db
def test_the_task_admin_page_shows_each_part_and_its_post_id(
    client, django_user_model, sandbox_account, xsandbox, thread_project
):
    task = thread_task(sandbox_account, thread_project)
    dispatch.dispatch_once()
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-12345"))

    page = client.get(reverse("admin:publishing_publishingtask_change", args=[task.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert all(part.post_id in html for part in task.thread_parts.all())
