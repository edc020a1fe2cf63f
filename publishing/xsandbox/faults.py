"""Fault injection: rules that make matching requests slow, fail, or vanish.

A rule with `count` hits the next N matching requests, then expires: deterministic. A rule
with `probability` draws from its own `random.Random(seed)`: reproducible. With neither it
hits every matching request until cleared. `latency` rules add up; of the other actions the
first rule that fires wins, and later ones are not consumed.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# error: answer `status` (5xx) without acting.   latency: wait `ms`, then act and answer.
# timeout: act, then wait `seconds` before answering (outlives a client's timeout).
# drop: close the connection without acting.     accept_then_drop: act, then close silently.
# fail_processing: the upload finalizes, then its video/GIF processing ends "failed".
ACTIONS = ("error", "latency", "timeout", "drop", "accept_then_drop", "fail_processing")


@dataclass
class Fault:
    action: str
    endpoint: str = "*"
    status: int = 503
    ms: float = 0.0
    seconds: float = 0.0
    count: int | None = None
    probability: float | None = None
    seed: int = 0
    user_id: str | None = None
    remaining: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._validate()
        self.remaining = self.count
        self._rng = random.Random(self.seed)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Fault:
        allowed = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)  # type: ignore[arg-type]

    def _validate(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {self.action!r}")
        if self.action == "error" and not 500 <= self.status <= 599:
            raise ValueError("an error fault answers a 5xx status")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        if (self.count is not None and self.count < 0) or min(self.ms, self.seconds) < 0:
            raise ValueError("count, ms and seconds must not be negative")

    def matches(self, endpoint: str, user_id: str | None) -> bool:
        if self.user_id is not None and self.user_id != user_id:
            return False
        return self.endpoint == endpoint or fnmatch.fnmatchcase(endpoint, self.endpoint)

    def fire(self) -> bool:
        if self.remaining == 0:
            return False
        if self.probability is not None and self._rng.random() >= self.probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass
class FaultPlan:
    latency_secs: float = 0.0
    error_status: int | None = None
    drop_before: bool = False
    drop_after: bool = False
    hang_after_secs: float = 0.0
    fail_processing: bool = False

    def apply(self, rule: Fault) -> None:
        if rule.action == "error":
            self.error_status = rule.status
        elif rule.action == "timeout":
            self.hang_after_secs = rule.seconds
        else:
            attribute = {"drop": "drop_before", "accept_then_drop": "drop_after"}
            setattr(self, attribute.get(rule.action, rule.action), True)


class FaultBook:
    def __init__(self) -> None:
        self.rules: list[Fault] = []

    def set(self, rules: Iterable[Fault | Mapping[str, object]]) -> None:
        self.rules = [r if isinstance(r, Fault) else Fault.from_dict(r) for r in rules]

    def add(self, rules: Iterable[Fault | Mapping[str, object]]) -> None:
        current = self.rules
        self.set(rules)
        self.rules = current + self.rules

    def clear(self) -> None:
        self.rules = []

    def plan(self, endpoint: str, user_id: str | None) -> FaultPlan:
        plan, decided = FaultPlan(), False
        for rule in self.rules:
            if not rule.matches(endpoint, user_id):
                continue
            if rule.action == "latency":
                plan.latency_secs += rule.ms / 1000 if rule.fire() else 0
            elif not decided and rule.fire():
                plan.apply(rule)
                decided = True
        self.rules = [rule for rule in self.rules if rule.remaining != 0]
        return plan

    def as_list(self) -> list[dict[str, object]]:
        return [rule.as_dict() for rule in self.rules]
