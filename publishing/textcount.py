"""X's weighted character count, exactly as twitter-text-parser 3.0.0 counts it, but fast.

`twitter_text.parse_tweet` walks the text one character at a time and tries its emoji
regex (about 2,500 alternatives) at every position, so a 300-character post takes
milliseconds. This module reaches the same count, looking only where it matters:

- plain characters: the length, plus one for each character in runs of weight-2
  characters (found by one regex, at C speed);
- URLs: twitter_text's own extractor, but only on the space-delimited chunks that hold
  "." and a top-level domain (every URL it finds has both; its regex is slow even on
  a few words, and quadratic on long runs of CJK text);
- emoji: twitter_text's own regex, but only at the positions where one can start; the
  answer there depends on a few characters, so it is cached.

Everything that decides a count comes from twitter_text itself (weights, top-level
domains, URL extractor, emoji regex), so an upgrade of the library moves both sides
together; the tests compare the two on thousands of texts. Also here: prefix weights
for cutting a text (`PrefixWeights`) and grapheme clusters (`graphemes`). Pure
functions: no Django here.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import Literal, NamedTuple

from twitter_text.config import config as _tt_config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.regexp import emoji as _tt_emoji
from twitter_text.regexp.invalid_chars import invalid_chars as _INVALID_CHARS
from twitter_text.regexp.invalid_domain_chars import invalid_domain_chars
from twitter_text.regexp.spaces_group import spaces_group
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld

_OPTIONS = _tt_config["defaults"]
_SCALE = _OPTIONS["scale"]

DEFAULT_LIMIT: int = _OPTIONS["max_weighted_tweet_length"]
URL_WEIGHT: int = _OPTIONS["transformed_url_length"]
EMOJI_WEIGHT: int = _OPTIONS["default_weight"] // _SCALE
DEFAULT_WEIGHT: int = _OPTIONS["default_weight"] // _SCALE

# twitter_text stores weights scaled by 100; every weight it ships is a whole multiple.
assert all(r["weight"] % _SCALE == 0 for r in _OPTIONS["ranges"])
_RANGES = tuple((r["start"], r["end"], r["weight"] // _SCALE) for r in _OPTIONS["ranges"])

EntityKind = Literal["url", "emoji"]


class Entity(NamedTuple):
    """A URL or emoji that X counts as one unit: text[start:end] of the normalized text."""

    start: int
    end: int
    kind: EntityKind
    weight: int


# --- normalisation and plain characters ---------------------------------------------

_LINE_ENDINGS = re.compile(r"\r\n|\r")


def normalize(text: str) -> str:
    """The text X measures: NFC, with every line ending turned into "\\n"."""
    text = unicodedata.normalize("NFC", text)
    return _LINE_ENDINGS.sub("\n", text) if "\r" in text else text


def char_weight(char: str) -> int:
    """Weight of one code point by X's ranges (1 for Latin and friends, 2 otherwise).

    This is the weight outside URLs and emoji; `weighted_length` applies those rules.
    """
    code = ord(char)
    for start, end, weight in _RANGES:
        if start <= code <= end:
            return weight
    return DEFAULT_WEIGHT


def _range_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


# X's config has two weights: its ranges (Latin, punctuation...) weigh 1, the rest 2.
# The fast paths rely on it, so an upgrade that brings a third weight fails here.
LIGHT_WEIGHT: int = _RANGES[0][2]
assert {weight for *_, weight in _RANGES} == {LIGHT_WEIGHT} != {DEFAULT_WEIGHT}
assert all(char_weight(chr(c)) == LIGHT_WEIGHT for c in range(128))
_LIGHT = _range_class([(start, end) for start, end, _ in _RANGES])
# "[c][c]*", not "[c]+": only the first form gets sre's fast scan for a first character.
_HEAVY_RUN = re.compile(f"[^{_LIGHT}][^{_LIGHT}]*")
_EXTRA = DEFAULT_WEIGHT - LIGHT_WEIGHT


def _plain_weight(text: str) -> int:
    """Sum of `char_weight` over `text`, ignoring URL and emoji rules."""
    if text.isascii():
        return len(text) * LIGHT_WEIGHT
    return len(text) * LIGHT_WEIGHT + len("".join(_HEAVY_RUN.findall(text))) * _EXTRA


# --- URLs -------------------------------------------------------------------------


def _tlds() -> list[str]:
    """The top-level domains of twitter_text's URL regex."""
    tlds = []
    for pattern in (valid_gtld.pattern, valid_cctld.pattern):
        tlds += pattern[pattern.index("(?:(?:") + 6 : pattern.index(")(?=")].split("|")
    return tlds


_TLDS = _tlds()
_ASCII_TLDS = frozenset(tld.lower() for tld in _TLDS if tld.isascii())
_TLD_MAX_LEN = max(map(len, _TLDS))
# After a TLD, twitter_text's regex requires a character outside these (or the end).
_TLD_CONTINUES = frozenset("0123456789abcdefghijklmnopqrstuvwxyz@+-")
# Every URL twitter_text finds has a domain ending in "." + TLD ("xn--..." included). Its
# regex is IGNORECASE, so this one is too: it folds the same characters (Kelvin sign...).
_first_chars = re.escape("".join(sorted({tld[0] for tld in _TLDS} | {"x"})))
_MAYBE_URL = re.compile(f"\\.[{_first_chars}]", re.IGNORECASE)


def _may_start_tld(text: str, pos: int) -> bool:
    """Whether one of twitter_text's TLDs may match at `pos`; never False when one does.

    Exact for ASCII. Anything else answers True and is left to the extractor itself, since
    IGNORECASE lets a few non-ASCII letters match ASCII ones. The full regex takes ~0.1 ms
    even on a few words, so "e.g." or "Node.js" should not reach it.
    """
    window = text[pos : pos + _TLD_MAX_LEN + 1]
    if not window.isascii() or window[:4].lower() == "xn--":
        return True
    window = window.lower()
    return any(
        window[:n] in _ASCII_TLDS and (n == len(window) or window[n] not in _TLD_CONTINUES)
        for n in range(1, len(window) + 1)
    )


# twitter_text's URL regex never matches these inside a URL (domains exclude them, paths
# and queries are narrower sets), and its only look-arounds are at the ends of a TLD.
_URL_BREAK = re.compile(f"[{spaces_group}]")
# Nor are these ever inside a domain (its punctuation is "-", "_" and "." only)...
_DOMAIN_BREAK = re.compile(f"(?![-_.])[{invalid_domain_chars.pattern}]")
_PROTOCOL_MAX_LEN = len("https://")
# ... and past its TLD a URL goes on with port, path and query characters only: ASCII,
# Latin accents, Cyrillic and "–" (this class holds more, which is safe).
_URL_TAIL = re.compile("[!-~\u00a1-\u04ff\u1e00-\u1eff\u2013]*")
_url_cache: dict[str, tuple[tuple[int, int], ...]] = {}


def _url_starts(text: str) -> dict[int, int]:
    """{start: length} of URLs, built like parse_tweet's map (a later one wins a start).

    Every URL holds a "." and a top-level domain. The extractor only sees the chunks
    between spaces that hold one, since a URL never spans a space: the answer is the same
    as for the whole text, and a chunk measured before (the same description in a longer
    post) comes from a cache.
    """
    dots = [m.start() for m in _MAYBE_URL.finditer(text) if _may_start_tld(text, m.end() - 1)]
    found: dict[int, int] = {}
    first = 0
    while first < len(dots):
        start, end = _chunk_around(text, dots[first])
        last = bisect_right(dots, end) - 1
        left, right = _url_window(text, start, end, dots[first], dots[last])
        for url_start, length in _urls_in(text[left:right]):
            found[left + url_start] = length
        first = last + 1
    return found


def _url_window(text: str, start: int, end: int, first: int, last: int) -> tuple[int, int]:
    """The part of the chunk text[start:end] that can hold its URLs, with context.

    The extractor tries every position of a chunk, each try running on to the next
    ".", so a long run of CJK text (all valid in a domain) costs it quadratic time.
    No URL starts before the last domain break before the first dot (less a protocol
    and the character before it), nor ends after the last dot, a TLD and a tail of path
    characters (plus one character the TLD's look-ahead reads).
    """
    breaks = [m.start() for m in _DOMAIN_BREAK.finditer(text, start, first)]
    left = max(start, breaks[-1] - _PROTOCOL_MAX_LEN) if breaks else start
    tail = _URL_TAIL.match(text, min(last + 1 + _TLD_MAX_LEN, end), end)
    return max(left - 1, 0), min(tail.end() + 1, end)


def _urls_in(chunk: str) -> tuple[tuple[int, int], ...]:
    urls = _url_cache.get(chunk)
    if urls is None:
        found = extract_urls_with_indices(chunk)
        urls = tuple((entity["indices"][0], len(entity["url"])) for entity in found)
        if len(chunk) <= 1024:  # the cache holds 4,096 chunks, not 4,096 novels
            _remember(_url_cache, chunk, urls)
    return urls


def _remember(cache: dict[str, object], key: str, value: object) -> None:
    if len(cache) >= 4096:  # texts are unbounded; the caches must not be
        cache.clear()
    cache[key] = value


def _chunk_around(text: str, pos: int) -> tuple[int, int]:
    """Bounds of the run of characters around `pos` that holds no `_URL_BREAK`."""
    start = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos)) + 1
    while other := _URL_BREAK.search(text, start, pos):  # rare breaks (tabs, U+3000...)
        start = other.end()
    after = _URL_BREAK.search(text, pos)
    return start, after.start() if after else len(text)


# --- emoji ------------------------------------------------------------------------

_EMOJI = _tt_emoji.emoji
_EMOJI_SEQUENCES = [
    alternative.encode("ascii").decode("unicode_escape")
    for alternative in _tt_emoji.multi_codepoint_emoji_joined.split("|")
]
# No alternative is longer than this, so a match depends on this many characters only.
_EMOJI_MAX_LEN = max(map(len, _EMOJI_SEQUENCES))
_SINGLE_EMOJI = {
    chr(code)
    for low, high in _tt_emoji.single_codepoint_emoji_ranges
    for code in range(low, high + 1)
}
# Characters that can start an emoji match, and the two-character starts of keycaps
# ("#", "*", digits followed by U+FE0F or U+20E3): a lone digit must not count.
_EMOJI_FIRSTS = frozenset({s[0] for s in _EMOJI_SEQUENCES if not s[0].isascii()} | _SINGLE_EMOJI)
_EMOJI_ASCII_PAIRS = frozenset(s[:2] for s in _EMOJI_SEQUENCES if s[0].isascii())
_KEYCAP_SECONDS = frozenset(pair[1] for pair in _EMOJI_ASCII_PAIRS)
assert not any(c.isascii() for c in _SINGLE_EMOJI | _KEYCAP_SECONDS)
# A small class that sre scans fast (a big one with astral ranges is 100 times slower):
# the BMP characters that start an emoji or end a keycap start, and any astral character.
_bmp_firsts = sorted(c for c in _EMOJI_FIRSTS | _KEYCAP_SECONDS if ord(c) < 0x10000)
_MAYBE_EMOJI = re.compile(f"[{re.escape(''.join(_bmp_firsts))}\U00010000-\U0010ffff]")


def _emoji_candidates(text: str) -> Iterator[int]:
    """Every position where twitter_text's emoji regex could match, in order."""
    for match in _MAYBE_EMOJI.finditer(text):
        pos = match.start()
        char = text[pos]
        if char in _KEYCAP_SECONDS and text[pos - 1 : pos + 1] in _EMOJI_ASCII_PAIRS:
            yield pos - 1
        if char in _EMOJI_FIRSTS:
            yield pos


_emoji_cache: dict[str, int] = {}


def _emoji_length_at(text: str, pos: int) -> int:
    """Length of twitter_text's emoji match at `pos` (0 if none), from a small cache."""
    window = text[pos : pos + _EMOJI_MAX_LEN]
    length = _emoji_cache.get(window)
    if length is None:
        match = _EMOJI.match(window)
        length = match.end() if match else 0
        _remember(_emoji_cache, window, length)
    return length


def _emoji_starts(text: str) -> dict[int, int]:
    """{start: length} of emoji, as `emoji.finditer(text)` would find them."""
    if text.isascii():
        return {}
    found: dict[int, int] = {}
    end = 0
    for pos in _emoji_candidates(text):
        if pos >= end and (length := _emoji_length_at(text, pos)):
            found[pos] = length
            end = pos + length
    return found


# --- the walk ---------------------------------------------------------------------


def _walk(text: str) -> list[Entity]:
    """The URLs and emoji of a normalized text that parse_tweet counts as units.

    As in its loop: at one position a URL wins over an emoji, and whatever starts inside
    a unit already counted is skipped.
    """
    urls, emojis = _url_starts(text), _emoji_starts(text)
    entities: list[Entity] = []
    pos = 0
    for start in sorted(urls.keys() | emojis.keys()):
        if start < pos:
            continue
        if start in urls:
            entity = Entity(start, start + urls[start], "url", URL_WEIGHT)
        else:
            entity = Entity(start, start + emojis[start], "emoji", EMOJI_WEIGHT)
        entities.append(entity)
        pos = entity.end
    return entities


def entities(text: str) -> list[Entity]:
    """URLs and emoji as X counts them, with offsets into `normalize(text)`."""
    return _walk(normalize(text))


def _weighted_length_normalized(text: str) -> int:
    if text.isascii() and "." not in text:  # no emoji, and no URL without a "."
        return len(text) * LIGHT_WEIGHT
    total = _plain_weight(text)
    for e in _walk(text):
        total += e.weight - _plain_weight(text[e.start : e.end])
    return total


def weighted_length(text: str) -> int:
    """X's weighted length; equals `twitter_text.parse_tweet(text).weightedLength`."""
    return _weighted_length_normalized(normalize(text))


def is_valid(text: str, limit: int = DEFAULT_LIMIT) -> bool:
    """Whether X accepts `text` as a post for an account whose limit is `limit`.

    Same answer as parse_tweet's `valid` with `max_weighted_tweet_length=limit`.
    """
    normalized = normalize(text)
    if _INVALID_CHARS.search(normalized):
        return False
    return 0 < _weighted_length_normalized(normalized) <= limit


# --- prefixes ---------------------------------------------------------------------


class PrefixWeights:
    """Weighted length of every prefix of one text, for trimming without re-parsing.

    Built once in O(n); `at(pos)` is then O(log n). Offsets refer to `self.text`, the
    normalized text. `at(pos)` is the sum of X's units before `pos`: it equals
    `weighted_length(text[:pos])` whenever cutting at `pos` leaves URLs and emoji whole
    (not `inside_entity`), which is what trimming needs. A cut can still change how X reads
    the rest (rarely: a URL's ending), so callers check the final text once.
    """

    __slots__ = ("_cumulative", "_ends", "_runs", "_starts", "text", "total")

    def __init__(self, text: str) -> None:
        self.text = normalize(text)
        found = _walk(self.text)
        self._starts = [e.start for e in found]
        self._ends = [e.end for e in found]
        corrections = (e.weight - _plain_weight(self.text[e.start : e.end]) for e in found)
        self._cumulative = list(accumulate(corrections, initial=0))
        self.total: int = _plain_weight(self.text) + self._cumulative[-1]
        self._runs: tuple[list[int], list[int], list[int]] | None = None

    def _heavy_runs(self) -> tuple[list[int], list[int], list[int]]:
        """Starts and ends of the runs of weight-2 characters, and how many such characters
        come before each run. Built on first use: only cutting needs them."""
        if self._runs is None:
            found = () if self.text.isascii() else _HEAVY_RUN.finditer(self.text)
            spans = [m.span() for m in found]
            before = list(accumulate((end - start for start, end in spans), initial=0))
            self._runs = ([start for start, _ in spans], [end for _, end in spans], before)
        return self._runs

    def _plain(self, pos: int) -> int:
        """`_plain_weight(text[:pos])` without slicing."""
        starts, ends, before = self._heavy_runs()
        run = bisect_right(starts, pos) - 1
        if run < 0:
            return pos * LIGHT_WEIGHT
        return pos * LIGHT_WEIGHT + (before[run] + min(pos, ends[run]) - starts[run]) * _EXTRA

    def at(self, pos: int) -> int:
        """Weighted length of text[:pos]; inside a URL or emoji, that of the text before it.

        So `at` never decreases with `pos`, and positions can be bisected by weight.
        """
        done = bisect_right(self._ends, pos)  # entities that end at or before pos
        if done < len(self._starts) and self._starts[done] < pos:
            pos = self._starts[done]
        return self._plain(pos) + self._cumulative[done]

    def longest_fitting(self, room: int) -> int:
        """The largest `pos` with `at(pos) <= room` (0 when nothing fits)."""
        if not self._heavy_runs()[0] and not self._starts:  # 1 per character
            return max(0, min(room // LIGHT_WEIGHT, len(self.text)))
        return max(0, bisect_right(range(len(self.text) + 1), room, key=self.at) - 1)

    def inside_entity(self, pos: int) -> bool:
        """Whether `pos` falls strictly inside a URL or emoji."""
        i = bisect_right(self._starts, pos) - 1
        return i >= 0 and self._starts[i] < pos < self._ends[i]


# --- grapheme clusters --------------------------------------------------------------


def _ranges_of(codes: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


# Code points that extend the cluster before them but that unicodedata's categories do
# not mark as such: ZWNJ/ZWJ, tag characters (subdivision flags), emoji skin tones and
# the halfwidth katakana sound marks.
_EXTRA_EXTEND = {0x200C, 0x200D, 0xFF9E, 0xFF9F, *range(0xE0020, 0xE0080), *range(0x1F3FB, 0x1F400)}
# Planes 0 and 1 plus the tag/variation-selector block hold every mark and control;
# planes 2 and 3 hold CJK ideographs only, all wide.
_SCANNED = (*range(0x20000), *range(0xE0000, 0xE1000))
_IDEOGRAPHIC_PLANES = range(0x20000, 0x40000)


@functools.cache
def _classes() -> dict[str, str]:
    """Regex classes of extending marks, controls and wide characters (built once)."""
    extend, control, wide = [], [], []
    for code in _SCANNED:
        char = chr(code)
        category = unicodedata.category(char)
        if category[0] == "M" or code in _EXTRA_EXTEND:
            extend.append(code)
        elif category in ("Cc", "Zl", "Zp", "Cf"):
            control.append(code)
        elif unicodedata.east_asian_width(char) in "WF":
            wide.append(code)
    wide.extend(_IDEOGRAPHIC_PLANES)
    return {
        "extend": _range_class(_ranges_of(extend)),
        "control": _range_class(_ranges_of(control)),
        "wide": _range_class(_ranges_of(wide)),
    }


# Hangul: leading consonants (L), a syllable or vowels (S, V), trailing consonants (T).
_L = "\u1100-\u115f\ua960-\ua97c"
_V = "\u1160-\u11a7\ud7b0-\ud7c6"
_T = "\u11a8-\u11ff\ud7cb-\ud7fb"
_SV = f"[\uac00-\ud7a3{_V}][{_V}]*"
_HANGUL = f"[{_L}]+(?:{_SV}[{_T}]*)?|{_SV}[{_T}]*|[{_T}]+"
_RI = "\U0001f1e6-\U0001f1ff"  # regional indicators: two make a flag
_FLAG = f"[{_RI}]{{2}}"


@functools.cache
def _cluster_pattern() -> re.Pattern[str]:
    """Extended grapheme clusters, close enough to UAX #29 for cutting text.

    Covers CR LF, controls, combining and spacing marks, variation selectors, emoji
    modifiers, ZWJ sequences, flag pairs, tag sequences and Hangul syllables. It may join
    more than Unicode would (after a ZWJ it takes any visible character), never less, so
    a cut between two clusters never splits one. Not covered: Prepend characters.
    """
    c = _classes()
    base = f"{_FLAG}|{_HANGUL}|[^{c['control']}]"
    tail = f"(?:\u200d[^\\s{c['control']}]|[{c['extend']}])*"
    return re.compile(f"\r\n|[{c['control']}]|(?:{base}){tail}", re.DOTALL)


def graphemes(text: str) -> list[str]:
    """Split `text` into user-perceived characters (extended grapheme clusters)."""
    return _cluster_pattern().findall(text)


@functools.cache
def _joins() -> dict[str, re.Pattern[str]]:
    """Two-character patterns, matched at pos - 1, that hold a cluster together over pos."""
    c = _classes()
    pairs = (
        f"\r\n|\u200d[^\\s{c['control']}]",  # CR LF; after a ZWJ (see _cluster_pattern)
        f"[{_L}][{_L}{_V}\uac00-\ud7a3]|[{_V}\uac00-\ud7a3][{_V}{_T}]|[{_T}][{_T}]",  # Hangul
    )
    return {
        "extend": re.compile(f"[{c['extend']}]"),
        "pair": re.compile("|".join(pairs)),
        "ri": re.compile(f"[{_RI}]+"),
    }


def is_grapheme_boundary(text: str, pos: int) -> bool:
    """Whether `pos` falls between two clusters of `graphemes(text)`, looking nearby only.

    Cautious: where unsure (a mark after a newline) it answers False, never True
    inside a cluster.
    """
    if pos <= 0 or pos >= len(text):
        return True
    if text[pos - 1].isascii() and text[pos].isascii():
        return text[pos - 1 : pos + 1] != "\r\n"
    joins = _joins()
    if joins["extend"].match(text, pos) or joins["pair"].match(text, pos - 1):
        return False
    return not _inside_flag_pair(text, pos, joins["ri"])


def _inside_flag_pair(text: str, pos: int, ri: re.Pattern[str]) -> bool:
    """Regional indicators pair up from the start of their run: 🇯🇵|🇺🇸."""
    if not (ri.match(text, pos - 1) and ri.match(text, pos)):
        return False
    start = pos - 1
    while start > 0 and ri.match(text, start - 1):
        start -= 1
    if start and text[start - 1] == "\u200d":
        return True  # a ZWJ took the run's first indicator: pairs are shifted, say no cut
    return (pos - start) % 2 == 1


def wide_class() -> str:
    """A regex class body (no brackets) of East Asian wide/fullwidth base characters."""
    return _classes()["wide"]


def extend_class() -> str:
    """A regex class body (no brackets) of characters that extend a cluster."""
    return _classes()["extend"]
