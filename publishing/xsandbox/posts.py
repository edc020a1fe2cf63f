"""POST /2/tweets and DELETE /2/tweets/:id."""

from __future__ import annotations

import functools
import re

from .messages import Call, Reply
from .problems import (
    ApiError,
    duplicate_content,
    gateway_problem,
    invalid_request,
    not_authorized,
    not_found,
    reply_not_allowed,
)
from .records import POSTABLE_CATEGORIES, Media, Post, duplicate_key, normalize_text
from .validation import reject_unknown, snowflake, text_field

# The properties of CreatePostsRequest, which forbids any other.
CREATE_FIELDS = frozenset(
    (
        *("card_uri", "community_id", "direct_message_deep_link", "edit_options", "geo"),
        *("for_super_followers_only", "made_with_ai", "media", "nullcast", "paid_partnership"),
        *("poll", "quote_tweet_id", "reply", "reply_settings", "share_with_followers", "text"),
    )
)
_MAYBE_URL = re.compile(r"\.\w")
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
URL_WEIGHT = 23


def create_post(call: Call) -> Reply:
    body = call.request.json()
    reject_unknown(body, CREATE_FIELDS)
    text = normalize_text(text_field(body, "text"))
    media = attached_media(call, body.get("media"))
    if not text.strip() and not media:
        raise invalid_request("Post text or media is required.", parameter="text")
    check_length(call, text)
    reply_to = reply_target(call, body.get("reply"))
    check_duplicate(call, text)
    post = store_post(call, text, media, reply_to, made_with_ai=bool(body.get("made_with_ai")))
    data = {"id": str(post.id), "text": post.text, "edit_history_post_ids": [str(post.id)]}
    return Reply(201, {"data": data})


def check_duplicate(call: Call, text: str) -> None:
    if not text.strip():
        return  # media-only posts are never duplicates
    since = call.now - call.config.real_secs(call.config.duplicate_window_secs)
    if call.store.has_duplicate(call.account.user_id, duplicate_key(text), since):
        raise duplicate_content()


def store_post(
    call: Call, text: str, media: list[Media], reply_to: int | None, *, made_with_ai: bool
) -> Post:
    post = Post(
        id=call.emulator.ids.next(call.now),
        author_id=call.account.user_id,
        text=text,
        created_at=call.now,
        media_keys=tuple(item.media_key for item in media),
        reply_to=reply_to,
        made_with_ai=made_with_ai,
    )
    call.store.insert_post(post, duplicate_key(text))
    return post


@functools.cache
def twitter_text():
    """twitter-text's parser and URL extractor, imported on first use: the import compiles
    an emoji regex for 0.4 s, which every process importing the emulator would pay."""
    from twitter_text import parse_tweet
    from twitter_text.extract_urls import extract_urls_with_indices

    return parse_tweet, extract_urls_with_indices


def weighted_length(text: str) -> int:
    """X's weighted length (twitter-text v3 rules)."""
    parse_tweet, extract_urls_with_indices = twitter_text()
    if not text.isascii():
        return parse_tweet(text).weightedLength
    # parse_tweet spends most of its time in an emoji regex (0.3 s for 20,000 characters).
    # ASCII holds no emoji and weighs 1 per character, so only URLs need finding.
    normalized = _LINE_ENDINGS.sub("\n", text)
    urls = extract_urls_with_indices(normalized)
    return len(normalized) + sum(URL_WEIGHT - len(url["url"]) for url in urls)


def check_length(call: Call, text: str) -> None:
    limit = call.account.char_limit or call.config.default_char_limit
    # A code point weighs at most 2, and a URL (23) needs a dot and 4 code points
    # ("x.co"): short texts need no counting at all.
    bound = len(text) * (6 if _MAYBE_URL.search(text) else 2)
    if bound > limit and (length := weighted_length(text)) > limit:
        raise invalid_request(
            f"Post text is too long: it weighs {length} characters, the limit is {limit}.",
            parameter="text",
        )


def attached_media(call: Call, field: object) -> list[Media]:
    if field is None:
        return []
    ids = field.get("media_ids") if isinstance(field, dict) else None
    if not isinstance(ids, list) or not 1 <= len(ids) <= 4:
        raise invalid_request("media.media_ids must list 1 to 4 media ids", parameter="media")
    media = [_usable_media(call, snowflake(item, "media.media_ids")) for item in ids]
    kinds = {item.kind for item in media}
    if len(kinds) > 1 or (kinds != {"photo"} and len(media) > 1):
        raise invalid_request(
            "A post carries up to 4 images, or 1 GIF, or 1 video; they cannot be mixed.",
            parameter="media.media_ids",
        )
    return media


def _usable_media(call: Call, media_id: int) -> Media:
    media = call.store.media(media_id)
    if media is None or media.user_id != call.account.user_id:
        raise _bad_media(media_id, "Your media IDs are invalid.")
    if media.category not in POSTABLE_CATEGORIES:
        raise _bad_media(media_id, f"Media {media_id} was uploaded as {media.category}.")
    if media.expires_at <= call.now:
        raise _bad_media(media_id, f"Media {media_id} has expired; upload it again.")
    if media.state != "succeeded":
        raise _bad_media(media_id, f"Media {media_id} is not ready: it is {media.state}.")
    return media


def _bad_media(media_id: int, message: str) -> ApiError:
    return invalid_request(message, parameter="media.media_ids", value=media_id)


def reply_target(call: Call, field: object) -> int | None:
    """Since Feb 2026 X lets an API reply through only to one's own posts, or to posts
    whose author mentioned the replying account."""
    if field is None:
        return None
    target_id = field.get("in_reply_to_tweet_id") if isinstance(field, dict) else None
    target = call.store.post(snowflake(target_id, "reply.in_reply_to_tweet_id"))
    if target is None or target.deleted_at is not None:
        detail = "You attempted to reply to a Tweet that is deleted or not visible to you."
        raise ApiError(403, gateway_problem(403, "Forbidden", detail))
    if target.author_id == call.account.user_id:
        if not call.config.self_replies_allowed:
            raise reply_not_allowed()
    elif not _mentions(target, call.account.username):
        raise reply_not_allowed()
    return target.id


def _mentions(post: Post, username: str) -> bool:
    return re.search(rf"(?<!\w)@{re.escape(username)}(?!\w)", post.text, re.IGNORECASE) is not None


def delete_post(call: Call) -> Reply:
    post_id = snowflake(call.request.path_params["id"], "id")
    post = call.store.post(post_id)
    if post is None:
        raise not_found("tweet", str(post_id))
    if post.author_id != call.account.user_id:
        raise not_authorized("You are not allowed to delete this Post.", "tweet", str(post_id))
    if post.deleted_at is None:
        call.store.delete_post(post_id, call.now)
    return Reply(200, {"data": {"deleted": True}})
