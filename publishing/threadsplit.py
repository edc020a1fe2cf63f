"""Splitting a text into the numbered posts of a thread, counting like X.

At sentence ends (". ! ? …" followed by a space, "。！？", line breaks), then at
clauses, then at spaces, and only then between grapheme clusters (Chinese and
Japanese without punctuation); each part ends with " i/n", and X's weighted length of
the whole part, numbering included, stays within the limit. Pure functions: no Django
here (publishing.services.threads sends the parts). Rules: docs/composing.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from publishing.textcount import graphemes, normalize, weighted_length

# More parts than this is not a thread anyone reads: the task is refused instead.
MAX_PARTS = 25
# What a thread may weigh in all when its text is composed (the composer's limit in
# thread mode): the paid accounts' single-post limit.
MAX_TEXT_WEIGHT = 25_000

_SENTENCE_END = re.compile(
    r"[.!?…]+[\"'”’)\]]*\s+"  # English: the punctuation, closing quotes, then a space
    r"|[。！？]+[」』”’）)\]]*\s*"  # Chinese and Japanese: no space follows
    r"|\n\s*"  # a line break ends a sentence too
)
_CLAUSE_END = re.compile(r"[,;:，、；：]+\s*")
_WORD = re.compile(r"\S+\s*|\s+")


class ThreadError(ValueError):
    """A text that cannot be made into a thread; the message says why."""


def split_thread(text: str, limit: int, *, max_parts: int = MAX_PARTS) -> list[str]:
    """The posts of `text` as a thread for an account whose limit is `limit`: one post
    (unnumbered) when it fits, else numbered parts "… i/n" within the limit each."""
    text = normalize(text).strip()
    if weighted_length(text) <= limit:
        return [text]
    # A cut can change how X reads a text (a URL ending at the cut): measure the
    # finished parts, and in that rare case split again with a little less room.
    for slack in (0, 4, 24):
        parts = _numbered(text, limit - slack)
        if all(weighted_length(part) <= limit for part in parts):
            break
    if len(parts) > max_parts:
        raise ThreadError(
            f"the text would need {len(parts)} posts at {limit} characters each; a thread "
            f"has at most {max_parts}"
        )
    return parts


def _numbered(text: str, limit: int) -> list[str]:
    width = 1
    while True:
        bodies = _pack(sentences(text), limit - _numbering_weight(width))
        if len(str(len(bodies))) <= width:
            break
        width += 1  # 10 parts or more: "10/12" needs more room than "1/9"
    return [f"{body} {index}/{len(bodies)}" for index, body in enumerate(bodies, 1)]


def sentences(text: str) -> list[str]:
    """`text` cut after each sentence end, the spacing kept with the sentence before."""
    return _cut(text, _SENTENCE_END)


def _cut(text: str, pattern: re.Pattern[str]) -> list[str]:
    pieces, start = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece.strip()]


def _numbering_weight(width: int) -> int:
    # " 99/99" is the widest numbering of this many digits; all of it is weight 1.
    return 2 + 2 * width


def _pack(segments: Sequence[str], budget: int) -> list[str]:
    if budget < 20:
        raise ThreadError(f"a limit of {budget} characters leaves no room for a thread")
    bodies, current = [], ""
    for segment in segments:
        for piece in _pieces(segment, budget):
            if current and weighted_length((current + piece).strip()) > budget:
                bodies.append(current.strip())
                current = piece.lstrip()
            else:
                current += piece
    if current.strip():
        bodies.append(current.strip())
    return bodies


def _pieces(segment: str, budget: int) -> list[str]:
    """`segment` as pieces of at most `budget` each: itself if it fits, else cut at
    clauses, then words, then between grapheme clusters (CJK has no spaces)."""
    if weighted_length(segment.strip()) <= budget:
        return [segment]
    for pattern in (_CLAUSE_END, _WORD):
        pieces = _cut(segment, pattern)
        if len(pieces) > 1:
            return [small for piece in pieces for small in _pieces(piece, budget)]
    return _hard_cut(segment, budget)


def _hard_cut(segment: str, budget: int) -> list[str]:
    clusters = graphemes(segment)
    pieces = []
    while clusters:
        # The longest prefix within the budget, by bisection (weights only grow).
        low, high = 1, len(clusters)
        while low < high:
            middle = (low + high + 1) // 2
            if weighted_length("".join(clusters[:middle]).strip()) <= budget:
                low = middle
            else:
                high = middle - 1
        pieces.append("".join(clusters[:low]))
        clusters = clusters[low:]
    return pieces
