"""XSandbox: the emulator served on a loopback port from a daemon thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publishing.loopback import LoopbackService, serve_until_stopped

from .accounts import DEMO_ACCOUNT, Account
from .config import SandboxConfig
from .emulator import Emulator
from .faults import Fault
from .posts import twitter_text
from .server import SandboxServer
from .store import Store

if TYPE_CHECKING:
    import xdk


class XSandbox(LoopbackService):
    """An X API v2 emulator. `config` takes SandboxConfig fields, e.g. check_after_secs=0."""

    thread_name = "xsandbox"
    noun = "sandbox"

    def __init__(
        self,
        state_path: str | Path | None = None,
        *,
        accounts: Iterable[Account | Mapping[str, Any]] = (),
        record: bool = False,
        clock: Callable[[], float] = time.time,
        **config: Any,
    ):
        settings = SandboxConfig().updated(config)
        self.emulator = Emulator(Store(state_path), settings, clock=clock, record=record)
        for account in accounts:
            self.add_account(account)

    # lifecycle

    def _make_server(self, address: tuple[str, int]) -> SandboxServer:
        return SandboxServer(address, self.emulator)

    def _close(self) -> None:
        self.emulator.close()  # the state file

    # state

    @property
    def config(self) -> SandboxConfig:
        return self.emulator.config

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change config fields; `char_limits={user_id: n}` sets per-account text limits."""
        return self.emulator.configure(changes)

    def add_account(self, account: Account | Mapping[str, Any] | None = None, **fields) -> Account:
        """Add or replace an account; missing credentials get defaults derived from user_id."""
        if not isinstance(account, Account):
            account = Account.from_dict({**(account or {}), **fields})
        return self.emulator.add_account(account)

    def accounts(self) -> list[Account]:
        return self.emulator.accounts.all()

    def set_faults(self, *rules: Fault | Mapping[str, Any]) -> None:
        """Replace the fault rules, e.g. set_faults({"endpoint": "POST /2/tweets",
        "action": "error", "status": 503, "count": 3})."""
        self.emulator.set_faults(rules)

    def add_fault(self, **rule: Any) -> None:
        self.emulator.set_faults([rule], append=True)

    def clear_faults(self) -> None:
        self.emulator.set_faults([])

    def faults(self) -> list[dict[str, object]]:
        with self.emulator.lock:
            return self.emulator.faults.as_list()

    def posts(self, user_id: str | None = None) -> list[dict[str, object]]:
        """Every stored post, deleted ones included (flagged), oldest first."""
        return self.emulator.posts(user_id)

    def media(self, user_id: str | None = None) -> list[dict[str, object]]:
        return self.emulator.media(user_id)

    def seed_post(
        self, text: str, *, user_id: str = DEMO_ACCOUNT.user_id, created_at: datetime | None = None
    ) -> dict[str, object]:
        """Store a post as if it had been published earlier (no checks, no rate limits)."""
        moment = created_at.timestamp() if created_at else None
        return self.emulator.seed_post(text=text, user_id=user_id, created_at=moment).as_dict()

    def request_counts(self) -> dict[str, int]:
        """Requests received per endpoint key, failed and dropped ones included."""
        with self.emulator.lock:
            return dict(self.emulator.requests.counts)

    def request_outcomes(self) -> dict[str, dict[str, int]]:
        """Per endpoint: {"201": n, "503": n, "dropped": n, "accepted_then_dropped": n, ...}."""
        with self.emulator.lock:
            return self.emulator.requests.as_dict()["outcomes"]

    def reset(self) -> None:
        self.emulator.reset()

    def client(self, account: Account = DEMO_ACCOUNT) -> xdk.Client:
        """An xdk client signed as `account` and pointed at this sandbox."""
        import xdk
        from xdk.oauth1_auth import OAuth1

        auth = OAuth1(
            api_key=account.consumer_key,
            api_secret=account.consumer_secret,
            callback="oob",
            access_token=account.access_token,
            access_token_secret=account.access_token_secret,
        )
        return xdk.Client(base_url=self.base_url, auth=auth)


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8765,
    state_path: str | Path | None = None,
    *,
    on_ready: Callable[[XSandbox], None] | None = None,
    stop: threading.Event | None = None,
    **config: Any,
) -> None:
    """Serve until `stop` is set, or SIGINT/SIGTERM arrives (when run in the main thread)."""
    twitter_text()  # pay the slow import before the first post, not during it
    sandbox = XSandbox(state_path, **config)
    serve_until_stopped(sandbox, host, port, on_ready=on_ready, stop=stop)
