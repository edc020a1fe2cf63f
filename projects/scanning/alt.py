"""Alt text for media: an `alt` field in a language's JSON metadata, or a
`<media stem>.alt.txt` file next to the media file (clip.mp4 → clip.alt.txt,
post_001.2.jpg → post_001.2.alt.txt). The JSON field wins: it is written per language,
the file serves every language that has none. X takes up to 1,000 characters."""

from collections.abc import Iterable

from .base import FileEntry, problem
from .files import Unreadable, read_text

ALT_SUFFIX = ".alt.txt"
MAX_ALT_CHARS = 1000  # X's limit for a media file's alt text


def alt_target(entry: FileEntry) -> tuple[str, str] | None:
    """(folder, media stem) that `entry` gives the alt text of, or None when it is not
    an alt text file."""
    name = entry.name
    if name.lower().endswith(ALT_SUFFIX) and len(name) > len(ALT_SUFFIX):
        return entry.folder, name[: -len(ALT_SUFFIX)]
    return None


def alt_value_problem(value: object) -> str:
    """Why a JSON `alt` cannot be used ("" when it can): a string, or one per media file."""
    texts = value if isinstance(value, list) else [value]
    if not all(isinstance(text, str) for text in texts):
        return "'alt' must be a string or a list of strings"
    longest = max((len(text) for text in texts), default=0)
    if longest > MAX_ALT_CHARS:
        return f"its alt text is {longest:,} characters; X takes up to {MAX_ALT_CHARS:,}"
    return ""


def with_alt_files(
    metadata: dict[str, dict],
    media: list[FileEntry],
    alts: dict[tuple[str, str], FileEntry],
    errors: list[str],
) -> dict[str, dict]:
    """`metadata` with the alt texts of the media's `.alt.txt` files added to every
    language that has no `alt` of its own; problems with those files go to `errors`."""
    texts = [_read_alt(alts.get((entry.folder, entry.stem)), errors) for entry in media]
    if not any(texts):
        return metadata
    value = texts[0] if len(texts) == 1 else texts
    return {
        language: meta if "alt" in meta else {**meta, "alt": value}
        for language, meta in metadata.items()
    }


def _read_alt(entry: FileEntry | None, errors: list[str]) -> str:
    if entry is None:
        return ""
    try:
        text = " ".join(read_text(entry).split())  # one line: X shows it as one
    except Unreadable as exc:
        errors.append(str(exc))
        return ""
    if len(text) > MAX_ALT_CHARS:
        errors.append(
            f"{entry.rel} is {len(text):,} characters; X takes alt text up to {MAX_ALT_CHARS:,}."
        )
        return ""
    return text


def unmatched_alts(
    alts: dict[tuple[str, str], FileEntry], media: Iterable[FileEntry]
) -> list[dict[str, str]]:
    """A problem for each alt text file that no media file next to it has the stem of."""
    described = {(entry.folder, entry.stem) for entry in media}
    return [
        problem(entry.rel, f"{entry.rel} describes no media file: there is no {stem}.* next to it.")
        for (folder, stem), entry in sorted(alts.items())
        if (folder, stem) not in described
    ]
