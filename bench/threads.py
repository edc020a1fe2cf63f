"""Thread splitting benchmark: `.venv/bin/python bench/threads.py [--n 2000] [--runs 3]`.

Generates long texts (en, cn and ja; 1 to 10 posts' worth at the 280 limit; sentences
of varied length, some without punctuation, URLs and emoji) and prints, as the median
of a few runs, the texts and parts per second of `split_thread`, the parts per text,
and the heaviest part seen (it must never pass the limit). No Django needed.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publishing.textcount import weighted_length  # noqa: E402
from publishing.threadsplit import split_thread  # noqa: E402

LIMIT = 280
EN_WORDS = ("paper", "airplane", "childhood", "dream", "city", "sunset", "father", "road")
CN_CHARS = "纸飞机承载着我们童年美好的回忆和对未来无尽希望让一起放飞梦想重新发现简单快乐"
JA_CHARS = "紙飛行機が子供の頃美しい思い出と未来への希望を運びます一緒に夢を飛ばし"
EXTRAS = ["https://example.com/a/long/path", "🎥", "👨‍👩‍👧", "x.com"]


def sentence(rng: random.Random, language: str) -> str:
    extra = f" {rng.choice(EXTRAS)}" if rng.random() < 0.15 else ""
    if language == "en":
        words = rng.choices(EN_WORDS, k=rng.randint(4, 60))
        return " ".join(words).capitalize() + extra + rng.choice(".!?")
    chars = CN_CHARS if language == "cn" else JA_CHARS
    end = rng.choice("。！？") if rng.random() < 0.9 else ""  # some run on without one
    return "".join(rng.choices(chars, k=rng.randint(8, 160))) + extra + end


def text(rng: random.Random) -> str:
    language = rng.choice(("en", "cn", "ja"))
    target = rng.randint(LIMIT + 1, 10 * LIMIT)
    parts, weight = [], 0
    while weight < target:
        parts.append(sentence(rng, language))
        weight += weighted_length(parts[-1]) + 1
    return (" " if language == "en" else "").join(parts)


def run(texts: list[str]) -> tuple[float, int, int, list[int]]:
    started = time.perf_counter()
    threads = [split_thread(each, LIMIT) for each in texts]
    elapsed = time.perf_counter() - started
    heaviest = max(weighted_length(part) for thread in threads for part in thread)
    return elapsed, sum(map(len, threads)), heaviest, [len(thread) for thread in threads]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    texts = [text(rng) for _ in range(args.n)]
    results = [run(texts) for _ in range(args.runs)]
    elapsed = statistics.median(result[0] for result in results)
    _, parts, heaviest, counts = results[0]
    print(f"split_thread: {args.n:,} texts, {parts:,} parts, limit {LIMIT}")
    rates = f"{args.n / elapsed:,.0f} texts/s, {parts / elapsed:,.0f} parts/s"
    print(f"  {rates} (median of {args.runs})")
    print(f"  parts per text: median {statistics.median(counts)}, max {max(counts)}")
    print(f"  heaviest part: {heaviest} weighted characters (limit {LIMIT})")
    assert heaviest <= LIMIT


if __name__ == "__main__":
    main()
