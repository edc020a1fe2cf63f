"""What the emulator "writes": a plausible post made from the prompt, deterministically,
and the kinds of bad answers a real model gives (scaffolding, too long).

It reads the layout publishing/prompts.py writes: "Label: value" lines for the metadata,
the language as "(en)", "(cn)" or "(ja)", and the limit as "N weighted characters". A
prompt without them still gets an answer (its first line), as Gemini would answer
anything. Lengths here are a stdlib estimate (URLs and a few emoji aside, never below
X's count) with a margin; the service measures every answer with X's exact rules anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_LIMIT = 280
# Regenerated prompts carry this note (publishing.prompts.RETRY_NOTE); a second try
# gets a different layout, as a sampled model would give a different answer.
RETRY_MARKER = "previous answer was rejected"
TOO_LONG_CHARS = 600
GARBAGE_STYLES = ("preamble", "sure", "label", "fence", "quotes", "placeholder", "instructions")

# Per language: (head, joiner) for a first answer, and for a regenerated one.
_LAYOUTS = {
    "en": (("Watch: {title}", " — "), ("Out now: {title}", ". ")),
    "cn": (("新片上线｜{title}", "："), ("现已上线：{title}", "。")),
    "ja": (("新作公開｜{title}", "："), ("公開中：{title}", "。")),
}
_LABEL = re.compile(r"^(Title|Description|Summary|Keywords|Hashtags):[ \t]*(.*)$", re.MULTILINE)
_LANGUAGE = re.compile(r"\((en|cn|ja)\)")
_LIMIT = re.compile(r"(\d+) weighted characters")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
# Room left for what the estimate cannot see (a short URL counts 23 on X).
_MARGIN = 10


@dataclass(frozen=True)
class Brief:
    """The parts of a prompt a post is made from."""

    title: str
    description: str
    summary: str
    hashtags: tuple[str, ...]
    language: str
    limit: int
    retry: bool

    @classmethod
    def from_prompt(cls, prompt: str) -> Brief:
        fields = {label.lower(): value.strip() for label, value in _LABEL.findall(prompt)}
        language = _LANGUAGE.search(prompt)
        limit = _LIMIT.search(prompt)
        first_line = prompt.strip().split("\n", 1)[0][:100]
        return cls(
            title=fields.get("title") or first_line,
            description=fields.get("description", ""),
            summary=fields.get("summary", ""),
            hashtags=tuple(_hashtags(fields.get("hashtags", ""))),
            language=language.group(1) if language else "en",
            limit=int(limit.group(1)) if limit else DEFAULT_LIMIT,
            retry=RETRY_MARKER in prompt,
        )


def _hashtags(line: str) -> list[str]:
    tags = (word.lstrip("#＃").strip(",、，") for word in line.split())
    return [f"#{tag}" for tag in tags if tag and tag.lower() != "(none)"]


def weight(text: str) -> int:
    """X's weight for plain text, rounded up: 1 below U+1100 (X's light range), else 2."""
    return sum(1 if ord(char) < 0x1100 else 2 for char in text)


def compose(brief: Brief) -> str:
    """A post in the brief's language: lead, title, a sentence, hashtags; within the limit."""
    first, second = _LAYOUTS.get(brief.language, _LAYOUTS["en"])
    (head, joiner), source = (second, brief.summary) if brief.retry else (first, "")
    head = _shorten(head.format(title=brief.title), brief.limit - _MARGIN)
    budget = brief.limit - _MARGIN - weight(head)
    tags = _fitting_tags(brief.hashtags, budget // 2)  # hashtags take at most half
    room = budget - weight(joiner) - (weight(tags) + 2 if tags else 0)
    text = _shorten(_first_sentence(source or brief.description), room)
    body = head + joiner + text if text else head
    return f"{body}\n\n{tags}" if tags else body


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]


def _fitting_tags(tags: tuple[str, ...], room: int) -> str:
    kept: list[str] = []
    for tag in tags:
        if weight(" ".join([*kept, tag])) + 2 > room:
            break
        kept.append(tag)
    return " ".join(kept)


def _shorten(text: str, room: int) -> str:
    if weight(text) <= room:
        return text
    used, end = 2, 0  # 2: the "…"
    while end < len(text) and used + weight(text[end]) <= room:
        used += weight(text[end])
        end += 1
    cut = text[:end].rstrip(" ,;:、，")
    return cut + "…" if cut else ""


def garbage(brief: Brief, prompt: str, style: str) -> str:
    """A usable post wrapped in the scaffolding models add, one `style` of GARBAGE_STYLES."""
    post = compose(brief)
    rules = "\n".join(line for line in prompt.splitlines() if line.startswith("- "))[:400]
    return {
        "preamble": f"Here is your tweet:\n\n{post}",
        "sure": f"Sure! {post}",
        "label": f"Tweet: {post}",
        "fence": f"```\n{post}\n```",
        "quotes": f'"{post}"',
        "placeholder": "🎥 {title}\n\n{description}\n\n" + " ".join(brief.hashtags),
        "instructions": f"{rules}\n\n{post}",
    }[style]


def too_long(brief: Brief) -> str:
    """Exactly TOO_LONG_CHARS characters: the post, said again and again."""
    post = compose(brief).replace("\n", " ") + " "
    return (post * (TOO_LONG_CHARS // len(post) + 1))[:TOO_LONG_CHARS]


def token_count(text: str) -> int:
    """Gemini's tokens, roughly: four Latin characters or one CJK character each."""
    light = sum(1 for char in text if ord(char) < 0x1100)
    return max(1, -(-light // 4) + len(text) - light)
