"""The prompts that ask Gemini for one post, per language (en, cn, ja).

The instructions are in English for every language (one text to review and to detect
when a model echoes it back), with the language instruction also given in the language
itself. The metadata follows as "Label: value" lines, one line each, so a value cannot
start a line of its own and pass for an instruction. PROMPT_VERSION is part of the
generator's cache key: change it whenever a change here should produce new posts.
Pure functions: no Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PROMPT_VERSION = "2026-11-28.1"
# The metadata labels, in prompt order (publishing.gemini_emulator reads them back).
LABELS = ("Title", "Description", "Summary", "Keywords", "Hashtags")
HEADINGS = ("Rules:", "Video metadata:")
INTRO = "You write one post for X (formerly Twitter) that announces a new video."
RETRY_NOTE = (
    "Your previous answer was rejected: {problem}. Write the post again, following every rule."
)


@dataclass(frozen=True, slots=True)
class LanguageRules:
    name: str
    instruction: str  # in the language itself: models follow it more reliably
    style: str


LANGUAGES: dict[str, LanguageRules] = {
    "en": LanguageRules(
        "English",
        "Write the post in English.",
        "Plain, friendly English; no clickbait, no ALL CAPS.",
    ),
    "cn": LanguageRules(
        "Simplified Chinese",
        "请用简体中文撰写这条帖子。",
        "Natural Simplified Chinese with full-width punctuation (，。！？：).",
    ),
    "ja": LanguageRules(
        "Japanese",
        "この投稿は日本語で書いてください。",
        "Natural Japanese (です/ます) with full-width punctuation (、。！？).",
    ),
}


def instructions(*, language: str, limit: int) -> tuple[str, ...]:
    """The rule lines of the prompt, without their "- " bullets."""
    rules = LANGUAGES[language]
    return (
        f"Write in {rules.name} ({language}). {rules.instruction}",
        rules.style,
        f"The post must be at most {limit} weighted characters. X counts each Chinese, "
        "Japanese or Korean character and each emoji as 2, each URL as 23, and other "
        "characters as 1.",
        'Reply with the post only: no preamble such as "Here is" or "Sure", no label such '
        'as "Tweet:", no quotation marks around it, no markdown, no notes.',
        "Base the post on the title and description; the summary and keywords are "
        "background. Do not invent facts, links or numbers.",
        "Put the hashtags at the end, on the last line, separated by spaces. Use only "
        "hashtags from the list below and drop some if the post would be too long. A "
        "hashtag is # followed by letters, digits or underscores, with no spaces.",
        "Keep the language of the metadata: do not translate the title or the hashtags.",
    )


def prompt_for(*, meta: Mapping[str, object], language: str, limit: int) -> str:
    """The prompt for one language's metadata; KeyError for a language without rules."""
    rules = "\n".join(f"- {line}" for line in instructions(language=language, limit=limit))
    return f"{INTRO}\n\n{HEADINGS[0]}\n{rules}\n\n{HEADINGS[1]}\n{_metadata_lines(meta)}\n"


def retry_prompt(prompt: str, problem: str) -> str:
    """The prompt again, telling the model why its last answer was refused."""
    return f"{prompt}\n{RETRY_NOTE.format(problem=problem)}\n" if problem else prompt


def _metadata_lines(meta: Mapping[str, object]) -> str:
    values = {
        "Title": _one_line(meta.get("title")),
        "Description": _one_line(meta.get("description")),
        "Summary": _one_line(meta.get("summary")),
        "Keywords": ", ".join(_words(meta.get("keywords"), split=",")),
        "Hashtags": " ".join(_hashtag(tag) for tag in _words(meta.get("hashtags"))),
    }
    return "\n".join(f"{label}: {values[label]}" for label in LABELS if values[label])


def _hashtag(tag: str) -> str:
    """ "#Sci Fi" and "Sci Fi" become "#SciFi": a model copies what it is shown."""
    return "#" + "".join(tag.lstrip("#＃").split())


def _one_line(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _words(value: object, split: str | None = None) -> list[str]:
    """A list of text, or one string of items ("#a #b", "a, b")."""
    items: Iterable[object] = value.split(split) if isinstance(value, str) else value or ()
    if not isinstance(items, Iterable):
        return []
    return [word for item in items if (word := _one_line(item).strip(", "))]
