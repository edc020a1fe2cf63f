"""Direct mode: one post composed from one language's metadata, fitted to X's limit.

Layout (blocks without content are left out, with their blank line)::

    🎥 New Video: <title>

    <description>

    #Tag #Tag

When the post is too long, hashtags go first (from the end), then the description is
shortened (ideally at a sentence end, otherwise at a word with "…"), then dropped. The
title is never cut: a post whose title does not fit is refused with `ComposeError`.
Plain posts (metadata with a `text` key) are never cut either. docs/composing.md has the
rules with examples. Lengths are X's weighted lengths (`publishing.textcount`). Pure
functions: no Django here.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from publishing.textcount import (
    DEFAULT_LIMIT,
    PrefixWeights,
    extend_class,
    is_grapheme_boundary,
    normalize,
    weighted_length,
    wide_class,
)

PREFIXES: dict[str, str] = {
    "en": "🎥 New Video: ",
    "cn": "🎥 新视频：",
    "ja": "🎥 新しい動画：",
}
_PREFIX_WEIGHTS = {prefix: weighted_length(prefix) for prefix in PREFIXES.values()}
ELLIPSIS = "…"
_ELLIPSIS_WEIGHT = weighted_length(ELLIPSIS)  # 2: U+2026 is outside X's light ranges
_BLOCK_SEPARATOR = "\n\n"
_SEPARATOR_WEIGHT = weighted_length(_BLOCK_SEPARATOR)
# A broken composition is retried with a tighter budget; see _compose_video.
_MAX_ATTEMPTS = 4

# Characters X rejects in a post (twitter_text's invalid_chars): byte-order marks and
# non-characters that files bring along. They are invisible, so they are removed.
_INVALID = re.compile("[\ufeff\ufffe\uffff]")
# Besides letters, digits and marks, X's hashtags may contain these (twitter-text's
# hashtag special characters: the katakana middle dot of Japanese tags among them).
_HASHTAG_EXTRA = (
    "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e"  # underscore, joiners, ...
    "\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"  # ... and middle dots
)
_BLANK_LINES = re.compile(r"\n{3,}")
_SIMPLE_HASHTAG_BODY = re.compile(r"\w+")
_PLAIN_ASCII_HASHTAG = re.compile(r"#?\w*[a-z]\w*", re.ASCII | re.IGNORECASE)
# Closing marks that may follow a sentence's final punctuation.
_CLOSERS = "\"')\\]”’」』】》）"
_CJK_TERMINATORS = "。！？．"
_TERMINATORS = ".!?…‼⁉" + _CJK_TERMINATORS
# A description cut at a word keeps at least this much, or it is dropped: "A…" says nothing.
_MIN_CUT_WEIGHT = 20
# Left at the end of a cut description, these would dangle before the "…".
_DANGLING = " \n,;:、，；：-–—([{（「『【《“‘"


class ComposeError(ValueError):
    """No reasonable post fits; the message says why, for the person who wrote the metadata."""


@dataclass(frozen=True, slots=True)
class ComposedPost:
    """A post that X accepts: `weighted_length` is X's count of `text`, at most the limit.

    `dropped_hashtags` lists, in order, the hashtags left out for room; `shortened` says
    the description was cut or, with `description_dropped`, left out.
    """

    text: str
    weighted_length: int
    dropped_hashtags: tuple[str, ...] = ()
    shortened: bool = False
    description_dropped: bool = False


def compose_post(
    meta: Mapping[str, object], language: str, *, limit: int = DEFAULT_LIMIT
) -> ComposedPost:
    """The post for one language's metadata, at most `limit` weighted characters.

    `meta` has `title`, `description`, `hashtags` (`keywords` and `summary` are not
    shown), or a single `text` for a plain post. Raises `ComposeError` when the
    metadata is empty, the title does not fit, or a plain text is over the limit.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    prefix = _prefix(language)
    if "text" in meta:
        return _compose_plain(_text(meta, "text"), limit)
    return _compose_video(_Parts.from_meta(meta, prefix, language), limit)


def _prefix(language: str) -> str:
    try:
        return PREFIXES[language]
    except KeyError:
        expected = ", ".join(PREFIXES)
        raise ComposeError(f"unknown language {language!r}: expected one of {expected}") from None


def _compose_plain(text: str, limit: int) -> ComposedPost:
    """A hand-written text goes out as written or not at all: it is never cut."""
    text = text.strip()
    if not text:
        raise ComposeError("text is empty")
    weight = weighted_length(text)
    if weight > limit:
        raise ComposeError(f"text is {weight} weighted characters, limit {limit}")
    return ComposedPost(text=text, weighted_length=weight)


# --- cleaning the metadata -----------------------------------------------------------


def _text(meta: Mapping[str, object], key: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ComposeError(f"{key} must be text, not {type(value).__name__}")
    return _INVALID.sub("", value)


def _one_line(text: str) -> str:
    return " ".join(normalize(text).split())


def _paragraphs(text: str) -> str:
    """Spaces collapsed within lines, at most one blank line between paragraphs."""
    lines = (" ".join(line.split()) for line in normalize(text).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@functools.cache
def _hashtag_junk() -> re.Pattern[str]:
    """Characters a hashtag cannot hold (built on first use: it needs Unicode tables)."""
    return re.compile(f"[^\\w{re.escape(_HASHTAG_EXTRA)}{extend_class()}]")


@functools.cache
def _hashtag_in_text() -> re.Pattern[str]:
    return re.compile(f"[#＃@＠][\\w{re.escape(_HASHTAG_EXTRA)}{extend_class()}]+")


@functools.lru_cache(maxsize=4096)  # a project uses the same few tags over and over
def _hashtag(raw: str) -> tuple[str, int] | None:
    """The hashtag written as `raw` ("#Tag", "Tag", "＃Tag", "#Sci Fi") and its weight.

    Characters a hashtag cannot hold (spaces, "-", "&", ...) are removed rather than
    ending the tag where X would ("#SciFi"); a tag without a letter ("#2025") is not a
    hashtag on X: None.
    """
    if _PLAIN_ASCII_HASHTAG.fullmatch(raw):  # the usual case, without Unicode work
        tag = raw if raw[0] == "#" else f"#{raw}"
        return tag, weighted_length(tag)
    body = normalize(raw).strip().lstrip("#＃")
    if not _SIMPLE_HASHTAG_BODY.fullmatch(body):
        body = _hashtag_junk().sub("", body)
    if not any(c.isalpha() for c in body):
        return None
    return f"#{body}", weighted_length(f"#{body}")


def _hashtag_items(value: object) -> Iterable[object]:
    if value is None:
        return ()
    if isinstance(value, str):  # "#a #b": one string holding several tags
        return value.split()
    if isinstance(value, Iterable):
        return value
    raise ComposeError("hashtags must be a list of text")


def _hashtags(value: object, shown: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Cleaned hashtags and their weights, without those in `shown` or earlier in the list."""
    seen = {tag[1:].casefold() for tag in _hashtag_in_text().findall(shown) if tag[0] in "#＃"}
    tags, weights = [], []
    for raw in _hashtag_items(value):
        if not isinstance(raw, str):
            raise ComposeError("hashtags must be a list of text")
        cleaned = _hashtag(raw)
        if cleaned and (key := cleaned[0][1:].casefold()) not in seen:
            seen.add(key)
            tags.append(cleaned[0])
            weights.append(cleaned[1])
    return tuple(tags), tuple(weights)


class _Parts(NamedTuple):
    """The blocks of a post, cleaned, each with its weighted length."""

    head: str
    description: str
    hashtags: tuple[str, ...]
    head_weight: int
    description_weights: PrefixWeights  # measured once: fitting and cutting both need it
    hashtag_weights: tuple[int, ...]

    @classmethod
    def from_meta(cls, meta: Mapping[str, object], prefix: str, language: str) -> _Parts:
        title = _one_line(_text(meta, "title"))
        if not title:
            raise ComposeError(f"the {language} metadata has no title")
        description = _paragraphs(_text(meta, "description"))
        hashtags, hashtag_weights = _hashtags(meta.get("hashtags"), f"{title}\n{description}")
        return cls(
            head=prefix + title,
            description=description,
            hashtags=hashtags,
            # Measured apart: after the prefix's closing space or "：", X reads the title
            # as on its own. The check of the whole post covers any exception.
            head_weight=_PREFIX_WEIGHTS[prefix] + weighted_length(title),
            description_weights=PrefixWeights(description),
            hashtag_weights=hashtag_weights,
        )


# --- fitting -------------------------------------------------------------------------


def _compose_video(parts: _Parts, limit: int) -> ComposedPost:
    """Fit by adding up the blocks' weights, then check the whole text once.

    The sum is exact unless joining or cutting changes how X reads the text (a cut that
    makes a URL of "a.삼성" glued to more text); then the budget shrinks by the excess and
    the post is fitted again: still valid, if perhaps a little shorter than would fit.
    The last resort is the title alone, whose length is checked on its own.
    """
    if parts.head_weight > limit:
        _check_title_fits(parts.head, limit)
    budget = limit
    for _ in range(_MAX_ATTEMPTS):
        draft = _fit(parts, budget)
        exact = weighted_length(draft.text)
        if exact <= limit:
            return ComposedPost(draft.text, exact, *draft[1:])
        budget -= exact - limit
    return ComposedPost(parts.head, _check_title_fits(parts.head, limit), *_title_only(parts)[1:])


def _check_title_fits(head: str, limit: int) -> int:
    """The exact weight of prefix and title; ComposeError if it is over `limit`."""
    weight = weighted_length(head)
    if weight > limit:
        raise ComposeError(
            f"the title does not fit: with the prefix it is {weight} "
            f"weighted characters, limit {limit}"
        )
    return weight


class _Draft(NamedTuple):
    """A post by the rules, before its length is checked; fields as in ComposedPost."""

    text: str
    dropped_hashtags: tuple[str, ...] = ()
    shortened: bool = False
    description_dropped: bool = False


def _title_only(parts: _Parts) -> _Draft:
    dropped = bool(parts.description)
    return _Draft(parts.head, parts.hashtags, dropped, dropped)


def _fit(parts: _Parts, budget: int) -> _Draft:
    """The post by the rules, counting its length as the sum of its blocks' lengths."""
    body = parts.head_weight
    if parts.description:
        body += _SEPARATOR_WEIGHT + parts.description_weights.total
    if body > budget:
        return _with_short_description(parts, budget)
    kept = _hashtags_that_fit(parts.hashtag_weights, budget - body)
    tags = " ".join(parts.hashtags[:kept])
    return _Draft(_join(parts.head, parts.description, tags), parts.hashtags[kept:])


def _hashtags_that_fit(weights: tuple[int, ...], room: int) -> int:
    """How many hashtags, from the first, fit in `room` (with their separators)."""
    used = _SEPARATOR_WEIGHT - 1  # "\n\n" before the first tag, " " before each next one
    for count, weight in enumerate(weights):
        used += 1 + weight
        if used > room:
            return count
    return len(weights)


def _with_short_description(parts: _Parts, budget: int) -> _Draft:
    """The description cut to fit; room it cannot use (it ends at a sentence, or nothing
    readable fits) goes back to the hashtags, from the first."""
    room = budget - parts.head_weight - _SEPARATOR_WEIGHT
    description, weight = _shorten(parts.description_weights, room)
    left = room - weight if description else budget - parts.head_weight
    kept = _hashtags_that_fit(parts.hashtag_weights, left)
    tags = " ".join(parts.hashtags[:kept])
    return _Draft(
        _join(parts.head, description, tags), parts.hashtags[kept:], True, not description
    )


def _join(*blocks: str) -> str:
    return _BLOCK_SEPARATOR.join(block for block in blocks if block)


# --- shortening a description --------------------------------------------------------


def _shorten(weights: PrefixWeights, room: int) -> tuple[str, int]:
    """The longest readable start of a text within `room`, and its weight; ("", 0) if none.

    A cut at a sentence end needs no "…" and wins if it keeps at least half of what the
    best cut at a word would keep (so one short first sentence does not eat the rest).
    """
    if room <= 0:
        return "", 0
    cuts, text = _Cuts(weights), weights.text
    sentence = cuts.last_sentence_end(room)
    word = cuts.last_word_end(room - _ELLIPSIS_WEIGHT)
    if word and cuts.weight(word) < _MIN_CUT_WEIGHT:
        word = 0
    if sentence and (not word or 2 * cuts.weight(sentence) >= cuts.weight(word)):
        return text[:sentence], cuts.weight(sentence)
    if word:
        return text[:word] + ELLIPSIS, cuts.weight(word) + _ELLIPSIS_WEIGHT
    return "", 0


class _Cuts:
    """Where a cleaned description (single spaces, newlines) may be cut.

    A cut never falls inside a grapheme cluster, URL, emoji, hashtag or mention. A word
    ends before a space or newline; in CJK text every character is a word of its own.
    Only the last cut that fits matters, so the search starts at the last position that
    fits (a bisection over prefix weights) and walks back: no list of every cut.
    """

    def __init__(self, weights: PrefixWeights) -> None:
        self.text = text = weights.text
        self._weights = weights
        self._ascii = text.isascii()
        tags = [m.span() for m in _hashtag_in_text().finditer(text)]
        self._tag_starts, self._tag_ends = [s for s, _ in tags], [e for _, e in tags]

    def weight(self, pos: int) -> int:
        """Weighted length of text[:pos]."""
        return self._weights.at(pos)

    def last_sentence_end(self, room: int) -> int:
        """The end of the last whole sentence that fits in `room`; 0 if none."""
        end = self._weights.longest_fitting(room)
        pos = end + 1
        while (pos := _rfind_any(self.text, _TERMINATORS, pos)) > 0:
            cut = pos + 1
            while cut < len(self.text) and self.text[cut] in _CLOSERS:
                cut += 1
            if cut <= end and self._ends_sentence(pos, cut) and self._can_cut(cut):
                return cut
        return 0

    def _ends_sentence(self, terminator: int, cut: int) -> bool:
        # "3.14" and "e.g." are no sentence ends; "。" needs no space after it.
        if self.text[terminator] in _CJK_TERMINATORS:
            return True
        return cut == len(self.text) or self.text[cut] in " \n"

    def last_word_end(self, room: int) -> int:
        """The end of the last word that fits in `room` once dangling marks are removed."""
        end = self._weights.longest_fitting(room)
        # From the first word end at or after `end`: without its "," it may still fit.
        pos = next(self._word_ends(range(max(end, 1), len(self.text))), len(self.text))
        while pos > 0:
            cut = self._without_dangling(pos)
            if 0 < cut <= end and self._can_cut(cut):
                return cut
            pos = next(self._word_ends(range(pos - 1, 0, -1)), 0)
        return 0

    def _word_ends(self, positions: range) -> Iterator[int]:
        return (pos for pos in positions if self._is_word_end(pos))

    def _is_word_end(self, pos: int) -> bool:
        text = self.text
        if text[pos] in " \n":
            return text[pos - 1] not in " \n"
        return not self._ascii and bool(_wide().match(text, pos - 1) or _wide().match(text, pos))

    def _without_dangling(self, pos: int) -> int:
        while pos and self.text[pos - 1] in _DANGLING:
            pos -= 1
        return pos

    def _can_cut(self, pos: int) -> bool:
        if not self._ascii and not is_grapheme_boundary(self.text, pos):
            return False
        tag = bisect_right(self._tag_starts, pos) - 1
        if tag >= 0 and self._tag_starts[tag] < pos < self._tag_ends[tag]:
            return False
        return not self._weights.inside_entity(pos)


def _rfind_any(text: str, chars: str, end: int) -> int:
    """The last index before `end` holding one of `chars`; -1 if none."""
    return max(text.rfind(char, 0, end) for char in chars)


@functools.cache
def _wide() -> re.Pattern[str]:
    """One wide (CJK) character."""
    return re.compile(f"[{wide_class()}]")
