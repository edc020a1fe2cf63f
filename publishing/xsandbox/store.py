"""SQLite state. One connection shared by every handler thread; callers hold the
emulator's lock and wrap each request in `with store.conn:` (one commit per request)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from .accounts import Account
from .records import Media, Post

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (user_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    media_keys TEXT NOT NULL DEFAULT '[]',
    reply_to INTEGER,
    made_with_ai INTEGER NOT NULL DEFAULT 0,
    deleted_at REAL,
    media_ids TEXT NOT NULL DEFAULT '[]',
    text_key TEXT NOT NULL
);
-- timelines (GET /2/users/:id/tweets) and the duplicate check
CREATE INDEX IF NOT EXISTS posts_by_author ON posts (author_id, id);
CREATE INDEX IF NOT EXISTS posts_by_text ON posts (author_id, text_key);
CREATE TABLE IF NOT EXISTS media (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    category TEXT NOT NULL,
    total_bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    state TEXT NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0,
    alt_text TEXT,
    sha256 TEXT,
    fail_processing INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS media_segments (
    media_id INTEGER NOT NULL,
    segment_index INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (media_id, segment_index)
);
CREATE TABLE IF NOT EXISTS rate_buckets (
    key TEXT PRIMARY KEY, reset_at REAL NOT NULL, used INTEGER NOT NULL
);
"""

_POST_COLUMNS = "id, author_id, text, created_at, media_keys, reply_to, made_with_ai, deleted_at"
_MEDIA_COLUMNS = (
    "id, user_id, media_type, category, total_bytes, created_at, expires_at, "
    "state, polls, alt_text, sha256, fail_processing"
)


class Store:
    def __init__(self, path: str | Path | None = None):
        self.path = str(path) if path else ":memory:"
        self.conn = sqlite3.connect(self.path, check_same_thread=False)
        if path:
            # Losing the last few writes on a power cut is fine for an emulator;
            # an fsync per post is not.
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def wipe(self, *, keep_accounts: bool = True) -> None:
        tables = ["posts", "media", "media_segments", "rate_buckets"]
        if not keep_accounts:
            tables.append("accounts")
        for table in tables:
            self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def max_id(self) -> int:
        row = self.conn.execute(
            "SELECT max(coalesce((SELECT max(id) FROM posts), 0),"
            " coalesce((SELECT max(id) FROM media), 0))"
        ).fetchone()
        return int(row[0])

    # accounts

    def save_account(self, account: Account) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO accounts (user_id, data) VALUES (?, ?)",
            (account.user_id, json.dumps(account.as_dict())),
        )

    def load_accounts(self) -> list[Account]:
        rows = self.conn.execute("SELECT data FROM accounts ORDER BY user_id")
        return [Account(**json.loads(data)) for (data,) in rows]

    # posts

    def insert_post(self, post: Post, text_key: str) -> None:
        self.conn.execute(
            f"INSERT INTO posts ({_POST_COLUMNS}, media_ids, text_key)"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                post.id,
                post.author_id,
                post.text,
                post.created_at,
                json.dumps(post.media_keys),
                post.reply_to,
                int(post.made_with_ai),
                post.deleted_at,
                json.dumps(post.media_ids),
                text_key,
            ),
        )

    def has_duplicate(self, author_id: str, text_key: str, since: float) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM posts WHERE author_id = ? AND text_key = ?"
            " AND created_at >= ? AND deleted_at IS NULL LIMIT 1",
            (author_id, text_key, since),
        ).fetchone()
        return row is not None

    def post(self, post_id: int) -> Post | None:
        posts = self.posts_by_ids([post_id])
        return posts.get(post_id)

    def posts_by_ids(self, ids: Iterable[int]) -> dict[int, Post]:
        ids = list(ids)
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {_POST_COLUMNS} FROM posts WHERE id IN ({marks})"  # noqa: S608
        return {post.id: post for post in map(_post, self.conn.execute(sql, ids))}

    def timeline(
        self, author_id: str, conditions: list[str], args: list[object], limit: int
    ) -> list[Post]:
        """Live posts of one author, newest first, filtered by extra SQL `conditions`."""
        where = " AND ".join(["author_id = ?", "deleted_at IS NULL", *conditions])
        sql = f"SELECT {_POST_COLUMNS} FROM posts WHERE {where} ORDER BY id DESC LIMIT ?"  # noqa: S608
        return list(map(_post, self.conn.execute(sql, [author_id, *args, limit])))

    def all_posts(self, author_id: str | None = None) -> list[Post]:
        where, args = ("WHERE author_id = ?", [author_id]) if author_id else ("", [])
        sql = f"SELECT {_POST_COLUMNS} FROM posts {where} ORDER BY id"  # noqa: S608
        return list(map(_post, self.conn.execute(sql, args)))

    def delete_post(self, post_id: int, at: float) -> None:
        self.conn.execute("UPDATE posts SET deleted_at = ? WHERE id = ?", (at, post_id))

    # media

    def save_media(self, media: Media) -> None:
        self.conn.execute(
            f"INSERT OR REPLACE INTO media ({_MEDIA_COLUMNS})"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                media.id,
                media.user_id,
                media.media_type,
                media.category,
                media.total_bytes,
                media.created_at,
                media.expires_at,
                media.state,
                media.polls,
                media.alt_text,
                media.sha256,
                int(media.fail_processing),
            ),
        )

    def media(self, media_id: int) -> Media | None:
        sql = f"SELECT {_MEDIA_COLUMNS} FROM media WHERE id = ?"  # noqa: S608
        row = self.conn.execute(sql, (media_id,)).fetchone()
        return _media(row) if row else None

    def all_media(self, user_id: str | None = None) -> list[Media]:
        where, args = ("WHERE user_id = ?", [user_id]) if user_id else ("", [])
        sql = f"SELECT {_MEDIA_COLUMNS} FROM media {where} ORDER BY id"  # noqa: S608
        return list(map(_media, self.conn.execute(sql, args)))

    def save_segment(self, media_id: int, index: int, size: int, sha256: str) -> None:
        # A retried append of the same segment replaces it, as on X.
        self.conn.execute(
            "INSERT OR REPLACE INTO media_segments VALUES (?, ?, ?, ?)",
            (media_id, index, size, sha256),
        )

    def segments(self, media_id: int) -> list[tuple[int, int, str]]:
        """(segment_index, size, sha256) in upload order."""
        return self.conn.execute(
            "SELECT segment_index, size, sha256 FROM media_segments"
            " WHERE media_id = ? ORDER BY segment_index",
            (media_id,),
        ).fetchall()

    def appended_bytes(self, media_id: int) -> int:
        sql = "SELECT coalesce(sum(size), 0) FROM media_segments WHERE media_id = ?"
        return int(self.conn.execute(sql, (media_id,)).fetchone()[0])

    # rate limit buckets

    def load_buckets(self) -> dict[str, tuple[float, int]]:
        rows = self.conn.execute("SELECT key, reset_at, used FROM rate_buckets")
        return {key: (reset_at, used) for key, reset_at, used in rows}

    def save_buckets(self, buckets: Iterable[tuple[str, float, int]]) -> None:
        self.conn.executemany("INSERT OR REPLACE INTO rate_buckets VALUES (?, ?, ?)", buckets)


def _post(row: tuple) -> Post:
    post_id, author_id, text, created_at, media_keys, reply_to, made_with_ai, deleted_at = row
    return Post(
        id=post_id,
        author_id=author_id,
        text=text,
        created_at=created_at,
        media_keys=tuple(json.loads(media_keys)),
        reply_to=reply_to,
        made_with_ai=bool(made_with_ai),
        deleted_at=deleted_at,
    )


def _media(row: tuple) -> Media:
    *fields, fail_processing = row
    return Media(*fields, fail_processing=bool(fail_processing))
