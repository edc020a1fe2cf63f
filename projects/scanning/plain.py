"""The plain layout: one text file per post (one per language), optional media with
the same stem next to it. The rules (and why) are in docs/content-layouts.md."""

import re
from dataclasses import dataclass, field

from .alt import alt_target, unmatched_alts, with_alt_files
from .base import (
    LANGUAGE_ORDER,
    MEDIA_KINDS,
    TEXT_SUFFIXES,
    FileEntry,
    ScannedItem,
    ScanResult,
    check_media,
    item,
    problem,
    split_language,
)
from .files import Tree, Unreadable, read_text

_NUMBERED = re.compile(r"(?s)(.+)\.(\d+)")


@dataclass(slots=True)
class _Text:
    entry: FileEntry
    language: str
    tag: str  # the language as written in the name, "" for the bare form


@dataclass(slots=True)
class _Post:
    texts: list[_Text] = field(default_factory=list)
    media: list[tuple[int | None, FileEntry]] = field(default_factory=list)

    @property
    def key_text(self) -> _Text:
        """The bare name if any, else the first language in LANGUAGE_ORDER; .md before .txt."""
        return min(self.texts, key=_key_rank)


def _key_rank(text: _Text) -> tuple:
    order = LANGUAGE_ORDER.index(text.tag) + 1 if text.tag else 0
    return order, text.entry.suffix != ".md", text.entry.name


def prune(rel_dir: str) -> bool:
    return rel_dir == "uploader_json"


def scan(tree: Tree, language: str) -> ScanResult:
    errors = list(tree.errors)
    posts: dict[tuple[str, str], _Post] = {}
    media = []
    alts: dict[tuple[str, str], FileEntry] = {}
    for entry in tree.files:
        if (target := alt_target(entry)) is not None:
            alts[target] = entry  # before text files: x.alt.txt is not a post
        elif entry.suffix in TEXT_SUFFIXES:
            _add_text(posts, entry, language)
        elif entry.suffix in MEDIA_KINDS:
            media.append(entry)
        else:
            errors.append(problem(entry.rel, entry.problem or _unsupported(entry)))
    errors += [error for each in media if (error := _attach(posts, each))]
    items = sorted((_post_item(post, alts) for post in posts.values()), key=lambda each: each.key)
    errors += unmatched_alts(alts, media)
    errors += [problem(each.key, each.error) for each in items if each.error]
    return ScanResult(items=items, errors=errors, unscanned=tree.unscanned)


def _unsupported(entry: FileEntry) -> str:
    shown = entry.suffix or "no extension"
    supported = ", ".join((*TEXT_SUFFIXES, *MEDIA_KINDS))
    return f"{entry.rel} has an unsupported file type ({shown}); the plain layout uses {supported}."


def _add_text(posts: dict, entry: FileEntry, language: str) -> None:
    stem, lang, tag = split_language(entry.stem, language)
    posts.setdefault((entry.folder, stem), _Post()).texts.append(_Text(entry, lang, tag))


def _attach(posts: dict, media: FileEntry) -> dict[str, str] | None:
    """Adds `media` to the post with its stem; the problem if there is no such post."""
    if post := posts.get((media.folder, media.stem)):
        post.media.append((None, media))
        return None
    match = _NUMBERED.fullmatch(media.stem)
    if match and (post := posts.get((media.folder, match[1]))):
        post.media.append((int(match[2]), media))
        return None
    stem = match[1] if match else media.stem
    return problem(
        media.rel, f"{media.rel} has no text file; a post needs {stem}.md or {stem}.txt next to it."
    )


def _post_item(post: _Post, alts: dict[tuple[str, str], FileEntry]) -> ScannedItem:
    key = post.key_text.entry.rel
    errors: list[str] = []
    texts = _texts(post, errors)
    media = _media(post, errors)
    metadata = with_alt_files(texts, media, alts, errors)
    kind = check_media(key, media, errors)
    return item(key, kind, metadata, media, errors)


def _texts(post: _Post, errors: list[str]) -> dict[str, dict[str, str]]:
    by_language: dict[str, list[FileEntry]] = {}
    for text in post.texts:
        by_language.setdefault(text.language, []).append(text.entry)
    metadata = {}
    for lang, entries in sorted(by_language.items()):
        if len(entries) > 1:
            shown = " and ".join(entry.rel for entry in sorted(entries, key=lambda e: e.rel))
            errors.append(f"{shown} each hold the {lang} text; keep one.")
            continue
        try:
            # Surrounding whitespace is never meant: editors add a final newline.
            metadata[lang] = {"text": read_text(entries[0]).strip()}
        except Unreadable as exc:
            errors.append(str(exc))
    return metadata


def _media(post: _Post, errors: list[str]) -> list[FileEntry]:
    bare = [entry for number, entry in post.media if number is None]
    numbered = sorted((pair for pair in post.media if pair[0] is not None), key=_by_number)
    errors += _order_problems(bare, numbered)
    return bare + [entry for _number, entry in numbered]


def _by_number(pair: tuple[int | None, FileEntry]) -> tuple[int, str]:
    return pair[0] or 0, pair[1].rel


def _order_problems(bare: list[FileEntry], numbered: list) -> list[str]:
    """The order of a post's images must be explicit."""
    problems = []
    if len(bare) > 1 or (bare and numbered):
        first = bare[0].rel
        problems.append(f"{first} shares its post with other media; number them all (x.1.jpg …).")
    numbers = [number for number, _entry in numbered]
    for number in sorted({n for n in numbers if numbers.count(n) > 1}):
        shown = " and ".join(entry.rel for n, entry in numbered if n == number)
        problems.append(f"{shown} have the same number; give each image its own.")
    return problems
