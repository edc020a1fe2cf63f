"""Reconciliation, lease expiry and restore safety, against the real xdk client and the
loopback emulator. Time is passed in (`now`); posts are placed with seed_post."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from publishing.models import (
    PublisherState,
    PublishingLog,
    PublishingTask,
    TaskTransition,
    XAccount,
)
from publishing.services.reconcile import (
    leases_expire,
    publisher_reconcile_after_restore,
    publisher_resume,
    publisher_state,
    tasks_reconcile,
    text_key,
)
from publishing.services.transitions import ALLOWED
from publishing.xsandbox import DEMO_ACCOUNT
from tests.fixtures.publishing import TaskFactory, XAccountFactory

S = PublishingTask.Status
TIMELINE = "GET /2/users/:id/tweets"
SETTLE, MARGIN = 60, 120
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _windows(settings):
    settings.RECONCILE_SETTLE_SECONDS = SETTLE
    settings.RECONCILE_MARGIN_SECONDS = MARGIN


@pytest.fixture
def claimed():
    """When the unknown tasks were claimed: an hour ago, whole seconds as X reports them."""
    return timezone.now().replace(microsecond=0) - timedelta(hours=1)


def unknown_task(account, claimed_at, **fields) -> PublishingTask:
    fields.setdefault("scheduled_at", claimed_at)
    return TaskFactory(
        account=account, status=S.UNKNOWN, claimed_at=claimed_at, claimed_by="web-1:42", **fields
    )


def seed(xsandbox, text, at, user_id=DEMO_ACCOUNT.user_id) -> str:
    return xsandbox.seed_post(text, user_id=user_id, created_at=at)["id"]


def seed_with_media(xsandbox, text, at, media_keys) -> str:
    # XSandbox.seed_post takes no media; the emulator's own seed does.
    post = xsandbox.emulator.seed_post(
        text=text, user_id=DEMO_ACCOUNT.user_id, created_at=at.timestamp(), media_keys=media_keys
    )
    return str(post.id)


def second_account(xsandbox) -> XAccount:
    xsandbox.add_account(user_id="1000000002", username="brand")
    return XAccountFactory(
        handle="brand",
        x_user_id="1000000002",
        access_token="1000000002-sandbox-access-token",
        access_token_secret="1000000002-sandbox-access-token-secret",
        is_default=False,
    )


def reload(*tasks: PublishingTask) -> list[PublishingTask]:
    for task in tasks:
        task.refresh_from_db()
    return list(tasks)


# --- leases ---------------------------------------------------------------------------


def test_an_expired_lease_makes_the_task_unknown_not_pending(db, claimed):
    task = TaskFactory(
        status=S.PUBLISHING,
        claimed_by="web-1:42",
        claimed_at=claimed,
        lease_expires_at=claimed + timedelta(minutes=5),
    )

    assert leases_expire(now=claimed + timedelta(minutes=6)) == 1

    (task,) = reload(task)
    assert (task.status, task.lease_expires_at) == (S.UNKNOWN, None)
    assert task.claimed_at == claimed  # reconciliation reads the timeline from here
    row = task.transitions.get()
    assert row.reason == "lease expired (worker web-1:42 died or hung)"


def test_an_unexpired_lease_is_left_alone(db, claimed):
    task = TaskFactory(
        status=S.PUBLISHING, claimed_at=claimed, lease_expires_at=claimed + timedelta(minutes=5)
    )

    assert leases_expire(now=claimed + timedelta(minutes=4)) == 0

    (task,) = reload(task)
    assert task.status == S.PUBLISHING


# --- found, waiting, resent ----------------------------------------------------------


def test_a_post_found_on_x_publishes_the_task_with_xs_id_and_time(
    sandbox_account, xsandbox, claimed
):
    task = unknown_task(sandbox_account, claimed, text="Launch day")
    posted = claimed + timedelta(seconds=3)
    post_id = seed(xsandbox, "Launch day", posted)

    report = tasks_reconcile(now=claimed + timedelta(seconds=10))

    (task,) = reload(task)
    assert (report.found, report.errors) == (1, [])
    assert (task.status, task.post_id, task.published_at) == (S.PUBLISHED, post_id, posted)
    log = PublishingLog.objects.get(task=task)
    assert (log.status, log.post_id, log.error) == (
        "success",
        post_id,
        "found on X by reconciliation",
    )


def test_a_task_not_found_before_settling_waits(sandbox_account, xsandbox, claimed):
    task = unknown_task(sandbox_account, claimed)

    report = tasks_reconcile(now=claimed + timedelta(seconds=SETTLE - 1))

    (task,) = reload(task)
    assert (report.waiting, task.status) == (1, S.UNKNOWN)


def test_a_task_not_found_after_settling_goes_back_to_pending_still_due(
    sandbox_account, xsandbox, claimed
):
    task = unknown_task(sandbox_account, claimed, scheduled_at=claimed - timedelta(minutes=1))

    report = tasks_reconcile(now=claimed + timedelta(seconds=SETTLE))

    (task,) = reload(task)
    assert (report.resent, task.status) == (1, S.PENDING)
    assert task.scheduled_at == claimed - timedelta(minutes=1)
    assert task.transitions.get().reason == f"not found on X after {SETTLE} s: safe to resend"


def test_a_task_whose_post_id_was_recorded_is_published_without_reading_x(
    sandbox_account, xsandbox, claimed
):
    task = unknown_task(sandbox_account, claimed, post_id="1234567890123456789")

    report = tasks_reconcile(now=claimed + timedelta(seconds=5))

    (task,) = reload(task)
    assert (report.found, task.status, task.post_id) == (1, S.PUBLISHED, "1234567890123456789")
    assert TIMELINE not in xsandbox.request_counts()


# --- matching -------------------------------------------------------------------------


def test_identical_texts_pair_the_oldest_task_with_the_oldest_post(
    sandbox_account, xsandbox, claimed
):
    older = unknown_task(sandbox_account, claimed, text="Same words")
    newer = unknown_task(sandbox_account, claimed + timedelta(seconds=30), text="Same words")
    first = seed(xsandbox, "Same words", claimed + timedelta(seconds=2))
    second = seed(xsandbox, "Same words", claimed + timedelta(seconds=32))

    report = tasks_reconcile(now=claimed + timedelta(minutes=5))

    older, newer = reload(older, newer)
    assert report.found == 2
    assert (older.post_id, newer.post_id) == (first, second)


def test_one_post_never_settles_two_tasks(sandbox_account, xsandbox, claimed):
    older = unknown_task(sandbox_account, claimed, text="Same words")
    newer = unknown_task(sandbox_account, claimed + timedelta(seconds=30), text="Same words")
    seed(xsandbox, "Same words", claimed + timedelta(seconds=32))

    tasks_reconcile(now=claimed + timedelta(minutes=5))

    older, newer = reload(older, newer)
    assert sorted([older.status, newer.status]) == [S.PENDING, S.PUBLISHED]


def test_a_post_already_held_by_another_task_is_not_given_twice(sandbox_account, xsandbox, claimed):
    post_id = seed(xsandbox, "Same words", claimed + timedelta(seconds=2))
    TaskFactory(account=sandbox_account, status=S.PUBLISHED, post_id=post_id, text="Same words")
    task = unknown_task(sandbox_account, claimed, text="Same words")

    report = tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert (report.found, report.resent, task.status, task.post_id) == (0, 1, S.PENDING, "")


def test_a_post_with_a_different_media_count_does_not_match(sandbox_account, xsandbox, claimed):
    task = unknown_task(
        sandbox_account, claimed, text="Look", media_paths=["a.jpg"], has_media=True
    )
    seed(xsandbox, "Look", claimed + timedelta(seconds=2))  # text only: no media

    report = tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert (report.found, task.status) == (0, S.PENDING)


def test_a_post_with_the_same_media_count_matches_despite_xs_media_link(
    sandbox_account, xsandbox, claimed
):
    task = unknown_task(
        sandbox_account, claimed, text="Look", media_paths=["a.jpg", "b.jpg"], has_media=True
    )
    # X appends a t.co link to the media to the text of a post with media.
    seed_with_media(
        xsandbox, "Look https://t.co/m3d1a", claimed + timedelta(seconds=2), ("3_1", "3_2")
    )

    report = tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert (report.found, task.status) == (1, S.PUBLISHED)


def test_a_post_older_than_the_claim_minus_margin_does_not_match(
    sandbox_account, xsandbox, claimed
):
    # An older claim on the same account makes the one timeline read reach further back.
    unknown_task(sandbox_account, claimed - timedelta(hours=1), text="Something else")
    task = unknown_task(sandbox_account, claimed, text="Weekly digest")
    seed(xsandbox, "Weekly digest", claimed - timedelta(seconds=MARGIN + 1))

    report = tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert (report.found, task.status) == (0, S.PENDING)


def test_a_post_just_inside_the_margin_matches(sandbox_account, xsandbox, claimed):
    task = unknown_task(sandbox_account, claimed, text="Weekly digest")
    seed(xsandbox, "Weekly digest", claimed - timedelta(seconds=MARGIN - 1))

    tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert task.status == S.PUBLISHED


def test_a_link_shortened_to_tco_still_matches(sandbox_account, xsandbox, claimed):
    task = unknown_task(
        sandbox_account, claimed, text="New post:  https://example.com/blog/2026/launch\n"
    )
    post_id = seed(xsandbox, "New post: https://t.co/abc", claimed + timedelta(seconds=2))

    tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert (task.status, task.post_id) == (S.PUBLISHED, post_id)


def test_text_keys_ignore_form_and_spacing_but_not_words():
    assert text_key("Cafe\u0301  at\n example.com ") == text_key("Café at https://t.co/x1")
    assert text_key("Café at example.com") != text_key("Café in https://t.co/x1")


def test_it_finds_a_post_beyond_the_first_page_of_the_timeline(sandbox_account, xsandbox, claimed):
    task = unknown_task(sandbox_account, claimed, text="The first one")
    seed(xsandbox, "The first one", claimed + timedelta(seconds=1))
    for n in range(150):  # newest first, 100 a page: the match is on page two
        seed(xsandbox, f"Later post {n}", claimed + timedelta(seconds=10 + n))

    tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert task.status == S.PUBLISHED
    assert xsandbox.request_counts()[TIMELINE] == 2


# --- reading X ------------------------------------------------------------------------


def test_a_timeline_read_error_leaves_tasks_unknown_and_is_reported(
    sandbox_account, xsandbox, claimed
):
    task = unknown_task(sandbox_account, claimed, text="Launch day")
    xsandbox.set_faults({"endpoint": TIMELINE, "action": "error", "status": 503})

    report = tasks_reconcile(now=claimed + timedelta(hours=1))

    (task,) = reload(task)
    assert task.status == S.UNKNOWN
    assert (report.found, report.resent, report.waiting) == (0, 0, 0)
    (error,) = report.errors
    assert "@twitterpub_demo" in error and "503" in error


def test_it_reads_each_accounts_timeline_once_per_pass(sandbox_account, xsandbox, claimed):
    brand = second_account(xsandbox)
    for n in range(3):
        unknown_task(sandbox_account, claimed + timedelta(seconds=n), text=f"Demo {n}")
        unknown_task(brand, claimed + timedelta(seconds=n), text=f"Brand {n}")
    seed(xsandbox, "Brand 1", claimed + timedelta(seconds=5), user_id="1000000002")

    report = tasks_reconcile(now=claimed + timedelta(minutes=5))

    assert (report.found, report.resent) == (1, 5)
    assert xsandbox.request_counts()[TIMELINE] == 2


def test_an_account_without_a_user_id_is_looked_up_once_and_kept(
    sandbox_account, xsandbox, claimed
):
    XAccount.objects.filter(pk=sandbox_account.pk).update(x_user_id="")
    task = unknown_task(XAccount.objects.get(pk=sandbox_account.pk), claimed, text="Hi")
    seed(xsandbox, "Hi", claimed + timedelta(seconds=1))

    tasks_reconcile(now=claimed + timedelta(minutes=5))

    (task,) = reload(task)
    assert task.status == S.PUBLISHED
    sandbox_account.refresh_from_db()
    assert sandbox_account.x_user_id == DEMO_ACCOUNT.user_id
    assert xsandbox.request_counts()["GET /2/users/me"] == 1


# --- restore --------------------------------------------------------------------------


@pytest.fixture
def restored(db):
    """The publisher as a database restore leaves it: paused, reconciliation required."""
    return PublisherState.objects.update_or_create(
        pk=1, defaults={"paused": True, "reason": "restore from backup", "reconcile_required": True}
    )[0]


def test_the_state_machine_lets_a_restore_mark_live_tasks_unknown():
    assert all(S.UNKNOWN in ALLOWED[status] for status in (S.PENDING, S.QUEUED, S.RETRY_WAIT))


def test_after_a_restore_posts_already_on_x_are_published_and_never_sent_again(
    sandbox_account, xsandbox, restored, claimed
):
    now = claimed + timedelta(minutes=30)
    # The backup knew these as pending, queued, mid-send; then the old system sent two.
    sent = TaskFactory(account=sandbox_account, text="Sent after the backup", scheduled_at=claimed)
    lost = TaskFactory(
        account=sandbox_account,
        status=S.PUBLISHING,
        text="Sent while the backup ran",
        claimed_at=claimed,
        scheduled_at=claimed,
        lease_expires_at=claimed + timedelta(minutes=5),
    )
    unsent = TaskFactory(
        account=sandbox_account, status=S.QUEUED, text="Never sent", scheduled_at=claimed
    )
    future = TaskFactory(account=sandbox_account, scheduled_at=now + timedelta(hours=1))
    sent_id = seed(xsandbox, "Sent after the backup", claimed + timedelta(minutes=1))
    seed(xsandbox, "Sent while the backup ran", claimed + timedelta(seconds=4))

    report = publisher_reconcile_after_restore(now=now)

    sent, lost, unsent, future = reload(sent, lost, unsent, future)
    assert (report.found, report.resent, report.errors) == (2, 1, [])
    assert (sent.status, sent.post_id) == (S.PUBLISHED, sent_id)
    assert (lost.status, unsent.status, future.status) == (S.PUBLISHED, S.PENDING, S.PENDING)
    assert not future.transitions.exists()
    state = publisher_state()
    assert (state.paused, state.reconcile_required) == (False, False)

    # Published is final (transitions.ALLOWED): no dispatcher can send those two again.
    assert not TaskTransition.objects.filter(from_status=S.PUBLISHED).exists()
    assert len(xsandbox.posts()) == 2


def test_after_a_restore_a_post_sent_ahead_of_its_schedule_is_found(
    sandbox_account, xsandbox, restored, claimed
):
    # The backup's last write of the task; then someone used "publish now" on it.
    task = TaskFactory(account=sandbox_account, text="Early bird")
    PublishingTask.objects.filter(pk=task.pk).update(
        scheduled_at=claimed + timedelta(minutes=20), updated=claimed
    )
    seed(xsandbox, "Early bird", claimed + timedelta(minutes=5))

    publisher_reconcile_after_restore(now=claimed + timedelta(minutes=30))

    (task,) = reload(task)
    assert task.status == S.PUBLISHED


def test_a_restore_pass_that_cannot_read_x_keeps_the_publisher_paused(
    sandbox_account, xsandbox, restored, claimed
):
    task = TaskFactory(account=sandbox_account, scheduled_at=claimed)
    xsandbox.set_faults({"endpoint": TIMELINE, "action": "error", "status": 503})

    report = publisher_reconcile_after_restore(now=claimed + timedelta(minutes=30))

    (task,) = reload(task)
    assert report.errors and task.status == S.UNKNOWN
    state = publisher_state()
    assert (state.paused, state.reconcile_required) == (True, True)


def test_a_restore_does_not_lift_an_operators_own_pause(sandbox_account, xsandbox):
    PublisherState.objects.update_or_create(
        pk=1, defaults={"paused": True, "reason": "maintenance", "reconcile_required": True}
    )

    publisher_reconcile_after_restore(now=timezone.now())

    state = publisher_state()
    assert (state.paused, state.reason, state.reconcile_required) == (True, "maintenance", False)


def test_a_restore_flag_on_a_running_publisher_pauses_it_until_x_has_been_read(
    sandbox_account, xsandbox, claimed
):
    PublisherState.objects.update_or_create(
        pk=1, defaults={"paused": False, "reconcile_required": True}
    )
    task = TaskFactory(account=sandbox_account, scheduled_at=claimed)
    now = claimed + timedelta(minutes=30)
    xsandbox.set_faults({"endpoint": TIMELINE, "action": "error", "status": 503})

    publisher_reconcile_after_restore(now=now)

    state = publisher_state()
    assert (state.paused, state.reconcile_required) == (True, True)
    assert state.reason.startswith("restore")

    xsandbox.clear_faults()
    publisher_reconcile_after_restore(now=now)

    (task,) = reload(task)
    state = publisher_state()
    assert (task.status, state.paused, state.reconcile_required) == (S.PENDING, False, False)


def test_once_a_restore_is_reconciled_another_call_changes_nothing(
    sandbox_account, xsandbox, restored, claimed
):
    now = claimed + timedelta(minutes=30)
    task = TaskFactory(account=sandbox_account, scheduled_at=claimed)
    publisher_reconcile_after_restore(now=now)  # the first dispatcher loop to get there

    report = publisher_reconcile_after_restore(now=now)  # the loop that waited for it

    (task,) = reload(task)
    assert report.as_dict() == {"found": 0, "resent": 0, "waiting": 0, "errors": []}
    assert (task.status, task.transitions.count()) == (S.PENDING, 2)
    assert xsandbox.request_counts()[TIMELINE] == 1


def test_resume_is_refused_while_a_restore_awaits_reconciliation(restored):
    with pytest.raises(ValidationError, match="reconcile with X first"):
        publisher_resume(actor="user:alice")

    assert publisher_state().paused
