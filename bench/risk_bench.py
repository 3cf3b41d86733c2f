"""Risk detector benchmark: quality on labelled sets next to the keyword baseline, and speed.

Usage: python3 bench/risk_bench.py [--data PATH ...]
Defaults: ../shared/data/risk_dev.jsonl (the shared development set) and
bench/data/risk_heldout.jsonl (phrasings written separately from the dev set).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from bot.risk.detector import Detector

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = [ROOT.parent / "shared" / "data" / "risk_dev.jsonl",
                ROOT / "bench" / "data" / "risk_heldout.jsonl"]
# The list a school would write (issue #3): case-insensitive substring search.
BASELINE = ("bunuh diri", "mati", "bunuh", "suicide", "kill myself", "self harm",
            "menyakiti diri", "sayat", "silet", "gantung diri", "overdosis", "ingin mati",
            "pengen mati", "die", "dipukul", "diperkosa", "pelecehan", "kekerasan")
ADVERSARIAL = {
    "20k letters": "a" * 20000,
    "20k spaced letters": "a " * 10000,
    "pengen x3000": "pengen " * 3000,
    "want-gap bait": ("pengen " + "x " * 11) * 800,
    "zalgo 5k": "p̸̢̛e̵̡n̷g̶e̷n̸ " * 700,
    "quotes 10k": "'a' " * 2500,
    "masks 5k": "b*n*h " * 900,
}


def baseline(text: str) -> str:
    lowered = text.casefold()
    return "crisis" if any(k in lowered for k in BASELINE) else "none"


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def figures(rows: list[dict], predict) -> dict[str, float]:
    by_label: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        by_label[row["label"]][predict(row["text"])] += 1
    crisis, concern, benign = by_label["crisis"], by_label["concern"], by_label["benign"]

    def rate(part: int, counter: Counter) -> float:
        total = sum(counter.values())
        return part / total if total else float("nan")  # printed as "nan": no such messages

    return {
        "crisis_recall": rate(crisis["crisis"], crisis),
        "crisis_flagged": rate(crisis["crisis"] + crisis["concern"], crisis),
        "benign_fpr_any_flag": rate(sum(benign.values()) - benign["none"], benign),
        "benign_to_crisis": rate(benign["crisis"], benign),
        "concern_accuracy": rate(concern["concern"], concern),
        "n": len(rows),
    }


def report(name: str, rows: list[dict], detector: Detector) -> None:
    print(f"\n== {name} ({len(rows)} messages)")
    ours = figures(rows, lambda t: detector.screen(t).level)
    base = figures(rows, baseline)
    print(f"{'metric':24}{'sebaya':>10}{'keywords':>10}")
    for key in ("crisis_recall", "crisis_flagged", "benign_fpr_any_flag", "benign_to_crisis",
                "concern_accuracy"):
        print(f"{key:24}{ours[key]:>10.3f}{base[key]:>10.3f}")
    print("per language (crisis recall / benign any-flag / concern accuracy):")
    for lang in sorted({r.get("lang", "?") for r in rows}):
        subset = [r for r in rows if r.get("lang", "?") == lang]
        f = figures(subset, lambda t: detector.screen(t).level)
        counts = Counter(r["label"] for r in subset)
        print(f"  {lang:4} n={len(subset):3}  {f['crisis_recall']:.3f} ({counts['crisis']})"
              f"  {f['benign_fpr_any_flag']:.3f} ({counts['benign']})"
              f"  {f['concern_accuracy']:.3f} ({counts['concern']})")
    categories: Counter = Counter()
    for row in rows:
        if row["label"] == "crisis":
            result = detector.screen(row["text"])
            for category in result.categories or ["(missed)"]:
                categories[category] += 1
    print("crisis messages by detected category:", dict(sorted(categories.items())))
    misses = [r["text"] for r in rows if (r["label"] == "benign") != (
        detector.screen(r["text"]).level == "none") or (r["label"] == "crisis") != (
        detector.screen(r["text"]).level == "crisis")]
    for text in misses:
        print(f"  differs: {text!r} -> {detector.screen(text).level}")


def speed(detector: Detector, texts: list[str]) -> None:
    print("\n== speed (one core)")
    for label, cache in (("cold (no token cache)", False), ("warm", True)):
        runs = 0
        start = time.perf_counter()
        while time.perf_counter() - start < 2.0:
            for text in texts:
                if not cache:
                    detector.normalizer._cache.clear()
                detector.screen(text)
            runs += len(texts)
        rate = runs / (time.perf_counter() - start)
        print(f"{label:24}{rate:>12,.0f} messages/s")
    print("adversarial inputs (one screen each, ms):")
    for label, text in ADVERSARIAL.items():
        start = time.perf_counter()
        detector.screen(text)
        print(f"  {label:22}{(time.perf_counter() - start) * 1000:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, nargs="*", default=DEFAULT_SETS)
    args = parser.parse_args()
    detector = Detector()
    texts: list[str] = []
    for path in args.data:
        if not path.is_file():
            print(f"(skipping {path}: not found)")
            continue
        rows = load(path)
        texts += [r["text"] for r in rows]
        report(path.name, rows, detector)
    speed(detector, texts)


if __name__ == "__main__":
    main()
