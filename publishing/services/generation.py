"""Posts written by Gemini from one language's metadata, checked before use, with
direct mode (publishing.composer) as the fallback that always works.

- The same input (metadata, language, limit, model, prompt version) is never paid for
  twice: results are kept in GeneratedText under a hash of that input.
- Every answer is checked (length, hashtags, scaffolding, duplicates); a rejected answer
  is asked for again up to GEMINI_MAX_REGENERATIONS times, then direct mode is used. That
  outcome is cached too: the next scan must not pay for the same failures again.
- A failed call (quota, timeout, server, auth, bad request) falls back at once and starts
  an outage cool-down: Gemini is skipped, and posts composed directly, until it ends.
  The outage is also recorded in the database (GeminiStatus: since when, how many failed
  calls, the last error) until a call succeeds again; monitoring alerts on it through
  publishing.selectors.gemini_outage_state(). Its start is logged at ERROR too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from publishing import prompts
from publishing.composer import compose_post
from publishing.geminiclient import GeminiError, GeminiResult, generate
from publishing.models import GeminiStatus, GeneratedText
from publishing.textcount import is_valid, weighted_length

logger = logging.getLogger(__name__)

Mode = Literal["gemini", "direct"]
OUTAGE_CACHE_KEY = "publishing:gemini:outage"
NO_KEY_REASON = "no GEMINI_API_KEY configured"


@dataclass(frozen=True, slots=True)
class GeneratedPost:
    """A post and where it came from. Token counts add up every call made for it
    (rejected answers included); `attempts` is that number of calls, 0 when the post
    came from the cache or Gemini was not asked. `fallback_reason` says why a direct
    post is not Gemini's; it is empty for Gemini's posts."""

    text: str
    weighted_length: int
    mode: Mode
    created: datetime
    model: str = ""
    prompt_version: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    fallback_reason: str = ""
    cached: bool = False
    attempts: int = 0


def post_generate(
    *, meta: Mapping[str, object], language: str, limit: int, recent_texts: Sequence[str] = ()
) -> GeneratedPost:
    """The post for one language's metadata, at most `limit` weighted characters and
    unlike `recent_texts` (the account's latest posts). Raises ComposeError when direct
    mode is needed and the metadata cannot make a post (as compose_post does)."""
    if reason := _gemini_unusable(meta, language):
        return _direct(meta, language, limit, reason=reason)
    key = content_hash(meta=meta, language=language, limit=limit)
    if (row := _cached(key, recent_texts)) is not None:
        return _from_row(row)
    if outage := gemini_outage():
        reason = f"Gemini skipped during an outage cool-down ({outage})"
        return _direct(meta, language, limit, reason=reason)
    return _generate(key, meta, language, limit, recent_texts)


def content_hash(*, meta: Mapping[str, object], language: str, limit: int) -> str:
    """The cache key: what decides the answer, as canonical JSON, hashed."""
    document = {
        "meta": meta,
        "language": language,
        "limit": limit,
        "model": settings.GEMINI_MODEL,
        "prompt_version": prompts.PROMPT_VERSION,
    }
    canonical = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _gemini_unusable(meta: Mapping[str, object], language: str) -> str:
    """Why this post is composed directly without asking Gemini ("" when it may ask)."""
    if not settings.GEMINI_API_KEY:
        return NO_KEY_REASON
    if "text" in meta:
        return "a hand-written text is posted as written"
    if language not in prompts.LANGUAGES:
        return f"no prompt for language {language!r}"
    if not isinstance(meta.get("title"), str) or not meta["title"].strip():
        return "the metadata has no title"  # compose_post says so to the author
    return ""


# --- asking Gemini -------------------------------------------------------------------


@dataclass
class _Spend:
    """What the calls for one post cost."""

    calls: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0
    model: str = ""

    def add(self, result: GeminiResult) -> None:
        self.prompt_tokens += result.prompt_tokens
        self.output_tokens += result.output_tokens
        self.model = result.model


def _generate(
    key: str,
    meta: Mapping[str, object],
    language: str,
    limit: int,
    recent_texts: Sequence[str],
) -> GeneratedPost:
    prompt = prompts.prompt_for(meta=meta, language=language, limit=limit)
    rules = prompts.instructions(language=language, limit=limit)
    check = partial(output_problem, limit=limit, recent_texts=recent_texts, instructions=rules)
    spend, problem = _Spend(model=settings.GEMINI_MODEL), ""
    try:
        for _ in range(1 + settings.GEMINI_MAX_REGENERATIONS):
            text, problem = _attempt(prompts.retry_prompt(prompt, problem), spend, check)
            if not problem:
                return _store(key, language, _post(text, "gemini", spend=spend))
    except GeminiError as error:
        # Not cached: once Gemini is back, this input deserves its answer.
        _outage_start(error)
        return _direct(meta, language, limit, reason=f"Gemini failed: {error}", spend=spend)
    reason = f"Gemini's answer was rejected {spend.calls} times (last: {problem})"
    return _store(key, language, _direct(meta, language, limit, reason=reason, spend=spend))


def _attempt(prompt: str, spend: _Spend, check: Callable[[str], str]) -> tuple[str, str]:
    """One call: the answer and why it cannot be used ("" when it can). A failed call
    raises GeminiError; an unreadable answer is only a rejected one."""
    try:
        text = _ask(prompt, spend)
    except GeminiError as error:
        if error.kind != "garbage":
            raise
        return "", str(error)
    if problem := check(text):
        logger.info("Gemini answer rejected (%s): %r", problem, text[:200])
    return text, problem


def _ask(prompt: str, spend: _Spend) -> str:
    spend.calls += 1
    result = generate(
        prompt,
        model=settings.GEMINI_MODEL,
        temperature=settings.GEMINI_TEMPERATURE,
        max_output_tokens=settings.GEMINI_MAX_OUTPUT_TOKENS,
    )
    gemini_status_record_success()
    spend.add(result)
    return result.text.strip()


# --- checking an answer --------------------------------------------------------------

_PREAMBLE = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay)[!,.:]"  # "Sure! ..."
    r"|^here(?:\s+is|\s+are|'s|’s)\b[^\n]*\b(?:tweet|post|draft|version|caption|rewrite)s?\b"
    r"|^(?:tweet|post|x post|twitter post|caption|推文|帖子|ツイート|投稿)\s*[:：]"
    r"|^(?:好的|当然)[，,。！!]|^以下是|^はい[、。！!]|^以下[はが]",
    re.IGNORECASE,
)
_LABEL_LINE = re.compile(
    rf"^\s*(?:{'|'.join([*prompts.LABELS, *(h.rstrip(':') for h in prompts.HEADINGS)])})\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
_PLACEHOLDER = re.compile(
    r"\{\s*[A-Za-z_]\w*\s*\}|[\[<](?:title|description|summary|hashtags?|keywords?|link|url)[\]>]",
    re.IGNORECASE,
)
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "«": "»"}
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
# Shorter echoed lines could be ordinary words the rules happen to contain.
_MIN_ECHO = 15
# Where a hashtag may start: a "#" not glued to a word before it ("C#", "page#2"), nor
# in a URL's path ("example.com/#/start").
_HASHTAG_SIGN = re.compile(r"(?<![\w&/])[#＃]")
# Besides letters, digits, marks and "_", X's hashtags may hold the katakana middle dot.
_HASHTAG_EXTRA = "_・\u200c\u200d"
# ASCII punctuation inside a word: "#Sci-Fi" would link only "#Sci". Full-width
# punctuation ends a Chinese or Japanese hashtag as a space does ("#童年回忆：重温...").
_WORD_JOINERS = "-'’.!?&/+:,;"


def output_problem(
    text: str, *, limit: int, recent_texts: Sequence[str] = (), instructions: Sequence[str] = ()
) -> str:
    """Why Gemini's `text` cannot be posted as it is ("" when it can)."""
    return (
        _scaffolding_problem(text, instructions)
        or _length_problem(text, limit)
        or _hashtag_problem(text)
        or _duplicate_problem(text, recent_texts)
    )


def _scaffolding_problem(text: str, instructions: Sequence[str]) -> str:
    if not text.strip():
        return "the answer is empty"
    checks = {
        "a preamble": _PREAMBLE.search(text.strip()),
        "markdown": "```" in text or "**" in text,
        "quotes around the post": _QUOTES.get(text[0]) == text[-1] and len(text) > 1,
        "a placeholder": _PLACEHOLDER.search(text),
        "a label from the prompt": _LABEL_LINE.search(text),
        "the prompt's instructions": _echoes(text, instructions),
    }
    found = [name for name, hit in checks.items() if hit]
    return f"it contains {found[0]}" if found else ""


def _echoes(text: str, instructions: Sequence[str]) -> bool:
    rules = _loose(" ".join(instructions))
    lines = (_loose(_BULLET.sub("", line)) for line in text.splitlines())
    return any(len(line) >= _MIN_ECHO and line in rules for line in lines)


def _loose(text: str) -> str:
    return " ".join(text.casefold().split())


def _length_problem(text: str, limit: int) -> str:
    length = weighted_length(text)
    if length > limit:
        return f"it is too long: {length} weighted characters, limit {limit}"
    return "" if is_valid(text, limit) else "it contains characters X refuses"


def _hashtag_problem(text: str) -> str:
    """Hashtags read as X reads them: "#" and the run of hashtag characters after it,
    however the text around is spaced (Chinese and Japanese use no spaces)."""
    for sign in _HASHTAG_SIGN.finditer(text):
        end = sign.end()
        while end < len(text) and _hashtag_char(text[end]):
            end += 1
        if _hashtag_malformed(text[sign.end() : end], text[end : end + 2]):
            token = text[sign.start() :].split(maxsplit=1)[0]
            return f"the hashtag {token!r} is malformed"
    return ""


def _hashtag_malformed(body: str, after: str) -> bool:
    if body.isdigit():
        return False  # "Part #3": a number, which X does not link, not a broken hashtag
    if not any(c.isalpha() for c in body):
        return True  # "#", "# Space", "#!"
    glued = after[:1] in _WORD_JOINERS and after[1:2].isalnum()
    return bool(after) and (glued or after[0] in "#＃")


def _hashtag_char(char: str) -> bool:
    return char.isalnum() or char in _HASHTAG_EXTRA or unicodedata.category(char)[0] == "M"


def _duplicate_problem(text: str, recent_texts: Sequence[str]) -> str:
    mine = _fingerprint(text)
    if mine and any(_fingerprint(recent) == mine for recent in recent_texts):
        return "it repeats a recent post"
    return ""


def _fingerprint(text: str) -> str:
    """Letters and digits only, case-folded: what makes two posts the same to a reader."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


# --- results -------------------------------------------------------------------------


def _post(text: str, mode: Mode, *, spend: _Spend | None = None, reason: str = "") -> GeneratedPost:
    spend = spend or _Spend()
    return GeneratedPost(
        text=text,
        weighted_length=weighted_length(text),
        mode=mode,
        created=timezone.now(),
        model=spend.model if spend.calls else "",
        prompt_version=prompts.PROMPT_VERSION if spend.calls else "",
        prompt_tokens=spend.prompt_tokens,
        output_tokens=spend.output_tokens,
        fallback_reason=reason,
        attempts=spend.calls,
    )


def _direct(
    meta: Mapping[str, object],
    language: str,
    limit: int,
    *,
    reason: str,
    spend: _Spend | None = None,
) -> GeneratedPost:
    composed = compose_post(meta, language, limit=limit)
    return _post(composed.text, "direct", spend=spend, reason=reason)


def _cached(key: str, recent_texts: Sequence[str]) -> GeneratedText | None:
    """The stored post for `key`, unless it now repeats a recent post (then ask again)."""
    row = GeneratedText.objects.filter(content_hash=key).first()
    if row is None or _duplicate_problem(row.text, recent_texts):
        return None
    return row


def _store(key: str, language: str, post: GeneratedPost) -> GeneratedPost:
    fields = {
        "language": language,
        "mode": post.mode,
        "text": post.text,
        "weighted_length": post.weighted_length,
        "model": post.model,
        "prompt_version": post.prompt_version,
        "prompt_tokens": post.prompt_tokens,
        "output_tokens": post.output_tokens,
        "fallback_reason": post.fallback_reason,
        "created": post.created,
    }
    row, _ = GeneratedText.objects.update_or_create(content_hash=key, defaults=fields)
    return replace(post, created=row.created)


def _from_row(row: GeneratedText) -> GeneratedPost:
    return GeneratedPost(
        text=row.text,
        weighted_length=row.weighted_length,
        mode=row.mode,
        created=row.created,
        model=row.model,
        prompt_version=row.prompt_version,
        prompt_tokens=row.prompt_tokens,
        output_tokens=row.output_tokens,
        fallback_reason=row.fallback_reason,
        cached=True,
    )


# --- outages -------------------------------------------------------------------------


def gemini_outage() -> str:
    """Why Gemini is being skipped ("" when it is not): the failure that started the
    current cool-down."""
    return cache.get(OUTAGE_CACHE_KEY, "")


def gemini_outage_clear() -> None:
    """End the cool-down now (an operator fixed the key, or a test starts clean)."""
    cache.delete(OUTAGE_CACHE_KEY)


def gemini_status_record_failure(error: GeminiError) -> None:
    """A call failed: an outage begins (or goes on) as of now."""
    now = timezone.now()
    with transaction.atomic():
        status, _ = GeminiStatus.objects.select_for_update().get_or_create(pk=1)
        status.outage_since = status.outage_since or now
        status.failures += 1
        status.last_error = f"{error.kind}: {error}"[:2000]
        status.last_error_at = now
        status.save()


def gemini_status_record_success() -> None:
    """A call was answered: any outage is over."""
    now = timezone.now()
    fields = {"outage_since": None, "failures": 0, "last_success_at": now}
    if not GeminiStatus.objects.filter(pk=1).update(**fields):
        GeminiStatus.objects.get_or_create(pk=1, defaults=fields)


def _outage_start(error: GeminiError) -> None:
    gemini_status_record_failure(error)
    cooldown = settings.GEMINI_OUTAGE_COOLDOWN_SECONDS
    reason = f"{error.kind}: {error}"
    cache.set(OUTAGE_CACHE_KEY, reason, timeout=cooldown)
    # One line per outage and process, not one per post: the cool-down skips the rest.
    logger.error(
        "Gemini outage (%s); posts are composed directly for %s s",
        reason,
        cooldown,
        extra={"gemini_outage": error.kind},
    )
