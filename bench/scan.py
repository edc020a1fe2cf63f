"""Scan benchmark: `.venv/bin/python bench/scan.py [--files 10000] [--runs 3]`.

Builds a throwaway uploader_json project (media files plus batch JSON in en, cn and
ja), sets Django up on a throwaway SQLite file, and prints the median of a few runs of:
the pure scan, a first project_scan (creating every row), a rescan of the unchanged
tree, and a rescan after 1% of the metadata changed. Nothing outside the temporary
folder is touched."""

import argparse
import json
import os
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "cn", "ja")


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


# The smallest video the scanner's sniffer (projects.media) accepts: ftyp, a moov
# holding only an mvhd (2 s at a time scale of 1000), and a small mdat.
_MVHD = _box(b"mvhd", struct.pack(">4xIIII", 0, 0, 1000, 2000) + bytes(80))
TINY_MP4 = _box(b"ftyp", b"isom\0\0\2\0isommp41") + _box(b"moov", _MVHD) + _box(b"mdat", bytes(32))


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="twitterpub-bench-") as tmp:
        work = Path(tmp).resolve()
        content = work / "content"
        setup_django(work, content)
        project_dir = build_tree(content / "bench", args.files)
        rows = run_all(project_dir, args.runs, max(1, args.files // 100))
        print_table(args, project_dir, rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000, help="media files (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per step (3)")
    return parser.parse_args()


def setup_django(work: Path, content: Path) -> None:
    sys.path.insert(0, str(ROOT))
    # Set before settings load: a file database of our own, and the tree as the only root.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twitterpub.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["CONTENT_ROOTS"] = str(content)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def build_tree(project: Path, files: int) -> Path:
    names = [f"bench_{n:05d}.mp4" for n in range(1, files + 1)]
    (project / "videos").mkdir(parents=True)
    for name in names:
        (project / "videos" / name).write_bytes(TINY_MP4)
    for language in LANGUAGES:
        entries = {name: entry(name, language, "") for name in names}
        write_batch(project, language, "20250719_144048", entries)
    return project


def entry(name: str, language: str, edit: str) -> dict:
    return {
        "title": f"Paper Airplane {name} ({language}){edit}: Relive Childhood Dreams #Memories",
        "description": "A paper airplane carries our childhood memories and endless hope. " * 2,
        "keywords": ["dream", "paper airplane", "freedom", "childhood memories", "nostalgia"],
        "hashtags": ["#YouTubeShorts", "#ChildhoodMemories", "#PaperAirplane", "#DreamBig"],
        "summary": "怀旧情感、童年记忆、梦想、自由、简单快乐。",
    }


def write_batch(project: Path, language: str, stamp: str, entries: dict) -> None:
    path = project / "uploader_json" / f"{language}_prompt_results_{stamp}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")


def run_all(project_dir: Path, runs: int, changed: int) -> list[tuple[str, list[float], str]]:
    from django.contrib.auth import get_user_model

    from projects.scanning import scan_tree
    from projects.services import project_create, project_scan

    owner = get_user_model().objects.create_user("bench")
    scan_times = timed(runs, lambda _run: scan_tree(project_dir, "uploader_json", "en"))
    projects = []

    def first_scan(run: int):
        projects.append(project_create(owner=owner, name=f"bench-{run}", path=str(project_dir)))
        return project_scan(project=projects[-1])

    first = timed(runs, first_scan)
    unchanged = timed(runs, lambda _run: project_scan(project=projects[-1]))

    def changed_scan(run: int):
        edit_metadata(project_dir, run, changed)
        return project_scan(project=projects[-1])

    edited = timed(runs, changed_scan)
    return [
        ("scan_tree (pure, no database)", scan_times, f"{len(scan_times.result.items):,} items"),
        ("project_scan, first (creates rows)", first, f"{len(first.result.created):,} created"),
        (
            "project_scan, unchanged tree",
            unchanged,
            f"{len(unchanged.result.unchanged):,} unchanged",
        ),
        (f"project_scan, {changed} changed", edited, f"{len(edited.result.updated):,} updated"),
    ]


def edit_metadata(project_dir: Path, run: int, count: int) -> None:
    """A newer en batch that retitles `count` media files (different each run)."""
    names = [f"bench_{n:05d}.mp4" for n in range(1, count + 1)]
    entries = {name: entry(name, "en", f" edit {run}") for name in names}
    write_batch(project_dir, "en", f"20990101_0000{run:02d}", entries)


class Timings(list):
    result: object = None


def timed(runs: int, step: Callable[[int], object]) -> Timings:
    timings = Timings()
    for run in range(runs):
        started = time.perf_counter()
        timings.result = step(run)
        timings.append(time.perf_counter() - started)
    return timings


def print_table(args: argparse.Namespace, project_dir: Path, rows) -> None:
    batch_mb = sum(p.stat().st_size for p in (project_dir / "uploader_json").iterdir()) / 2**20
    print(
        f"scan benchmark: {args.files:,} media files, batch JSON in {', '.join(LANGUAGES)} "
        f"({batch_mb:.1f} MB), median of {args.runs} runs, SQLite file database"
    )
    print(f"{'step':<38} {'median':>8} {'min':>8} {'max':>8}  result")
    for label, times, note in rows:
        cells = [f"{value:7.2f}s" for value in (statistics.median(times), min(times), max(times))]
        print(f"{label:<38} {' '.join(cells)}  {note}")


if __name__ == "__main__":
    main()
