"""What the emulator remembers: posts and uploaded media (sizes and hashes, never bytes)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

MIB = 1024 * 1024

# media_category -> (X's media type name, media_key prefix, size limit in bytes)
CATEGORIES = {
    "tweet_image": ("photo", "3", 5 * MIB),
    "dm_image": ("photo", "3", 5 * MIB),
    "tweet_gif": ("animated_gif", "16", 15 * MIB),
    "dm_gif": ("animated_gif", "16", 15 * MIB),
    "tweet_video": ("video", "7", 512 * MIB),
    "dm_video": ("video", "7", 512 * MIB),
    "amplify_video": ("video", "13", 512 * MIB),
    "subtitles": ("subtitles", "20", 1 * MIB),
}
POSTABLE_CATEGORIES = {"tweet_image", "tweet_gif", "tweet_video", "amplify_video"}


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def duplicate_key(text: str) -> str:
    """X compares posts after NFC normalisation, ignoring surrounding whitespace."""
    canonical = normalize_text(text).strip()
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


def iso_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Post:
    id: int
    author_id: str
    text: str
    created_at: float
    media_keys: tuple[str, ...] = ()
    reply_to: int | None = None
    made_with_ai: bool = False
    deleted_at: float | None = None

    @property
    def media_ids(self) -> tuple[str, ...]:
        return tuple(key.split("_", 1)[1] for key in self.media_keys)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "author_id": self.author_id,
            "text": self.text,
            "media_ids": list(self.media_ids),
            "media_keys": list(self.media_keys),
            "created_at": iso_time(self.created_at),
            "reply_to": None if self.reply_to is None else str(self.reply_to),
            "made_with_ai": self.made_with_ai,
            "deleted": self.deleted_at is not None,
        }


@dataclass
class Media:
    id: int
    user_id: str
    media_type: str
    category: str
    total_bytes: int
    created_at: float
    expires_at: float
    # uploading -> (succeeded | pending -> in_progress -> succeeded | failed)
    state: str = "uploading"
    polls: int = 0
    alt_text: str | None = None
    sha256: str | None = None
    fail_processing: bool = False

    @property
    def kind(self) -> str:
        return CATEGORIES[self.category][0]

    @property
    def media_key(self) -> str:
        return f"{CATEGORIES[self.category][1]}_{self.id}"

    @property
    def needs_processing(self) -> bool:
        return self.kind in ("video", "animated_gif")

    def as_dict(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "media_key": self.media_key,
            "user_id": self.user_id,
            "media_type": self.media_type,
            "media_category": self.category,
            "total_bytes": self.total_bytes,
            "state": self.state,
            "sha256": self.sha256,
            "alt_text": self.alt_text,
            "created_at": iso_time(self.created_at),
            "expires_at": iso_time(self.expires_at),
        }
