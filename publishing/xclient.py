"""The one door to X. Every call goes through xdk, X's official SDK, pointed at
settings.X_API_BASE_URL (api.x.com, or the bundled emulator). Failures come out as
XError carrying an ErrorClass, so callers never parse HTTP themselves."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests
from django.conf import settings
from django.db import models
from xdk import Client
from xdk.media.models import AppendUploadRequest, CreateMetadataRequest, InitializeUploadRequest
from xdk.oauth1_auth import OAuth1
from xdk.posts.models import CreateRequest

from projects.media import MediaError, sniff

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
# Seconds; X's processing_info.check_after_secs is honoured up to this.
MAX_PROCESSING_WAIT = 600


class ErrorClass(models.TextChoices):
    """The original system's seven classes; each gets its own retry policy."""

    RATE_LIMIT = "rate_limit", "Rate limit"
    NETWORK = "network", "Network"
    CONTENT = "content", "Content"
    AUTH = "auth", "Authentication"
    MEDIA = "media", "Media"
    SYSTEM = "system", "System"
    UNKNOWN = "unknown", "Unknown"


class XError(Exception):
    """A failed call to X.

    `ambiguous` is true when the request may have taken effect on X's side (a timeout
    or dropped connection after sending, a 5xx, a duplicate-content 403): the post may
    exist, so it must not be sent again blindly."""

    def __init__(
        self,
        message: str,
        *,
        error_class: str,
        http_status: int | None = None,
        ambiguous: bool = False,
        rate_limit: RateLimit | None = None,
    ):
        super().__init__(message)
        self.error_class = error_class
        self.http_status = http_status
        self.ambiguous = ambiguous
        self.rate_limit = rate_limit
        # Which call failed ("create_post", ...): only a create spends the post budget.
        self.operation = ""


@dataclass(frozen=True)
class Credentials:
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str

    def __repr__(self) -> str:
        # Never let a secret reach a log line or a traceback.
        return f"Credentials(consumer_key={self.consumer_key[:4]}…)"


@dataclass(frozen=True)
class RateLimit:
    """X's rate-limit headers from the latest answer (None where absent)."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    user_24h_remaining: int | None = None
    app_24h_remaining: int | None = None
    # Post creation's 24-hour buckets (x-user-limit-24hour-*, x-app-limit-24hour-*).
    user_24h_limit: int | None = None
    user_24h_reset: int | None = None
    app_24h_limit: int | None = None
    app_24h_reset: int | None = None

    @classmethod
    def from_headers(cls, headers) -> RateLimit:
        def num(name: str) -> int | None:
            value = headers.get(name)
            return int(value) if value and value.lstrip("-").isdigit() else None

        return cls(
            limit=num("x-rate-limit-limit"),
            remaining=num("x-rate-limit-remaining"),
            reset=num("x-rate-limit-reset"),
            user_24h_remaining=num("x-user-limit-24hour-remaining"),
            app_24h_remaining=num("x-app-limit-24hour-remaining"),
            user_24h_limit=num("x-user-limit-24hour-limit"),
            user_24h_reset=num("x-user-limit-24hour-reset"),
            app_24h_limit=num("x-app-limit-24hour-limit"),
            app_24h_reset=num("x-app-limit-24hour-reset"),
        )


@dataclass(frozen=True)
class CreatedPost:
    id: str
    text: str
    rate_limit: RateLimit = field(default_factory=RateLimit)


@dataclass(frozen=True)
class RemotePost:
    id: str
    text: str
    created_at: str | None
    media_keys: tuple[str, ...] = ()


class _TimeoutSession(requests.Session):
    """xdk calls session.post() without a timeout; a hung socket must not hang a worker."""

    def __init__(self, timeout: float, base_url: str):
        super().__init__()
        self.timeout = timeout
        # requests re-reads proxy variables from the environment on every call (about
        # 1 ms each); read them once instead, still honouring HTTPS_PROXY and NO_PROXY.
        self.proxies = requests.utils.get_environ_proxies(base_url)
        self.trust_env = False
        self.last_response: requests.Response | None = None
        self.hooks["response"].append(self._remember)

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)

    def _remember(self, response, *args, **kwargs):
        self.last_response = response


class XClient:
    """Posts and media for one account."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
    ):
        auth = OAuth1(
            api_key=credentials.consumer_key,
            api_secret=credentials.consumer_secret,
            callback="oob",
            access_token=credentials.access_token,
            access_token_secret=credentials.access_token_secret,
        )
        base_url = base_url or settings.X_API_BASE_URL
        self._client = Client(base_url=base_url, auth=auth)
        session = _TimeoutSession(timeout or settings.X_API_TIMEOUT_SECONDS, base_url)
        session.headers.update(self._client.session.headers)
        self._client.session = session
        self._session = session

    @property
    def rate_limit(self) -> RateLimit:
        response = self._session.last_response
        return RateLimit.from_headers(response.headers) if response is not None else RateLimit()

    def get_me(self) -> tuple[str, str]:
        """(user id, username) of the account the credentials belong to."""
        response = self._call(self._client.users.get_me, write=False)
        return response.data.id, response.data.username

    def create_post(
        self,
        text: str,
        *,
        media_ids: list[str] | None = None,
        reply_to: str | None = None,
        made_with_ai: bool = False,
    ) -> CreatedPost:
        body: dict = {"text": text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        if made_with_ai:
            body["made_with_ai"] = True
        response = self._call(self._client.posts.create, CreateRequest(**body), write=True)
        return CreatedPost(id=response.data.id, text=response.data.text, rate_limit=self.rate_limit)

    def delete_post(self, post_id: str) -> None:
        self._call(self._client.posts.delete, post_id, write=False)

    def recent_posts(self, user_id: str, *, since: datetime) -> Iterator[RemotePost]:
        """The account's own posts created since `since`, newest first (reconciliation)."""
        pages = self._client.users.get_posts(
            user_id,
            start_time=since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            max_results=100,
            post_fields=["created_at", "attachments"],
        )
        # xdk fetches pages lazily: errors surface while iterating, so wrap each step.
        while (page := self._call(next, pages, None, write=False)) is not None:
            for post in page.data or []:
                attachments = getattr(post, "attachments", None)
                keys = tuple(getattr(attachments, "media_keys", None) or ())
                yield RemotePost(post.id, post.text, getattr(post, "created_at", None), keys)

    def upload_media(self, path: Path, *, alt_text: str = "") -> str:
        """Chunked upload through media upload v2; waits for video/GIF processing.
        (The dispatcher goes through publishing.services.media, which caches and resumes.)"""
        media_id, _ = self.media_initialize(path)
        with path.open("rb") as fh:
            for index, chunk in enumerate(iter(lambda: fh.read(self.chunk_size), b"")):
                self.media_append(media_id, chunk, index)
        self.media_finalize(media_id)
        if alt_text:
            self.media_set_alt_text(media_id, alt_text)
        return media_id

    @property
    def chunk_size(self) -> int:
        return settings.X_MEDIA_CHUNK_BYTES

    def media_initialize(self, path: Path) -> tuple[str, int | None]:
        """Open an upload session: (media id, seconds until it expires)."""
        media_type, category = media_type_for(path)
        body = InitializeUploadRequest(
            media_type=media_type, total_bytes=path.stat().st_size, media_category=category
        )
        init = self._call(self._client.media.initialize_upload, body, write=False, media=True)
        return init.data.id, init.data.expires_after_secs

    def media_append(self, media_id: str, chunk: bytes, index: int) -> None:
        body = AppendUploadRequest(media=base64.b64encode(chunk).decode(), segment_index=index)
        self._call(self._client.media.append_upload, media_id, body, write=False, media=True)

    def media_finalize(self, media_id: str) -> None:
        """Close the session and wait until X has processed the media."""
        final = self._call(self._client.media.finalize_upload, media_id, write=False, media=True)
        self._wait_for_processing(media_id, final.data.processing_info)

    def media_status(self, media_id: str) -> str | None:
        """X's processing state for an upload (None: nothing to process, e.g. images)."""
        status = self._call(
            self._client.media.get_upload_status,
            media_id,
            command="STATUS",
            write=False,
            media=True,
        )
        info = status.data.processing_info
        return info.state if info is not None else None

    def _wait_for_processing(self, media_id: str, info) -> None:
        deadline = time.monotonic() + MAX_PROCESSING_WAIT
        while info is not None and info.state in ("pending", "in_progress"):
            if time.monotonic() > deadline:
                raise XError(
                    f"X did not finish processing media {media_id} in {MAX_PROCESSING_WAIT} s.",
                    error_class=ErrorClass.MEDIA,
                )
            wait = 1 if info.check_after_secs is None else info.check_after_secs
            time.sleep(min(wait, 10))
            status = self._call(
                self._client.media.get_upload_status,
                media_id,
                command="STATUS",
                write=False,
                media=True,
            )
            info = status.data.processing_info
        if info is not None and info.state == "failed":
            raise XError(f"X could not process media {media_id}.", error_class=ErrorClass.MEDIA)

    def media_set_alt_text(self, media_id: str, alt_text: str) -> None:
        body = CreateMetadataRequest(id=media_id, metadata={"alt_text": {"text": alt_text[:1000]}})
        self._call(self._client.media.create_metadata, body, write=False, media=True)

    def _call(self, fn, *args, write: bool, media: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs)
        except requests.HTTPError as exc:
            raise error_from_response(exc.response, write=write, media=media) from exc
        except requests.RequestException as exc:
            raise error_from_transport(exc, write=write) from exc


CATEGORIES = {"image": "tweet_image", "gif": "tweet_gif", "video": "tweet_video"}


def media_type_for(path: Path) -> tuple[str, str]:
    """(MIME type, media category) from the file's bytes, as the scanner saw them: a
    JPEG named .png is announced as image/jpeg."""
    try:
        info = sniff(path)
    except MediaError as exc:
        raise XError(str(exc), error_class=ErrorClass.MEDIA) from None
    return info.mime, CATEGORIES[info.kind]


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason or ""
    if isinstance(body, dict):
        errors = body.get("errors") or [{}]
        return str(body.get("detail") or errors[0].get("message") or body.get("title") or body)
    return str(body)[:300]


def error_from_response(response: requests.Response, *, write: bool, media: bool) -> XError:
    status = response.status_code
    detail = _detail(response)
    limits = RateLimit.from_headers(response.headers)
    cls, ambiguous, advice = _classify_status(status, detail, write=write, media=media)
    message = f"X answered {status}: {detail}"
    if advice:
        message = f"{message} ({advice})"
    return XError(
        message, error_class=cls, http_status=status, ambiguous=ambiguous, rate_limit=limits
    )


def _classify_status(status: int, detail: str, *, write: bool, media: bool):
    if status == 401:
        return ErrorClass.AUTH, False, "the credentials are wrong or revoked"
    if status == 429:
        return ErrorClass.RATE_LIMIT, False, "rate limit reached; wait for x-rate-limit-reset"
    if status == 403 and DUPLICATE_DETAIL in detail:
        # X refuses a duplicate but does not say of which post: our earlier attempt may
        # be the one it saw, so the outcome is unknown rather than a plain failure.
        return ErrorClass.CONTENT, write, "duplicate content"
    if status >= 500:
        return ErrorClass.SYSTEM, write, "X had a server error"
    if media or status == 413:
        return ErrorClass.MEDIA, False, ""
    if status == 403 and "repl" in detail.lower():
        # Since 24 Feb 2026 X refuses API replies unless the author mentioned or quoted
        # the replying account: retrying cannot help.
        return ErrorClass.CONTENT, False, "X no longer allows this reply through the API"
    if status == 403:
        return ErrorClass.AUTH, False, "the app or account is not allowed to do this"
    return ErrorClass.CONTENT, False, ""


def error_from_transport(exc: requests.RequestException, *, write: bool) -> XError:
    # A refused connection never reached X; a read timeout or a dropped connection
    # after sending may have created the post.
    sent = not isinstance(exc, requests.ConnectTimeout) and not _refused(exc)
    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
    return XError(
        f"The connection to X {kind}: {exc.__class__.__name__}",
        error_class=ErrorClass.NETWORK,
        ambiguous=write and sent,
    )


def _refused(exc: requests.RequestException) -> bool:
    text = str(exc)
    return isinstance(exc, requests.ConnectionError) and (
        "Connection refused" in text or "Failed to resolve" in text or "NameResolution" in text
    )
