"""Accounts the emulator knows: one X user plus the app credentials that sign for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEMO_CONSUMER_KEY = "sandbox-consumer-key"
DEMO_CONSUMER_SECRET = "sandbox-consumer-secret"  # noqa: S105 - public test credential


@dataclass(frozen=True)
class Account:
    user_id: str
    username: str
    name: str
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    # None means the emulator default (280); paid accounts get 25,000.
    char_limit: int | None = None
    # App-only token: X accepts only this on app-level endpoints such as /2/usage/tweets.
    bearer_token: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Account:
        """Build an account, filling test-friendly defaults from user_id and username."""
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown account fields: {sorted(unknown)}")
        user_id, username = str(data.get("user_id", "")), str(data.get("username", ""))
        if not user_id.isdigit() or len(user_id) > 19 or not username:
            raise ValueError("an account needs a numeric user_id and a username")
        given = {name: value for name, value in data.items() if value is not None}
        values = {**_defaults(user_id, username), **given, "user_id": user_id}
        if "char_limit" in values:
            values["char_limit"] = int(values["char_limit"])
        return cls(**{k: v if k == "char_limit" else str(v) for k, v in values.items()})

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def _defaults(user_id: str, username: str) -> dict[str, object]:
    return {
        "name": username,
        "consumer_key": DEMO_CONSUMER_KEY,
        "consumer_secret": DEMO_CONSUMER_SECRET,
        "access_token": f"{user_id}-sandbox-access-token",
        "access_token_secret": f"{user_id}-sandbox-access-token-secret",
    }


# Public, test-only credentials: they sign requests to the sandbox and nowhere else.
DEMO_ACCOUNT = Account(
    user_id="1000000001",
    username="twitterpub_demo",
    name="Twitterpub Demo",
    consumer_key=DEMO_CONSUMER_KEY,
    consumer_secret=DEMO_CONSUMER_SECRET,
    access_token="1000000001-sandbox-access-token",  # noqa: S106
    access_token_secret="sandbox-access-token-secret",  # noqa: S106
    bearer_token="sandbox-app-bearer-token",  # noqa: S106
)


class AccountBook:
    """In-memory index of accounts; the store keeps the durable copy."""

    def __init__(self, accounts: Iterable[Account] = ()):
        self._by_id: dict[str, Account] = {}
        self._by_token: dict[tuple[str, str], Account] = {}
        for account in accounts:
            self.put(account)

    def put(self, account: Account) -> None:
        previous = self._by_id.get(account.user_id)
        if previous is not None:
            self._by_token.pop((previous.consumer_key, previous.access_token), None)
        self._by_id[account.user_id] = account
        self._by_token[(account.consumer_key, account.access_token)] = account

    def by_id(self, user_id: str) -> Account | None:
        return self._by_id.get(user_id)

    def by_token(self, consumer_key: str, access_token: str) -> Account | None:
        return self._by_token.get((consumer_key, access_token))

    def by_bearer(self, token: str) -> Account | None:
        return next((a for a in self._by_id.values() if a.bearer_token == token), None)

    def by_username(self, username: str) -> Account | None:
        wanted = username.lower()
        return next((a for a in self._by_id.values() if a.username.lower() == wanted), None)

    def all(self) -> list[Account]:
        return list(self._by_id.values())
