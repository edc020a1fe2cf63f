"""Read endpoints for posts: GET /2/tweets, /2/tweets/:id and /2/users/:id/tweets."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass

from .messages import Call, Reply
from .problems import invalid_request, not_found_problem
from .records import Post, iso_time
from .validation import int_param, list_param, snowflake, time_param

FIELD_PARAMS = ("tweet.fields", "post.fields")  # X's name, and the OpenAPI document's


@dataclass(frozen=True)
class PostView:
    """Renders posts with the fields and expansions a request asked for."""

    call: Call
    fields: frozenset[str]
    expansions: frozenset[str]

    @classmethod
    def of(cls, call: Call) -> PostView:
        fields = list_param(call.params, *FIELD_PARAMS)
        return cls(call, fields, list_param(call.params, "expansions"))

    def render(self, post: Post) -> dict[str, object]:
        data: dict[str, object] = {"id": str(post.id), "text": post.text}
        data["edit_history_post_ids"] = [str(post.id)]
        wanted = {
            "created_at": lambda: iso_time(post.created_at),
            "author_id": lambda: post.author_id,
            "public_metrics": lambda: public_metrics(post, self.call),
            "attachments": lambda: _attachments(post),
            "referenced_posts": lambda: _references(post),
        }
        for name in self.fields & wanted.keys():
            value = wanted[name]()
            if value is not None:
                data[name] = value
        return data

    def body(self, posts: list[Post]) -> dict[str, object]:
        self.call.emulator.count_reads(len(posts), self.call.now)
        body: dict[str, object] = {"data": [self.render(post) for post in posts]} if posts else {}
        includes = self._includes(posts)
        if includes:
            body["includes"] = includes
        return body

    def _includes(self, posts: list[Post]) -> dict[str, list]:
        includes: dict[str, list] = {}
        if "attachments.media_keys" in self.expansions:
            media = [self._media(key) for post in posts for key in post.media_keys]
            includes["media"] = [item for item in media if item]
        if "author_id" in self.expansions:
            users = {post.author_id: _user(self.call, post.author_id) for post in posts}
            includes["users"] = [user for user in users.values() if user]
        return {name: items for name, items in includes.items() if items}

    def _media(self, media_key: str) -> dict[str, object] | None:
        media = self.call.store.media(int(media_key.split("_", 1)[1]))
        if media is None:
            return None
        item = {"media_key": media_key, "type": media.kind}
        return {**item, "alt_text": media.alt_text} if media.alt_text else item


def _attachments(post: Post) -> dict[str, list[str]] | None:
    return {"media_keys": list(post.media_keys)} if post.media_keys else None


def _references(post: Post) -> list[dict[str, str]] | None:
    return [{"type": "replied_to", "id": str(post.reply_to)}] if post.reply_to else None


def _user(call: Call, user_id: str) -> dict[str, str] | None:
    account = call.emulator.accounts.by_id(user_id)
    if account is None:
        return None
    return {"id": account.user_id, "name": account.name, "username": account.username}


def public_metrics(post: Post, call: Call) -> dict[str, int]:
    """Synthetic engagement: deterministic for a post and its age, growing as it ages."""
    age_minutes = max(0.0, (call.now - post.created_at) * call.config.time_scale / 60)
    reach = 40 + post.id % 211
    impressions = int(reach * 3 * math.log1p(age_minutes))
    likes = impressions // (25 + post.id % 17)
    reposts = likes // 6
    return {
        "impression_count": impressions,
        "like_count": likes,
        "repost_count": reposts,
        "retweet_count": reposts,  # the name X's live API still uses
        "reply_count": likes // 9,
        "quote_count": reposts // 4,
        "bookmark_count": likes // 12,
    }


def lookup_posts(call: Call) -> Reply:
    raw = [item for item in call.params.get("ids", "").split(",") if item]
    if not 1 <= len(raw) <= 100:
        raise invalid_request("`ids` takes 1 to 100 post ids", parameter="ids", value=len(raw))
    ids = list(dict.fromkeys(snowflake(item, "ids") for item in raw))
    found = _live(call.store.posts_by_ids(ids))
    body = PostView.of(call).body([found[i] for i in ids if i in found])
    missing = [not_found_problem("tweet", str(i), "ids") for i in ids if i not in found]
    return Reply(200, {**body, "errors": missing} if missing else body)


def get_post(call: Call) -> Reply:
    post_id = snowflake(call.request.path_params["id"], "id")
    found = _live(call.store.posts_by_ids([post_id]))
    if post_id not in found:
        return Reply(200, {"errors": [not_found_problem("tweet", str(post_id), "id")]})
    body = PostView.of(call).body([found[post_id]])
    return Reply(200, {**body, "data": body["data"][0]})


def _live(posts: dict[int, Post]) -> dict[int, Post]:
    return {post_id: post for post_id, post in posts.items() if post.deleted_at is None}


def user_posts(call: Call) -> Reply:
    user_id = str(snowflake(call.request.path_params["id"], "id"))
    if call.emulator.accounts.by_id(user_id) is None:
        return Reply(200, {"errors": [not_found_problem("user", user_id, "id")]})
    limit = int_param(call.params, "max_results", default=10, low=5, high=100)
    conditions, args = timeline_filters(call.params)
    posts = call.store.timeline(user_id, conditions, args, limit + 1)
    page = posts[:limit]
    body = PostView.of(call).body(page)
    return Reply(200, {**body, "meta": _meta(page, more=len(posts) > limit)})


def _meta(page: list[Post], *, more: bool) -> dict[str, object]:
    meta: dict[str, object] = {"result_count": len(page)}
    if page:
        meta.update(newest_id=str(page[0].id), oldest_id=str(page[-1].id))
    if page and more:
        meta["next_token"] = encode_token(page[-1].id)
    return meta


def timeline_filters(params: dict[str, str]) -> tuple[list[str], list[object]]:
    """SQL conditions for the timeline query. start_time is inclusive; so is end_time, at
    the second granularity X documents for it."""
    start, end = time_param(params, "start_time"), time_param(params, "end_time")
    candidates = [
        ("id > ?", _optional_id(params, "since_id")),
        ("id < ?", _optional_id(params, "until_id")),
        ("id < ?", _token(params)),
        ("created_at >= ?", start),
        ("created_at < ?", None if end is None else end + 1),
    ]
    conditions = [(sql, value) for sql, value in candidates if value is not None]
    if "replies" in list_param(params, "exclude"):
        conditions.append(("reply_to IS NULL", None))
    return [sql for sql, _ in conditions], [v for _, v in conditions if v is not None]


def _optional_id(params: dict[str, str], name: str) -> int | None:
    return snowflake(params[name], name) if name in params else None


def _token(params: dict[str, str]) -> int | None:
    return decode_token(params["pagination_token"]) if "pagination_token" in params else None


def encode_token(post_id: int) -> str:
    """X's pagination tokens are base32hex; this one carries the oldest id of the page."""
    return base64.b32hexencode(post_id.to_bytes(8, "big")).decode().rstrip("=").lower()


def decode_token(token: str) -> int:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        return int.from_bytes(base64.b32hexdecode(padded), "big")
    except (binascii.Error, ValueError):
        raise invalid_request(
            "The `pagination_token` is invalid", parameter="pagination_token", value=token
        ) from None
