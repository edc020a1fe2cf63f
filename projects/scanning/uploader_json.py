"""The uploader_json layout: media files anywhere in the project, their metadata in
JSON. The rules (and why) are in docs/content-layouts.md."""

import re
from collections import Counter
from dataclasses import dataclass, field

from .alt import alt_target, alt_value_problem, unmatched_alts, with_alt_files
from .base import (
    LANGUAGE_TAGS,
    MEDIA_KINDS,
    TEXT_SUFFIXES,
    FileEntry,
    ScannedItem,
    ScanResult,
    check_media,
    item,
    problem,
)
from .files import Tree, Unreadable, read_json

METADATA_DIR = "uploader_json"
_BATCH_NAME = re.compile(r"(en|cn|zh|ja)_prompt_results_(\d{8}_\d{6})\.json")
_TAG_SUFFIX = re.compile(r"(?s)(.+)[._](en|cn|zh|ja)")
_TEXT_FIELDS = ("title", "description", "summary")
_LIST_FIELDS = ("keywords", "hashtags")


@dataclass(frozen=True, slots=True)
class Found:
    """One language's metadata for one media file, and the JSON file it came from."""

    source: str
    entry: object = None
    unreadable: str = ""  # the sentence saying why the file could not be read


@dataclass(slots=True)
class _Files:
    media: list[FileEntry] = field(default_factory=list)
    batches: list[tuple[str, str, FileEntry]] = field(default_factory=list)
    singles: dict[tuple[str, str], FileEntry] = field(default_factory=dict)
    alts: dict[tuple[str, str], FileEntry] = field(default_factory=dict)


def prune(rel_dir: str) -> bool:
    # Subfolders of uploader_json/ are not read: old batches get archived there.
    return rel_dir.startswith(METADATA_DIR + "/")


def scan(tree: Tree, language: str) -> ScanResult:
    errors = list(tree.errors)
    files = _sort_files(tree.files, errors)
    batch, newest = _load_batches(files.batches, errors)
    singles = _match_singles(files.media, files.singles, language, errors)
    names = Counter(media.name for media in files.media)
    items = [_media_item(media, batch, singles, names, files.alts) for media in files.media]
    errors += _orphan_entries(newest, names)
    errors += unmatched_alts(files.alts, files.media)
    errors += [problem(each.key, each.error) for each in items if each.error]
    return ScanResult(items=items, errors=errors, unscanned=tree.unscanned)


def _sort_files(entries: list[FileEntry], errors: list[dict[str, str]]) -> _Files:
    files = _Files()
    for entry in entries:
        if entry.folder == METADATA_DIR:
            _sort_metadata_file(entry, files, errors)
        elif entry.suffix in MEDIA_KINDS:
            files.media.append(entry)
        elif (target := alt_target(entry)) is not None:
            files.alts[target] = entry
        elif entry.suffix == ".json":
            files.singles[(entry.folder, entry.name)] = entry
        else:
            errors.append(problem(entry.rel, _not_content(entry)))
    return files


def _sort_metadata_file(entry: FileEntry, files: _Files, errors: list[dict[str, str]]) -> None:
    if match := _BATCH_NAME.fullmatch(entry.name):
        files.batches.append((match[2], match[1], entry))
    elif entry.suffix == ".json":
        files.singles[(entry.folder, entry.name)] = entry
    else:
        message = f"{entry.rel} is not JSON; only metadata belongs in {METADATA_DIR}/."
        errors.append(problem(entry.rel, entry.problem or message))


def _not_content(entry: FileEntry) -> str:
    if entry.problem:
        return entry.problem
    if entry.suffix in TEXT_SUFFIXES:
        return (
            f"{entry.rel} is a text file, but in the uploader_json layout every post is a "
            "media file with JSON metadata; use the plain layout for text posts."
        )
    supported = ", ".join(MEDIA_KINDS)
    shown = entry.suffix or "no extension"
    return f"{entry.rel} has an unsupported file type ({shown}); media files are {supported}."


def _load_batches(batches, errors) -> tuple[dict[str, dict[str, Found]], dict[str, str]]:
    """name -> language -> Found, the newest batch winning; and name -> newest file."""
    found: dict[str, dict[str, Found]] = {}
    newest: dict[str, str] = {}
    # Oldest first so newer batches overwrite; ties broken by file name ("zh" after "cn").
    for _stamp, tag, entry in sorted(batches, key=lambda batch: (batch[0], batch[2].name)):
        data = _batch_data(entry, errors)
        for name, value in data.items():
            found.setdefault(name, {})[LANGUAGE_TAGS[tag]] = Found(entry.rel, value)
            newest[name] = entry.rel
    return found, newest


def _batch_data(entry: FileEntry, errors: list[dict[str, str]]) -> dict:
    try:
        data = read_json(entry)
    except Unreadable as exc:
        errors.append(problem(entry.rel, str(exc)))
        return {}
    if not isinstance(data, dict):
        shape = f"must hold a JSON object keyed by media file name, not {_json_type(data)}"
        message = f"{entry.rel} {shape}."
        errors.append(problem(entry.rel, message))
        return {}
    return data


def _match_singles(media, singles, language, errors) -> dict[str, dict[str, list[FileEntry]]]:
    """media path -> language -> the single JSON files that give it (more than one
    is a conflict the item reports)."""
    index = _single_index(singles, language)
    claims: dict[str, list[tuple[FileEntry, FileEntry, str]]] = {}
    for each in media:
        for folder in (each.folder, METADATA_DIR):
            for single, lang in index.get((folder, each.stem), ()):
                claims.setdefault(single.rel, []).append((single, each, lang))
    matched: dict[str, dict[str, list[FileEntry]]] = {}
    for claimants in claims.values():
        single, each, lang = claimants[0]
        if len(claimants) > 1:
            errors.append(problem(single.rel, _ambiguous_single(single, claimants)))
        else:
            matched.setdefault(each.rel, {}).setdefault(lang, []).append(single)
    errors += [_unmatched_single(s) for s in singles.values() if s.rel not in claims]
    return matched


def _single_index(singles: dict, language: str) -> dict[tuple[str, str], list]:
    """(folder, media stem) -> [(single file, language)]. A name is read both ways:
    clip_en.json is clip's en metadata, or the bare file of a media file named clip_en."""
    index: dict[tuple[str, str], list] = {}
    for single in singles.values():
        index.setdefault((single.folder, single.stem), []).append((single, language))
        if match := _TAG_SUFFIX.fullmatch(single.stem):
            lang = LANGUAGE_TAGS[match[2]]
            index.setdefault((single.folder, match[1]), []).append((single, lang))
    return index


def _ambiguous_single(single: FileEntry, claimants) -> str:
    media = ", ".join(each.rel for _single, each, _lang in claimants)
    return f"{single.rel} matches several media files ({media}); rename so that only one matches."


def _unmatched_single(single: FileEntry) -> dict[str, str]:
    if single.problem:
        return problem(single.rel, single.problem)
    match = _TAG_SUFFIX.fullmatch(single.stem)
    stem = match[1] if match else single.stem
    where = "in the project" if single.folder == METADATA_DIR else "next to it"
    message = f"{single.rel} describes no media file: there is no {stem}.* {where}."
    return problem(single.rel, message)


def _orphan_entries(newest: dict[str, str], names: Counter) -> list[dict[str, str]]:
    return [
        problem(source, f"{source} has metadata for {name}, but no media file has that name.")
        for name, source in newest.items()
        if name not in names
    ]


def _media_item(media: FileEntry, batch, singles, names: Counter, alts) -> ScannedItem:
    if media.problem:
        return item(media.rel, MEDIA_KINDS[media.suffix], {}, [media], [media.problem])
    errors: list[str] = []
    kind = check_media(media.rel, [media], errors)
    # Batches name media by file name alone, so they cannot tell two same-named files apart.
    duplicated = names[media.name] > 1 and media.name in batch
    chosen = {} if duplicated else dict(batch.get(media.name, {}))
    chosen.update(_load_singles(media, singles.get(media.rel, {}), errors))
    metadata = with_alt_files(_valid_metadata(media, chosen, errors), [media], alts, errors)
    if not chosen:
        errors.append(_no_metadata(media, names) if duplicated else _no_metadata(media))
    return item(media.rel, kind, metadata, [media], errors)


def _load_singles(media: FileEntry, by_language, errors: list[str]) -> dict[str, Found]:
    chosen = {}
    for lang, files in by_language.items():
        if len(files) > 1:
            shown = " and ".join(single.rel for single in files)
            errors.append(f"{shown} each give the {lang} metadata for {media.name}; keep one.")
        else:
            chosen[lang] = _load_single(media, files[0])
    return chosen


def _load_single(media: FileEntry, single: FileEntry) -> Found:
    try:
        data = read_json(single)
    except Unreadable as exc:
        return Found(single.rel, unreadable=str(exc))
    # Also accept the batch shape with one entry: {"clip.mp4": {...}}.
    if isinstance(data, dict) and list(data) == [media.name] and isinstance(data[media.name], dict):
        data = data[media.name]
    return Found(single.rel, data)


def _valid_metadata(media: FileEntry, chosen: dict[str, Found], errors: list[str]) -> dict:
    metadata = {}
    for lang in sorted(chosen):
        found = chosen[lang]
        invalid = found.unreadable and f"cannot be used: {found.unreadable}"
        invalid = invalid or _entry_problem(found.entry, found.source)
        if invalid:
            errors.append(f"The {lang} metadata for {media.name} {invalid}")
        else:
            metadata[lang] = found.entry
    return metadata


def _entry_problem(entry: object, source: str) -> str:
    """Empty if `entry` is usable metadata; otherwise the end of a sentence."""
    if not isinstance(entry, dict):
        return f"in {source} must be a JSON object, not {_json_type(entry)}."
    for name in _TEXT_FIELDS:
        if name in entry and not isinstance(entry[name], str):
            found = _json_type(entry[name])
            return f"in {source} is invalid: {name!r} must be a string, not {found}."
    for name in _LIST_FIELDS:
        if name in entry and not _is_list_of_strings(entry[name]):
            return f"in {source} is invalid: {name!r} must be a list of strings."
    if not (entry.get("title", "").strip() or entry.get("description", "").strip()):
        return f"in {source} has neither a title nor a description."
    if "alt" in entry and (problem := alt_value_problem(entry["alt"])):
        return f"in {source} is invalid: {problem}."
    return ""


def _is_list_of_strings(value: object) -> bool:
    # set(map(type, ...)) runs in C: this check runs for every entry of every batch.
    return isinstance(value, list) and set(map(type, value)) <= {str}


def _no_metadata(media: FileEntry, names: Counter | None = None) -> str:
    if names is None:
        return f"No metadata for {media.name} in any language."
    return (
        f"No metadata for {media.rel}: {names[media.name]} media files are named {media.name} "
        f"and batch files name media by file name alone; rename them or put a "
        f"{media.stem}.json next to each."
    )


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")
