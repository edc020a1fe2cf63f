"""The emulator's state and request pipeline, independent of HTTP.

Pipeline: route -> log -> authenticate -> fault plan -> (latency, drop, 5xx) -> rate limit
-> endpoint -> (accept-then-drop, late answer). The lock is held only while state is read
or written, never while a fault sleeps.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from . import control, oauth, routes
from .accounts import DEMO_ACCOUNT, Account, AccountBook
from .config import SandboxConfig
from .faults import FaultBook
from .ids import SnowflakeIds
from .messages import Call, Reply, Request
from .problems import (
    ApiError,
    server_error,
    too_many_requests,
    unauthorized,
    unknown_endpoint,
    unsupported_authentication,
)
from .ratelimits import RateLimiter
from .records import Post, duplicate_key, normalize_text
from .store import Store

CONTROL_PREFIX = "/_sandbox/"
Sleep = Callable[[float], None]


class RequestLog:
    """How many requests each endpoint received, and how each one ended."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def as_dict(self) -> dict[str, object]:
        outcomes = {endpoint: dict(counter) for endpoint, counter in self.outcomes.items()}
        return {"counts": dict(self.counts), "outcomes": outcomes}


class Emulator:
    def __init__(
        self,
        store: Store,
        config: SandboxConfig,
        *,
        clock: Callable[[], float] = time.time,
        record: bool = False,
    ):
        self.lock = threading.RLock()
        self.store, self.config, self.clock = store, config, clock
        self.accounts = AccountBook(store.load_accounts())
        self.ids = SnowflakeIds(store.max_id())
        self.limiter = RateLimiter(store)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self.reads_per_day: Counter[str] = Counter()
        # (endpoint, Reply) of every answered API call, for schema checks in tests
        self.exchanges: deque[tuple[str, Reply]] | None = deque(maxlen=10_000) if record else None
        with self.lock, self.store.conn:
            self._put_account(DEMO_ACCOUNT)

    # request pipeline

    def handle(self, request: Request, sleep: Sleep = time.sleep) -> Reply:
        if request.path.startswith(CONTROL_PREFIX):
            return control.handle(self, request)
        found = routes.match(request.method, request.path)
        if found is None:
            return Reply.from_error(unknown_endpoint(request.path))
        route, request.path_params = found
        reply = self._serve(route, request, sleep)
        self._finish(route.endpoint, reply)
        return reply

    def _serve(self, route: routes.Route, request: Request, sleep: Sleep) -> Reply:
        with self.lock:
            self.requests.counts[route.endpoint] += 1
            try:
                account = self._authenticate(route, request)
            except ApiError as error:
                return Reply.from_error(error)
            plan = self.faults.plan(route.endpoint, account.user_id)
        return self._run_plan(route, Call(self, request, account, now=0.0, plan=plan), sleep)

    def _run_plan(self, route: routes.Route, call: Call, sleep: Sleep) -> Reply:
        plan = call.plan
        if plan.latency_secs:
            sleep(plan.latency_secs)
        if plan.drop_before:
            return Reply.dropped(accepted=False)
        if plan.error_status:
            return Reply.from_error(server_error(plan.error_status))
        reply = self._execute(route, call)
        if plan.drop_after:
            return Reply.dropped(accepted=True)
        if plan.hang_after_secs:
            sleep(plan.hang_after_secs)
        return reply

    def _authenticate(self, route: routes.Route, request: Request) -> Account:
        header = request.headers.get("Authorization") or ""
        if header[:7].lower() != "bearer ":
            max_age = self.config.oauth_max_age_secs
            return oauth.verify(request, self.accounts, now=self.clock(), max_age=max_age)
        account = self.accounts.by_bearer(header[7:].strip())
        if account is None:
            raise unauthorized()
        if not route.app_auth:
            raise unsupported_authentication()
        return account

    def _execute(self, route: routes.Route, call: Call) -> Reply:
        with self.lock, self.store.conn:
            call.now = self.clock()  # read under the lock, so ids and windows stay ordered
            endpoint = route.endpoint
            allowed, headers = self.limiter.hit(endpoint, call.account, self.config, call.now)
            reply = self._call(route, call) if allowed else Reply.from_error(too_many_requests({}))
            reply.headers.update(headers)
            return reply

    @staticmethod
    def _call(route: routes.Route, call: Call) -> Reply:
        try:
            return route.handler(call)
        except ApiError as error:
            return Reply.from_error(error)
        except Exception:  # an emulator bug must still answer, like X's own 500s
            traceback.print_exc(file=sys.stderr)
            return Reply.from_error(server_error(500))

    def _finish(self, endpoint: str, reply: Reply) -> None:
        with self.lock:
            self.requests.outcomes[endpoint][reply.outcome] += 1
            if self.exchanges is not None and not reply.drop:
                self.exchanges.append((endpoint, reply))

    def count_reads(self, posts: int, now: float) -> None:
        self.reads_per_day[datetime.fromtimestamp(now, UTC).date().isoformat()] += posts

    # state management (Python and control API)

    def configure(self, changes: Mapping[str, object]) -> SandboxConfig:
        changes = dict(changes)
        char_limits = changes.pop("char_limits", None) or {}
        with self.lock, self.store.conn:
            config = self.config.updated(changes)
            accounts = [self._with_char_limit(str(u), limit) for u, limit in char_limits.items()]
            for account in accounts:
                self._put_account(account)
            self.config = config
        return config

    def _with_char_limit(self, user_id: str, limit: object) -> Account:
        account = self.accounts.by_id(user_id)
        if account is None:
            raise ValueError(f"no account with user_id {user_id}")
        return replace(account, char_limit=int(limit))

    def add_account(self, account: Account) -> Account:
        with self.lock, self.store.conn:
            self._put_account(account)
        return account

    def _put_account(self, account: Account) -> None:
        self.accounts.put(account)
        self.store.save_account(account)

    def set_faults(self, rules: Iterable, *, append: bool = False) -> None:
        with self.lock:
            (self.faults.add if append else self.faults.set)(rules)

    def reset(self) -> None:
        """Forget posts, media, rate counters, request counts and faults; keep accounts."""
        with self.lock, self.store.conn:
            self.store.wipe()
            self.limiter.reset()
            self.faults.clear()
            self.requests = RequestLog()
            self.reads_per_day.clear()
            if self.exchanges is not None:
                self.exchanges.clear()

    def seed_post(
        self, *, text: str, user_id: str, created_at: float | None = None, media_keys=()
    ) -> Post:
        """Store a post as if published earlier, skipping every check."""
        with self.lock, self.store.conn:
            if self.accounts.by_id(user_id) is None:
                raise ValueError(f"no account with user_id {user_id}")
            now = self.clock()
            post_id = self.ids.next(now) if created_at is None else self.ids.at(created_at)
            text = normalize_text(text)
            post = Post(post_id, user_id, text, created_at or now, tuple(media_keys))
            self.store.insert_post(post, duplicate_key(text))
            return post

    def posts(self, user_id: str | None = None) -> list[dict[str, object]]:
        with self.lock:
            return [post.as_dict() for post in self.store.all_posts(user_id)]

    def media(self, user_id: str | None = None) -> list[dict[str, object]]:
        with self.lock:
            return [item.as_dict() for item in self.store.all_media(user_id)]

    def close(self) -> None:
        with self.lock:
            self.store.close()
