"""Runtime knobs of the emulator. Durations are in emulated seconds; `time_scale`
divides every one of them (60 makes a 15-minute rate window last 15 real seconds)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

POST_CREATE = "POST /2/tweets"

# X's published limits for a pay-per-use app; "*" covers every other endpoint.
DEFAULT_RATE_LIMITS = {POST_CREATE: 100, "*": 900}


@dataclass(frozen=True)
class SandboxConfig:
    time_scale: float = 1.0
    rate_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_window_secs: float = 900.0
    post_user_24h_limit: int = 10_000
    post_app_24h_limit: int = 10_000
    default_char_limit: int = 280
    duplicate_window_secs: float = 86_400.0
    processing_polls: int = 2
    check_after_secs: int = 1
    media_expiry_secs: int = 86_400
    oauth_max_age_secs: int = 300
    # X may refuse an API reply even to one's own post (the Feb 2026 rule, as some
    # accounts meet it): False makes every reply answer that 403, self-replies included.
    self_replies_allowed: bool = True

    def updated(self, changes: Mapping[str, object]) -> SandboxConfig:
        """A copy with `changes` applied; rate_limits are merged, not replaced."""
        known = {f.name: f for f in dataclasses.fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        values = {name: _coerce(self, name, value) for name, value in changes.items()}
        config = dataclasses.replace(self, **values)
        config.validate()
        return config

    def validate(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if min(self.processing_polls, self.check_after_secs, self.default_char_limit) < 0:
            raise ValueError("processing_polls, check_after_secs and char limits must be >= 0")
        if any(limit < 0 for limit in self.rate_limits.values()):
            raise ValueError("rate limits must be >= 0")

    def real_secs(self, emulated_secs: float) -> float:
        return emulated_secs / self.time_scale

    def rate_limit(self, endpoint: str) -> int:
        return self.rate_limits.get(endpoint, self.rate_limits.get("*", 900))

    def as_dict(self) -> dict[str, object]:
        values = dataclasses.asdict(self)
        values["rate_limits"] = dict(self.rate_limits)
        return values


def _coerce(config: SandboxConfig, name: str, value: object) -> object:
    if name == "rate_limits":
        if not isinstance(value, Mapping):
            raise ValueError("rate_limits must map endpoint keys to request counts")
        return {**config.rate_limits, **{str(k): int(v) for k, v in value.items()}}
    current = getattr(config, name)
    if isinstance(current, bool) and not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false, got {value!r}")  # bool("false") is True
    try:
        return type(current)(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected {type(current).__name__}, got {value!r}") from exc
