"""X's rate limit buckets: a window opens with its first request and resets when it ends."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .accounts import Account
from .config import POST_CREATE, SandboxConfig
from .store import Store

DAY_SECS = 86_400.0


@dataclass
class Bucket:
    key: str
    header: str  # header prefix, e.g. "x-rate-limit"
    limit: int
    window: float  # real seconds
    reset_at: float = 0.0
    used: int = 0

    def refresh(self, now: float) -> None:
        if now >= self.reset_at:
            self.reset_at, self.used = now + self.window, 0

    def headers(self) -> dict[str, str]:
        return {
            f"{self.header}-limit": str(self.limit),
            f"{self.header}-remaining": str(max(0, self.limit - self.used)),
            f"{self.header}-reset": str(math.ceil(self.reset_at)),
        }


class RateLimiter:
    def __init__(self, store: Store):
        self.store = store
        self.state = store.load_buckets()

    def hit(self, endpoint: str, account: Account, config: SandboxConfig, now: float):
        """Count one request; returns (allowed, headers). A refused request is not counted."""
        buckets = self._buckets(endpoint, account, config)
        for bucket in buckets:
            bucket.refresh(now)
        allowed = all(bucket.used < bucket.limit for bucket in buckets)
        if allowed:
            for bucket in buckets:
                bucket.used += 1
        self._remember(buckets)
        return allowed, {k: v for bucket in buckets for k, v in bucket.headers().items()}

    def reset(self) -> None:
        self.state.clear()

    def _buckets(self, endpoint: str, account: Account, config: SandboxConfig) -> list[Bucket]:
        window = config.real_secs(config.rate_window_secs)
        key = f"15m|{endpoint}|{account.user_id}"
        buckets = [self._bucket(key, "x-rate-limit", config.rate_limit(endpoint), window)]
        if endpoint == POST_CREATE:
            day = config.real_secs(DAY_SECS)
            user, app = f"24h|user|{account.user_id}", f"24h|app|{account.consumer_key}"
            buckets += [
                self._bucket(user, "x-user-limit-24hour", config.post_user_24h_limit, day),
                self._bucket(app, "x-app-limit-24hour", config.post_app_24h_limit, day),
            ]
        return buckets

    def _bucket(self, key: str, header: str, limit: int, window: float) -> Bucket:
        reset_at, used = self.state.get(key, (0.0, 0))
        return Bucket(key, header, limit, window, reset_at, used)

    def _remember(self, buckets: list[Bucket]) -> None:
        for bucket in buckets:
            self.state[bucket.key] = (bucket.reset_at, bucket.used)
        self.store.save_buckets((b.key, b.reset_at, b.used) for b in buckets)
