"""The rate budget: what X's headers last said about each post-creation bucket, and how
many posts an account may send now without being refused. Also each project's daily cap.

X counts creates in three buckets: 15 minutes per user, 24 hours per user, 24 hours per
app (shared by every account of the app). The headers are the truth; no limit is
hard-coded here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q

from projects.models import Project
from publishing.models import PublishingTask, RateLimitState, XAccount
from publishing.xclient import RateLimit

S = PublishingTask.Status
B = RateLimitState.Bucket
APP_SCOPE = "app"
# What budget_available answers when no bucket is known (no header seen yet, or every
# window has reset without a known limit): X will tell us with the first answer.
UNKNOWN_BUDGET = 1_000_000


@dataclass(frozen=True)
class _Reading:
    """One bucket as one answer's headers describe it."""

    scope: str
    bucket: str
    limit: int | None
    remaining: int | None
    reset: int | None

    @property
    def complete(self) -> bool:
        return self.remaining is not None and self.reset is not None


def user_scope(account: XAccount) -> str:
    return f"user:{account.pk}"


def _readings(rl: RateLimit, *, user: str = "") -> list[_Reading]:
    return [
        _Reading(user, B.POST_15M, rl.limit, rl.remaining, rl.reset),
        _Reading(
            user, B.POST_USER_24H, rl.user_24h_limit, rl.user_24h_remaining, rl.user_24h_reset
        ),
        _Reading(
            APP_SCOPE, B.POST_APP_24H, rl.app_24h_limit, rl.app_24h_remaining, rl.app_24h_reset
        ),
    ]


def _from_post_create(rl: RateLimit) -> bool:
    # Only POST /2/tweets carries the 24-hour headers: an answer without them came from
    # another endpoint (a media upload), whose x-rate-limit-* is not the post bucket.
    return rl.user_24h_remaining is not None or rl.app_24h_remaining is not None


def _at(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, tz=UTC)


def _store(reading: _Reading, now: datetime) -> None:
    reset_at = _at(reading.reset)
    values = {"limit": reading.limit, "remaining": reading.remaining, "reset_at": reset_at}
    rows = RateLimitState.objects.filter(scope=reading.scope, bucket=reading.bucket)
    # Concurrent workers' answers can land out of order: within one window the count
    # only goes down, so a late answer with a higher `remaining` must not win.
    newer = Q(reset_at__lt=reset_at) | Q(reset_at=reset_at, remaining__gt=reading.remaining)
    if not rows.filter(newer).update(**values, updated=now):
        # No row yet, or ours is older: INSERT OR IGNORE cannot fail the transaction
        # when a concurrent worker inserts the same bucket first.
        RateLimitState.objects.bulk_create(
            [RateLimitState(scope=reading.scope, bucket=reading.bucket, **values)],
            ignore_conflicts=True,
        )


def budget_record(*, account: XAccount, rate_limit: RateLimit, now: datetime) -> None:
    """Remember the buckets of one POST /2/tweets answer (success or error), in one
    transaction (one write lock on SQLite, not one per bucket). Answers of other
    endpoints are ignored, so callers may pass any XError's rate_limit."""
    if not _from_post_create(rate_limit):
        return
    with transaction.atomic():
        for reading in _readings(rate_limit, user=user_scope(account)):
            if reading.complete:
                _store(reading, now)


def _refused(rate_limit: RateLimit, *, user: str = "") -> list[_Reading]:
    """The buckets a 429 says are empty; if none says so, the 15-minute one."""
    readings = [r for r in _readings(rate_limit, user=user) if r.reset is not None]
    empty = [r for r in readings if r.remaining is not None and r.remaining <= 0]
    return empty or [r for r in readings if r.bucket == B.POST_15M]


def refusal_reset_at(*, rate_limit: RateLimit) -> datetime | None:
    """When a refused request may be sent again: the last reset among the empty buckets
    (waiting for the 15-minute reset alone would hit a spent 24-hour bucket again)."""
    resets = [r.reset for r in _refused(rate_limit)]
    return _at(max(resets)) if resets else None


def budget_record_refusal(*, account: XAccount, rate_limit: RateLimit, now: datetime) -> None:
    """After a 429 on POST /2/tweets: the refused bucket(s) hold nothing until reset."""
    if not _from_post_create(rate_limit):
        return
    for reading in _refused(rate_limit, user=user_scope(account)):
        _store(_Reading(reading.scope, reading.bucket, reading.limit, 0, reading.reset), now)


def _buckets(account: XAccount):
    return RateLimitState.objects.filter(Q(scope=user_scope(account)) | Q(scope=APP_SCOPE))


def _left(row: RateLimitState, now: datetime) -> int | None:
    """A bucket's remaining count; a bucket past its reset is full, or unknown when its
    limit is (None, or a 0 no window can refill): never stuck at "nothing left", since
    only a post sent after the reset brings X's new count."""
    if row.reset_at > now:
        return row.remaining
    return row.limit or None


def budgets_available(
    *, accounts: list[XAccount], now: datetime, in_flight: dict[int | None, int] | None = None
) -> dict[int, int]:
    """budget_available for several accounts in two queries (one if the caller has
    counted `in_flight` already): {account pk: creates}."""
    # Sent or about to be sent, not yet in the headers: without this, concurrent
    # workers would each spend the same last unit. Counting a post whose answer has
    # just been recorded twice only errs on the safe side.
    flying = tasks_in_flight_by_account() if in_flight is None else in_flight
    scopes = [user_scope(account) for account in accounts]
    rows = list(RateLimitState.objects.filter(scope__in=[*scopes, APP_SCOPE]))
    app = [_left(row, now) for row in rows if row.scope == APP_SCOPE]
    app_left = [left - sum(flying.values()) for left in app if left is not None]
    budgets = {}
    for account in accounts:
        mine = [_left(row, now) for row in rows if row.scope == user_scope(account)]
        left = app_left + [n - flying.get(account.pk, 0) for n in mine if n is not None]
        budgets[account.pk] = max(0, min(left)) if left else UNKNOWN_BUDGET
    return budgets


def budget_available(*, account: XAccount, now: datetime) -> int:
    """How many creates `account` may send now without being refused (0 or more);
    UNKNOWN_BUDGET when X has not told us any limit yet."""
    return budgets_available(accounts=[account], now=now)[account.pk]


def tasks_in_flight_by_account() -> dict[int | None, int]:
    """Claimed tasks (publishing) per account, in one query."""
    publishing = PublishingTask.objects.filter(status=S.PUBLISHING).order_by()
    counts = publishing.values_list("account_id").annotate(n=Count("id"))
    return dict(counts)


def budget_next_reset(*, account: XAccount, now: datetime) -> datetime | None:
    """When an exhausted account can send again: the last reset among its empty
    buckets (and the app's). None when no bucket is empty."""
    empty = _buckets(account).filter(remaining__lte=0, reset_at__gt=now)
    resets = [row.reset_at for row in empty]
    return max(resets) if resets else None


def _local_day(project: Project, now: datetime) -> tuple[datetime, datetime]:
    """The project's current local day as [start, end) instants. Built from dates, not
    by adding 24 h, so days of 23 or 25 hours (DST) come out right."""
    zone = ZoneInfo(project.timezone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def project_daily_remaining(*, project: Project, now: datetime) -> int:
    """project.daily_max minus what the project used in its current local day: posts
    published, posts in flight, and claimed posts whose outcome is unknown (they may
    well be on X)."""
    start, end = _local_day(project, now)
    used = PublishingTask.objects.filter(project=project).filter(
        Q(status=S.PUBLISHED, published_at__gte=start, published_at__lt=end)
        | Q(status=S.PUBLISHING)
        | Q(status=S.UNKNOWN, claimed_at__gte=start, claimed_at__lt=end)
    )
    return max(0, project.daily_max - used.count())
