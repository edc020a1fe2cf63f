"""Media for a post: upload once per file and account, reuse the media id until X
expires it, and resume an interrupted upload from its last acknowledged chunk."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from publishing.models import MediaUpload, XAccount
from publishing.xclient import ErrorClass, XClient, XError, media_type_for

# A media id this close to expiry is not reused: the post might outlive it.
EXPIRY_MARGIN = timedelta(minutes=10)
# X's documented session lifetime, used when an answer does not say.
DEFAULT_EXPIRY = timedelta(hours=24)
HASH_BLOCK = 1024 * 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def media_id_for(*, client: XClient, account: XAccount, path: Path, alt_text: str = "") -> str:
    """The media id to attach for `path`: cached, resumed or freshly uploaded."""
    now = timezone.now()
    upload = _usable(account, file_sha256(path), now)
    if upload is not None and upload.state == MediaUpload.State.READY:
        _ensure_alt_text(client, upload, alt_text)
        return upload.media_id
    upload = upload or _start(client, account, path, now)
    try:
        _send_chunks(client, upload, path)
        client.media_finalize(upload.media_id)
    except XError as error:
        _forget_if_refused(upload, error)
        raise
    _mark(upload, state=MediaUpload.State.READY)
    _ensure_alt_text(client, upload, alt_text)
    return upload.media_id


def _usable(account: XAccount, sha256: str, now: datetime) -> MediaUpload | None:
    return (
        MediaUpload.objects.filter(
            account=account,
            sha256=sha256,
            expires_at__gt=now + EXPIRY_MARGIN,
            state__in=[MediaUpload.State.READY, MediaUpload.State.UPLOADING],
        )
        .order_by("-expires_at")
        .first()
    )


def _start(client: XClient, account: XAccount, path: Path, now: datetime) -> MediaUpload:
    media_id, expires_after = client.media_initialize(path)
    lifetime = timedelta(seconds=expires_after) if expires_after else DEFAULT_EXPIRY
    return MediaUpload.objects.create(
        account=account,
        sha256=file_sha256(path),
        size=path.stat().st_size,
        media_type=media_type_for(path)[0],
        media_id=media_id,
        expires_at=now + lifetime,
    )


def _send_chunks(client: XClient, upload: MediaUpload, path: Path) -> None:
    """Append from the first chunk X has not acknowledged; checkpoint each one (its own
    commit: a worker killed mid-upload resumes after the last checkpoint, sending again
    at most the chunk it died on, which X takes again under the same segment index)."""
    # The dispatcher imports this module: its crash points are imported at use.
    from publishing.services.dispatch import crash_point

    size = client.chunk_size
    with path.open("rb") as fh:
        fh.seek(upload.chunks_sent * size)
        index = upload.chunks_sent
        for chunk in iter(lambda: fh.read(size), b""):
            client.media_append(upload.media_id, chunk, index)
            crash_point("media_after_append")  # X has the chunk; it is not recorded yet
            index += 1
            _mark(upload, chunks_sent=index)
            crash_point("media_after_checkpoint")


def _forget_if_refused(upload: MediaUpload, error: XError) -> None:
    """X refused the session itself (expired, unknown, invalid) or failed to process
    the media: start over next time. After a 5xx, a 429 or a network error the session
    lives on and resumes."""
    status = error.http_status or 0
    refused = 400 <= status < 500 and status != 429
    unprocessed = not status and error.error_class == ErrorClass.MEDIA
    if refused or unprocessed:
        _mark(upload, state=MediaUpload.State.FAILED)


def _ensure_alt_text(client: XClient, upload: MediaUpload, alt_text: str) -> None:
    if alt_text and alt_text != upload.alt_text:
        client.media_set_alt_text(upload.media_id, alt_text)
        _mark(upload, alt_text=alt_text)


def _mark(upload: MediaUpload, **fields) -> None:
    for name, value in fields.items():
        setattr(upload, name, value)
    MediaUpload.objects.filter(pk=upload.pk).update(updated=timezone.now(), **fields)
