"""Composer benchmark: `.venv/bin/python bench/compose.py [--n 10000] [--runs 5]`.

Generates varied metadata (en, cn and ja; short to long titles and descriptions; tags
with and without "#", duplicates of the title's; URLs; emoji) and prints, as the median
of a few runs, the posts per second of `compose_post` and of the original-ish way of
fitting a post (parse_tweet after every change, on a subset: it is slow), with the
ratio. Then it composes the shared sample metadata and prints the share of posts that
keep their title, their whole description and all their hashtags. No Django needed.
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twitter_text import parse_tweet  # noqa: E402

from publishing.composer import PREFIXES, ComposeError, compose_post  # noqa: E402

LIMIT = 280
EN_WORDS = (
    *("paper", "airplane", "childhood", "dream", "freedom", "hope", "city", "sunset"),
    *("father", "son", "quiet", "rooftop", "story", "love", "sorrow", "ant", "bicycle"),
    *("tire", "nature", "fragile", "life", "glass", "sphere", "tokyo", "street", "walk"),
    *("lonely", "desert", "road", "music", "night", "light", "rain", "journey", "dog"),
)
CN_CHARS = "纸飞机承载着我们童年美好的回忆和对未来无尽希望让一起放飞梦想重新发现简单快乐城市边缘"
JA_CHARS = "紙飛行機が子供の頃美しい思い出と未来への希望を運びます一緒に夢を飛ばしシンプルな喜び"
TAGS = {
    "en": ["#Travel", "#Healing", "Nostalgia", "#City Walk", "#SciFi", "#Sci-Fi", "#2025"],
    "cn": ["#旅行", "#治愈", "城市漫步", "#童年回忆", "#纸飞机"],
    "ja": ["#旅行", "#癒し", "シティ・ウォーク", "#東京", "#紙飛行機"],
}
EXTRAS = [
    "https://example.com/videos/{n}",  # a different URL each time: no cache helps
    "example{n}.jp",
    "t.co/a{n}",
    "👨‍👩‍👧‍👦",
    "🇯🇵",
    "👍🏽",
    "1️⃣",
    "🎬",
]


# --- data ----------------------------------------------------------------------------


def make_records(n: int, seed: int = 7) -> list[tuple[dict, str]]:
    rng = random.Random(seed)
    return [make_record(rng, ("en", "cn", "ja")[i % 3]) for i in range(n)]


def make_record(rng: random.Random, language: str) -> tuple[dict, str]:
    title_tags = rng.sample(TAGS[language], rng.randint(0, 2))
    title = " ".join([phrase(rng, language, rng.randint(3, 12)), *title_tags])
    sentences = [sentence(rng, language) for _ in range(rng.randint(0, 5))]
    hashtags = title_tags + rng.sample(TAGS[language], rng.randint(0, len(TAGS[language])))
    meta = {"title": title, "description": " ".join(sentences), "hashtags": hashtags}
    meta["keywords"] = [w.lstrip("#") for w in hashtags]
    return meta, language


def phrase(rng: random.Random, language: str, words: int) -> str:
    if language == "en":
        return " ".join(rng.choice(EN_WORDS) for _ in range(words)).capitalize()
    chars = CN_CHARS if language == "cn" else JA_CHARS
    return "".join(rng.choice(chars) for _ in range(words * 2))


def sentence(rng: random.Random, language: str) -> str:
    text = phrase(rng, language, rng.randint(5, 18))
    if rng.random() < 0.3:  # CJK text often runs straight into a link: no space there
        text += (" " if language == "en" else "") + rng.choice(EXTRAS).format(
            n=rng.randrange(10**6)
        )
    return text + (rng.choice(".!?") if language == "en" else rng.choice("。！？"))


# --- composers -----------------------------------------------------------------------


def compose_all(records: Sequence[tuple[dict, str]]) -> int:
    """Compose every record; the number refused (a title that does not fit)."""
    refused = 0
    for meta, language in records:
        try:
            compose_post(meta, language, limit=LIMIT)
        except ComposeError:
            refused += 1
    return refused


def naive_compose(meta: dict, language: str) -> str:
    """The original-ish way: build, parse, drop a tag or a word, parse again."""
    head = PREFIXES[language] + meta["title"]
    tags, words = list(meta["hashtags"]), meta["description"].split()
    cut = False
    while True:
        body = " ".join(words) + ("…" if cut and words else "")
        text = "\n\n".join(block for block in (head, body, " ".join(tags)) if block)
        if parse_tweet(text).weightedLength <= LIMIT or not (tags or words):
            return text
        if tags:
            tags.pop()
        else:
            words.pop()
            cut = True


def naive_all(records: Sequence[tuple[dict, str]]) -> None:
    for meta, language in records:
        naive_compose(meta, language)


def rate(run: Callable[[Sequence], object], records: Sequence, runs: int) -> float:
    run(records[:50])  # warm up: Unicode tables and regexes are built on first use
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        run(records)
        rates.append(len(records) / (time.perf_counter() - start))
    return statistics.median(rates)


# --- samples ---------------------------------------------------------------------------


def sample_records(folder: Path) -> list[tuple[dict, str]]:
    records = []
    for path in sorted(folder.rglob("*.json")):
        language = path.name.split("_")[0]
        if language in PREFIXES:
            records += [(meta, language) for meta in json.loads(path.read_text()).values()]
    return records


def sample_shares(records: Sequence[tuple[dict, str]]) -> dict[str, float]:
    kept = {"title": 0, "description": 0, "hashtags": 0}
    for meta, language in records:
        try:
            post = compose_post(meta, language, limit=LIMIT)
        except ComposeError:
            continue
        kept["title"] += post.text.startswith(PREFIXES[language] + " ".join(meta["title"].split()))
        kept["description"] += not post.shortened
        kept["hashtags"] += not post.dropped_hashtags
    return {key: count / len(records) for key, count in kept.items()}


# --- output ----------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    records = make_records(args.n)
    ours = rate(compose_all, records, args.runs)
    subset = records[:: max(1, args.n // args.baseline_n)][: args.baseline_n]  # every kind
    theirs = rate(naive_all, subset, max(1, args.runs // 2))
    refused = compose_all(records)
    print(f"{'composer':<34}{'posts/s':>12}")
    print(f"{'compose_post':<34}{ours:>12,.0f}   ({args.n:,} records, median of {args.runs})")
    print(f"{'parse_tweet in a loop':<34}{theirs:>12,.1f}   ({len(subset)} records)")
    print(f"{'ratio':<34}{ours / theirs:>11,.0f}x")
    print(f"{'refused (title does not fit)':<34}{refused:>12,}")
    print_samples(args.samples, args.runs)


def print_samples(folder: Path, runs: int) -> None:
    records = sample_records(folder) if folder.is_dir() else []
    if not records:
        print(f"\nsamples: none found in {folder}; skipped")
        return
    repeated = records * (10_000 // len(records) + 1)  # enough to time
    print(f"\nsamples ({len(records)} posts in {folder}, limit {LIMIT})")
    print(f"  {'compose_post, posts/s':<32}{rate(compose_all, repeated, runs):>10,.0f}")
    for key, share in sample_shares(records).items():
        print(f"  {'keep their ' + key:<32}{share:>10.1%}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="generated records (10000)")
    parser.add_argument("--runs", type=int, default=5, help="runs to take the median of (5)")
    parser.add_argument(
        "--baseline-n", type=int, default=60, help="records for the parse_tweet loop (60)"
    )
    parser.add_argument(
        "--samples",
        type=Path,
        default=ROOT.parent / "shared" / "samples",
        help="folder of uploader_json samples (../shared/samples from the repo root)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
