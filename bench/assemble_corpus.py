"""Assemble bench/data/risk_corpus.jsonl from the writers' parts (run once, when they are done).

Usage: python3 bench/assemble_corpus.py PART.jsonl ... [--out bench/data/risk_corpus.jsonl]

Each line is validated (text, label, a category of the labelling policy that agrees with the
label, a language code); exact duplicates inside the corpus and exact duplicates of the shared
data (../shared/data/*.jsonl) and of bench/data/risk_heldout.jsonl are dropped. The first line is
a ``{"_meta": ...}`` header: who wrote it, when, the counts and the labelling policy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.risk.data import load_jsonl  # noqa: E402

CATEGORIES = {
    "crisis": {"SI_direct", "SI_passive", "SI_farewell_preparation", "SI_method_question",
               "SI_attempt_in_progress", "SH", "ABUSE_physical", "SEXUAL_abuse",
               "SEXUAL_grooming_sextortion", "HARM_OTHERS", "ACUTE_DANGER", "THIRD_PARTY"},
    "concern": {"sadness", "stress_academic", "loneliness", "family_conflict", "bullying",
                "relationship", "bereavement", "anxiety", "past_resolved_SI_SH",
                "other_concern"},
    "benign": {"everyday", "idiom_death_words", "games", "lessons_news", "media_songs_anime",
               "jokes_hyperbole", "tools_knives_benign", "health_question_benign"},
}
LANGS = {"id", "en", "mix", "jv", "su", "betawi"}
SHARED = ROOT.parent / "shared" / "data"


def problem(row: object) -> str | None:
    if not isinstance(row, dict):
        return "not an object"
    text, label, category = row.get("text"), row.get("label"), row.get("category")
    if not isinstance(text, str) or not text.strip():
        return "no text"
    if label not in CATEGORIES:
        return f"label {label!r}"
    if category not in CATEGORIES[label]:
        return f"category {category!r} is not a {label} category"
    if row.get("lang") not in LANGS:
        return f"lang {row.get('lang')!r}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("parts", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "risk_corpus.jsonl")
    args = parser.parse_args()
    known = set()
    for path in [*sorted(SHARED.glob("*.jsonl")), ROOT / "bench" / "data" / "risk_heldout.jsonl"]:
        known |= {r["text"] for r in load_jsonl(path, strict=False) if "text" in r}
    kept: list[dict] = []
    seen: set[str] = set()
    dropped: Counter = Counter()
    for part in args.parts:
        for number, line in enumerate(part.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                dropped["invalid JSON"] += 1
                print(f"  {part.name}:{number}: invalid JSON", file=sys.stderr)
                continue
            issue = problem(row)
            if issue:
                dropped["invalid: " + issue.split(" ")[0]] += 1
                print(f"  {part.name}:{number}: {issue}", file=sys.stderr)
                continue
            text = row["text"].strip()
            if text in known:
                dropped["duplicate of shared data"] += 1
                continue
            if text in seen:
                dropped["duplicate inside the corpus"] += 1
                continue
            seen.add(text)
            kept.append({"text": text, "label": row["label"], "category": row["category"],
                         "lang": row["lang"], "note": str(row.get("note") or "")})
    meta = {
        "written_for": "Sebaya (anonymous peer-support intake for Indonesian schools)",
        "by": "four independent writers, one part each, written for training and rule work; "
              "the writers are not the rule author",
        "assembled": dt.date.today().isoformat(),
        "parts": [p.name for p in args.parts],
        "labelling_policy": "the policy the writers were given, as docs/labelling-guide.md",
        "counts": {"total": len(kept), **Counter(r["label"] for r in kept)},
        "languages": dict(Counter(r["lang"] for r in kept)),
        "dropped": dict(dropped),
        "split": "bot.risk.data.split_of: sha256 per text, ~20% 'check' (never tuned on)",
    }
    with args.out.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"_meta": meta}, ensure_ascii=False) + "\n")
        for row in kept:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
