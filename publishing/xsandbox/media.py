"""Media upload v2: one-shot upload, chunked initialize/append/finalize, STATUS, metadata.

Only sizes and SHA-256 digests are kept, so a 512 MB video costs no memory."""

from __future__ import annotations

import hashlib

from .messages import Call, Reply, decode_media
from .problems import invalid_request, not_found, payload_too_large
from .records import CATEGORIES, MIB, Media
from .validation import reject_unknown, snowflake

MAX_CHUNK_BYTES = 5 * MIB  # X answers 413 above this
ONE_SHOT_CATEGORIES = ("tweet_image", "dm_image")
INITIALIZE_FIELDS = ("media_type", "total_bytes", "media_category", "additional_owners", "shared")
MEDIA_TYPES = frozenset(
    (
        *("video/mp4", "video/webm", "video/mp2t", "video/quicktime", "text/srt", "text/vtt"),
        *("image/jpeg", "image/gif", "image/bmp", "image/png", "image/webp", "image/pjpeg"),
        *("image/tiff", "model/gltf-binary", "model/vnd.usdz+zip"),
    )
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


def initialize(call: Call) -> Reply:
    body = call.request.json()
    reject_unknown(body, INITIALIZE_FIELDS)
    media_type = body.get("media_type")
    if media_type not in MEDIA_TYPES:
        raise invalid_request(f"Unsupported media_type {media_type!r}", parameter="media_type")
    category = body.get("media_category") or default_category(str(media_type))
    total = body.get("total_bytes")
    if not isinstance(total, int) or isinstance(total, bool) or total < 1:
        raise invalid_request("total_bytes must be a positive integer", parameter="total_bytes")
    media = new_media(call, str(media_type), str(category), total)
    data = {"id": str(media.id), "media_key": media.media_key}
    return Reply(200, {"data": {**data, "expires_after_secs": _expires_after(call, media)}})


def default_category(media_type: str) -> str:
    if media_type == "image/gif":
        return "tweet_gif"
    if media_type.startswith("text/"):
        return "subtitles"
    return "tweet_video" if media_type.startswith("video/") else "tweet_image"


def new_media(call: Call, media_type: str, category: str, total: int) -> Media:
    check_category(media_type, category, total)
    expiry = call.config.real_secs(call.config.media_expiry_secs)
    media = Media(
        id=call.emulator.ids.next(call.now),
        user_id=call.account.user_id,
        media_type=media_type,
        category=category,
        total_bytes=total,
        created_at=call.now,
        expires_at=call.now + expiry,
    )
    call.store.save_media(media)
    return media


def check_category(media_type: str, category: str, total: int) -> None:
    if category not in CATEGORIES:
        raise invalid_request(f"Unknown media_category {category!r}", parameter="media_category")
    kind, _, limit = CATEGORIES[category]
    family = {"photo": "image/", "animated_gif": "image/gif", "video": "video/"}
    if not media_type.startswith(family.get(kind, "text/")):
        raise invalid_request(
            f"media_type {media_type} does not fit media_category {category}",
            parameter="media_category",
        )
    if total > limit:
        raise invalid_request(
            f"File size exceeds {limit} bytes for {category}", parameter="total_bytes", value=total
        )


def append(call: Call) -> Reply:
    media = owned_media(call, call.request.path_params["id"], "id")
    if media.state != "uploading":
        raise invalid_request("The upload is already finalized", parameter="id", value=media.id)
    fields = call.request.fields()
    chunk = decode_media(fields.get("media"))
    index = _segment_index(fields.get("segment_index"))
    if len(chunk) > MAX_CHUNK_BYTES:
        raise payload_too_large(f"A segment may carry at most {MAX_CHUNK_BYTES} bytes")
    call.store.save_segment(media.id, index, len(chunk), hashlib.sha256(chunk).hexdigest())
    return Reply(200, {"data": {"expires_at": int(media.expires_at)}})


def _segment_index(value: object) -> int:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isdigit() or int(text) > 999:
        raise invalid_request("segment_index must be 0 to 999", parameter="segment_index")
    return int(text)


def finalize(call: Call) -> Reply:
    media = owned_media(call, call.request.path_params["id"], "id")
    if media.state == "uploading":
        complete_upload(call, media)
    return Reply(200, {"data": status_data(call, media)})


def complete_upload(call: Call, media: Media) -> None:
    segments = call.store.segments(media.id)
    if [index for index, _, _ in segments] != list(range(len(segments))):
        raise invalid_request("Segments are missing: append them from segment_index 0 on")
    appended = sum(size for _, size, _ in segments)
    if appended != media.total_bytes:
        raise invalid_request(
            "Segments do not add up to provided total file size: "
            f"appended {appended} bytes, total_bytes is {media.total_bytes}",
            parameter="total_bytes",
        )
    media.sha256 = hashlib.sha256("".join(h for _, _, h in segments).encode()).hexdigest()
    media.fail_processing = call.plan.fail_processing
    media.state = "pending" if media.needs_processing else "succeeded"
    _advance(call, media, polls=0)


def status(call: Call) -> Reply:
    if call.params.get("command", "STATUS") != "STATUS":
        raise invalid_request("command must be STATUS", parameter="command")
    media = owned_media(call, call.params.get("media_id"), "media_id")
    if media.state == "uploading":
        raise invalid_request("The upload is not finalized", parameter="media_id", value=media.id)
    if media.state in ("pending", "in_progress"):
        _advance(call, media, polls=1)
    return Reply(200, {"data": status_data(call, media)})


def _advance(call: Call, media: Media, polls: int) -> None:
    """Processing ends on the `processing_polls`-th STATUS call (at once when it is 0)."""
    media.polls += polls
    if media.needs_processing and media.polls >= call.config.processing_polls:
        media.state = "failed" if media.fail_processing else "succeeded"
    elif media.polls:
        media.state = "in_progress"
    call.store.save_media(media)


def status_data(call: Call, media: Media) -> dict[str, object]:
    data: dict[str, object] = {"id": str(media.id), "media_key": media.media_key}
    data.update(size=media.total_bytes, expires_after_secs=_expires_after(call, media))
    if not media.needs_processing:
        return {**data, "image": {"image_type": media.media_type}}
    data["processing_info"] = processing_info(call, media)
    return {**data, "video": {"video_type": "video/mp4"}}


def processing_info(call: Call, media: Media) -> dict[str, object]:
    done = min(100, media.polls * 100 // max(1, call.config.processing_polls))
    info: dict[str, object] = {"state": media.state}
    if media.state in ("pending", "in_progress"):
        info["check_after_secs"] = call.config.check_after_secs
    if media.state != "pending":
        info["progress_percent"] = 100 if media.state == "succeeded" else done
    return info


def _expires_after(call: Call, media: Media) -> int:
    return max(0, int(media.expires_at - call.now))


def owned_media(call: Call, raw_id: object, parameter: str) -> Media:
    media_id = snowflake(raw_id, parameter)
    media = call.store.media(media_id)
    if media is None or media.user_id != call.account.user_id:
        raise not_found("media", str(media_id), parameter)
    if media.expires_at <= call.now:
        raise invalid_request("The upload has expired", parameter=parameter, value=media_id)
    return media


def upload(call: Call) -> Reply:
    """One-shot upload, images only; GIFs and videos go through the chunked endpoints."""
    fields = call.request.fields()
    reject_unknown(fields, ("media", "media_category", "additional_owners", "shared"))
    category = fields.get("media_category")
    if category not in ONE_SHOT_CATEGORIES:
        raise invalid_request(
            "One-shot upload takes images only; upload GIFs and videos in chunks",
            parameter="media_category",
        )
    content = decode_media(fields.get("media"))
    media = new_media(call, sniff(content), str(category), len(content))
    media.sha256, media.state = hashlib.sha256(content).hexdigest(), "succeeded"
    call.store.save_media(media)
    return Reply(200, {"data": status_data(call, media)})


def sniff(content: bytes) -> str:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    raise invalid_request("The media is not a recognised image", parameter="media")


def create_metadata(call: Call) -> Reply:
    body = call.request.json()
    media = owned_media(call, body.get("id"), "id")
    metadata = body.get("metadata") or {}
    alt_text = metadata.get("alt_text") if isinstance(metadata, dict) else None
    if alt_text is not None:
        media.alt_text = _alt_text(alt_text)
        call.store.save_media(media)
    return Reply(200, {"data": {"id": str(media.id), "associated_metadata": metadata}})


def _alt_text(value: object) -> str:
    text = value.get("text") if isinstance(value, dict) else None
    if not isinstance(text, str) or len(text) > 1000:
        message = "metadata.alt_text.text takes up to 1000 characters"
        raise invalid_request(message, parameter="metadata.alt_text.text")
    return text
