"""XSandbox: the emulator served on a loopback port from a daemon thread."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .accounts import DEMO_ACCOUNT, Account
from .config import SandboxConfig
from .emulator import Emulator
from .faults import Fault
from .posts import twitter_text
from .server import SandboxServer
from .store import Store

if TYPE_CHECKING:
    import xdk


class XSandbox:
    """An X API v2 emulator. `config` takes SandboxConfig fields, e.g. check_after_secs=0."""

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
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> XSandbox:
        if self._server is not None:
            raise RuntimeError("this XSandbox is already serving")
        self._server = SandboxServer((host, port), self.emulator)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # bounds how long stop() waits
            name=f"xsandbox:{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the sandbox first")
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving, cut open connections and close the state file."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            self._thread.join()
        self.emulator.close()

    def __enter__(self) -> XSandbox:
        return self if self._server else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

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
    stop = stop or threading.Event()
    twitter_text()  # pay the slow import before the first post, not during it
    with XSandbox(state_path, **config).start(host, port) as sandbox:
        restore = _stop_on_signals(stop)
        try:
            if on_ready is not None:
                on_ready(sandbox)
            while not stop.wait(0.5):
                pass
        finally:
            restore()


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in signals}
    return lambda: [signal.signal(number, handler) for number, handler in previous.items()]
