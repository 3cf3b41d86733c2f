"""Risk detector benchmark: quality per labelled set, next to rules alone and a keyword list; speed.

Usage: python3 bench/risk_bench.py [--sets NAME ...] [--misses] [--no-speed]

Sets (each scored separately, never pooled):
  dev          ../shared/data/risk_dev.jsonl (development; many sentences are rule examples)
  extra:tune   ../shared/data/risk_train_extra.jsonl, the "tune" part (rules and model see it)
  extra:check  the same file, the "check" part (~20% by sha256 of the text; aggregates only)
  corpus:tune  bench/data/risk_corpus.jsonl (written for Sebaya by independent writers), "tune"
  corpus:check the same file, "check" part (aggregates only)
  heldout_old  bench/data/risk_heldout.jsonl (an older held-out set, already seen: dev-like)
  heldout_v3   bench/data/risk_heldout_v3.jsonl, a second frozen set (2026-12-02), the same way
  heldout_v4   bench/data/risk_heldout_v4.jsonl, a third frozen set (2026-12-02, later), the same way
  heldout_v5   bench/data/risk_heldout_v5.jsonl, a fourth frozen set (2026-12-02, stop 24), the same way
  heldout_v6   bench/data/risk_heldout_v6.jsonl, a fifth frozen set (2026-12-02, stop 24, later)
  heldout_v7   bench/data/risk_heldout_v7.jsonl, a sixth frozen set (2026-12-02, stop 25)
  heldout_v8   bench/data/risk_heldout_v8.jsonl, a seventh frozen set (2026-12-02, stop 25, later)
  heldout_v2   bench/data/risk_heldout_v2.jsonl, the frozen held-out set, scored only when its
               sha256 equals HELDOUT_SHA256 (set by the maintainer); otherwise refused. With
               SEBAYA_NO_FROZEN=1 in the environment (rule and model work) the file is not even
               read, here or in bench/train_risk.py.

Figures: crisis recall; crisis flagged (crisis or concern); crisis that gets an alert OR the
direct question (level crisis or ``ask``); benign false crisis; benign any flag (concern, crisis
or ask); concern accuracy (exactly concern). "rules" is the same detector with the model's
opinion ignored; "keywords" is the list a school would write. ``--misses`` lists wrong verdicts
for dev, the tune parts and heldout_old only: check parts and the frozen set stay aggregates.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread: the speed figure is for one core

from bot.risk.data import load_jsonl, split  # noqa: E402
from bot.risk.detector import Detector  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DATA = ROOT / "bench" / "data"
HELDOUT_V2 = DATA / "risk_heldout_v2.jsonl"
# The frozen held-out set as committed alone in f90d7f1, before any rule or model work.
HELDOUT_SHA256: str | None = "4d1f5ce14bee98144338534573aa7e8e409a8da31123663cfc82708f3e5fd03e"
# The frozen sets by name: (file, the sha256 it must have). v3 (320 messages; Sundanese,
# Javanese, English, obfuscation, exploitation) was written on 2026-12-02 by a helper who never
# read the code or the rules, and scored first on main @210ac27, before the rule work it then
# measured (first and last score in that stop's closing note).
FROZEN = {"heldout_v2": (HELDOUT_V2, HELDOUT_SHA256),
          "heldout_v3": (DATA / "risk_heldout_v3.jsonl",
                         "8ea3df646f8605d79558ea6142d07f0ed9b13bca301c7f26d38a495cceed4b13"),
          # v4 (400 messages; more Javanese, Sundanese, English, mixed and other regional
          # registers) by another helper who read only the labelling guide and SAFETY.md; scored
          # first on main @547cdeb before that stop's rule work.
          "heldout_v4": (DATA / "risk_heldout_v4.jsonl",
                         "481a840775d69086cb6d7347d8a61b2c29b8326d129296514d97eccf881ee829"),
          # v5 (400 messages; every crisis kind >= 14, Minang/Malay/Banjar/Makassar/Batak/
          # Madurese/Balinese/Acehnese among "other") by a helper who read only SAFETY.md and the
          # seeds; frozen 2026-12-02 and scored first on main @5e46055 before that stop's rule work.
          "heldout_v5": (DATA / "risk_heldout_v5.jsonl",
                         "1701e906b59d859f89e9ff388a78506e14afe98797129163f4f54ff4915d65e8"),
          # v6 (360 messages, SAFETY.md's levels exactly: emotional hurt without danger is
          # concern; BULLY_danger; ten regional languages among "other") by a third helper who
          # read only SAFETY.md and the seeds; scored first on main @fce156a, before risk round 6.
          "heldout_v6": (DATA / "risk_heldout_v6.jsonl",
                         "6f8c41580b5882d6358659184fcc9a86795650167c0fa18e8f5bd4cd38b5f0b4"),
          # v7 (400 messages: 200 crisis / 80 concern / 120 benign; weight on indirect
          # ideation, plans/means, farewells, Sundanese (49) and other regional languages (67,
          # tagged min/bjn/ms/mak/bew/ban/ace/bug)) by a fourth helper who read only SAFETY.md
          # and the seeds (its label "none" renamed "benign", nothing else changed); frozen
          # 2026-12-02 (stop 25) and scored first on main @8f4e06c before any rule work.
          "heldout_v7": (DATA / "risk_heldout_v7.jsonl",
                         "096967e5d542862cf211ebdce4f870a6c9ad28e4f2ce5a7494f592a017c83def"),
          # v8 (360 messages: 170 crisis with every kind >= 17, 80 concern, 110 benign of which
          # 63 look-alikes; 77 in ten other regional languages; some risks only mid-message) by a
          # fifth helper who read only SAFETY.md and the seeds; frozen 2026-12-02 (stop 25) and
          # scored first on main @1cbfc0f before any rule work.
          "heldout_v8": (DATA / "risk_heldout_v8.jsonl",
                         "d0e6ae9c7c828b1cfbdfe5f5bf8a8c55d584da84dc48c079dc75ec5b28211b63")}

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
    "crisis at 9k of 10k": "cerita biasa aja. " * 500 + "aku mau bunuh diri " + "ok " * 300,
    "bidi+cyrillic 5k": ("\u202eр\u0435ng\u0435n m\u0430ti\u202c " * 400),
    "line breaks 10k": "bunuh\n" * 1700,
}
Verdict = tuple[str, bool, bool]  # level, ask, by_model
METRICS = ("crisis_recall", "crisis_alert_or_ask", "crisis_flagged", "benign_false_crisis",
           "benign_any_flag", "benign_asked", "concern_accuracy", "concern_to_crisis",
           "concern_asked")


def baseline(text: str) -> Verdict:
    lowered = text.casefold()
    return ("crisis" if any(k in lowered for k in BASELINE) else "none"), False, False


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_sets(names: list[str]) -> dict[str, list[dict]]:
    """The sets asked for that exist; the frozen set only when its hash is the recorded one."""
    out: dict[str, list[dict]] = {}
    extra, corpus = SHARED / "risk_train_extra.jsonl", DATA / "risk_corpus.jsonl"
    sources = {
        "dev": lambda: load_jsonl(SHARED / "risk_dev.jsonl"),
        "extra:tune": lambda: split(load_jsonl(extra), "tune"),
        "extra:check": lambda: split(load_jsonl(extra), "check"),
        "corpus:tune": lambda: split(load_jsonl(corpus), "tune"),
        "corpus:check": lambda: split(load_jsonl(corpus), "check"),
        "heldout_old": lambda: load_jsonl(DATA / "risk_heldout.jsonl"),
    }
    paths = {"dev": SHARED / "risk_dev.jsonl", "extra:tune": extra, "extra:check": extra,
             "corpus:tune": corpus, "corpus:check": corpus,
             "heldout_old": DATA / "risk_heldout.jsonl"}
    for name in names:
        if name in FROZEN:
            rows = frozen_heldout(name)
            if rows is not None:
                out[name] = rows
            continue
        if not paths[name].is_file():
            print(f"(skipping {name}: {paths[name]} not found)")
            continue
        out[name] = sources[name]()
    return out


def frozen_heldout(name: str = "heldout_v2") -> list[dict] | None:
    path, recorded = FROZEN[name]
    if os.environ.get("SEBAYA_NO_FROZEN"):  # rule and model work: the frozen set is not touched
        print(f"({name}: skipped, SEBAYA_NO_FROZEN is set; the file was not read)")
        return None
    if not path.is_file():
        print(f"({name}: {path.name} not present)")
        return None
    actual = sha256_of(path)
    if recorded is None or actual != recorded:
        print(f"({name} REFUSED: sha256 {actual[:16]}... is not the recorded "
              f"{(recorded or 'None')[:16]}; the frozen set must not change)")
        return None
    return load_jsonl(path)


def figures(rows: list[dict], verdicts: list[Verdict]) -> dict[str, float]:
    n: Counter = Counter(r["label"] for r in rows)
    hits: Counter = Counter()
    for row, (level, ask, _) in zip(rows, verdicts, strict=True):
        label = row["label"]
        if label == "crisis":
            hits["crisis_recall"] += level == "crisis"
            hits["crisis_alert_or_ask"] += level == "crisis" or ask
            hits["crisis_flagged"] += level != "none" or ask
        elif label == "benign":
            hits["benign_false_crisis"] += level == "crisis"
            hits["benign_any_flag"] += level != "none" or ask
            hits["benign_asked"] += ask and level != "crisis"  # asked the suicide question
        else:
            hits["concern_accuracy"] += level == "concern"
            hits["concern_to_crisis"] += level == "crisis"
            hits["concern_asked"] += ask and level != "crisis"
    of = {"crisis_recall": "crisis", "crisis_alert_or_ask": "crisis", "crisis_flagged": "crisis",
          "benign_false_crisis": "benign", "benign_any_flag": "benign", "benign_asked": "benign",
          "concern_accuracy": "concern", "concern_to_crisis": "concern",
          "concern_asked": "concern"}
    return {m: (hits[m] / n[of[m]] if n[of[m]] else float("nan")) for m in METRICS}


def _fmt(value: float) -> str:
    return "   -" if value != value else f"{value:.3f}"


def report(name: str, rows: list[dict], detect: Callable[[str], Verdict],
           rules_only: Callable[[str], Verdict], misses: bool) -> dict[str, float]:
    counts = Counter(r["label"] for r in rows)
    print(f"\n== {name}: {len(rows)} messages ({counts['crisis']} crisis, "
          f"{counts['concern']} concern, {counts['benign']} benign)")
    if name.endswith(":tune"):
        print("  (rules were written and the model trained on this part: in-sample figures)")
    ours = [detect(r["text"]) for r in rows]
    rules = [rules_only(r["text"]) for r in rows]
    base = [baseline(r["text"]) for r in rows]
    f_ours, f_rules, f_base = (figures(rows, v) for v in (ours, rules, base))
    print(f"  {'metric':22}{'sebaya':>9}{'rules':>9}{'keywords':>10}")
    for key in METRICS:
        print(f"  {key:22}{_fmt(f_ours[key]):>9}{_fmt(f_rules[key]):>9}{_fmt(f_base[key]):>10}")
    caught_model = sum(1 for r, v in zip(rows, ours, strict=True)
                       if r["label"] == "crisis" and v[0] == "crisis" and v[2])
    caught_rules = sum(1 for r, v in zip(rows, ours, strict=True)
                       if r["label"] == "crisis" and v[0] == "crisis" and not v[2])
    false_model = sum(1 for r, v in zip(rows, ours, strict=True)
                      if r["label"] != "crisis" and v[0] == "crisis" and v[2])
    false_rules = sum(1 for r, v in zip(rows, ours, strict=True)
                      if r["label"] != "crisis" and v[0] == "crisis" and not v[2])
    print(f"  crisis caught: by rules {caught_rules}, by the model only {caught_model}; "
          f"non-crisis alerted: by rules {false_rules}, by the model only {false_model}")
    _breakdown("language", "lang", rows, ours)
    if any(r.get("category") for r in rows):
        _breakdown("category", "category", rows, ours)
    if misses:
        for row, (level, ask, by_model) in zip(rows, ours, strict=True):
            wrong = (row["label"] == "crisis") != (level == "crisis") or (
                row["label"] == "benign" and (level != "none" or ask)) or (
                row["label"] == "concern" and level == "none")
            if wrong:
                how = level + (" +ask" if ask else "") + (" (model)" if by_model else "")
                print(f"  differs [{row['label']}/{row.get('category', '-')}] -> {how}: "
                      f"{row['text']!r}")
    return f_ours


def _breakdown(title: str, key: str, rows: list[dict], verdicts: list[Verdict]) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[str(row.get(key) or "?")].append(i)
    print(f"  per {title}: n  crisis recall / alert-or-ask | benign false crisis / any flag "
          "| concern accuracy")
    for value in sorted(groups, key=lambda v: (rows[groups[v][0]]["label"], v)):
        idx = groups[value]
        sub = [rows[i] for i in idx]
        f = figures(sub, [verdicts[i] for i in idx])
        c = Counter(r["label"] for r in sub)
        parts = []
        if c["crisis"]:
            parts.append(f"crisis {c['crisis']:3} {_fmt(f['crisis_recall'])}"
                         f"/{_fmt(f['crisis_alert_or_ask'])}")
        if c["benign"]:
            parts.append(f"benign {c['benign']:3} {_fmt(f['benign_false_crisis'])}"
                         f"/{_fmt(f['benign_any_flag'])}")
        if c["concern"]:
            parts.append(f"concern {c['concern']:3} {_fmt(f['concern_accuracy'])}")
        print(f"    {value:26} " + "  |  ".join(parts))


def speed(detector: Detector, texts: list[str]) -> None:
    print("\n== speed (one process, one thread, warm caches; best of 3 runs of 2 s)")
    for text in texts:
        detector.screen(text)
    rates = []
    for _ in range(3):  # best of three: other processes on a shared machine only slow it down
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < 2.0:
            for text in texts:
                detector.screen(text)
            runs += len(texts)
        rates.append(runs / (time.perf_counter() - start))
    rate = max(rates)
    print(f"  full detector (rules + model) {rate:>10,.0f} messages/s over {len(texts)} texts")
    print("  adversarial inputs (one screen each, ms):")
    for label, text in ADVERSARIAL.items():
        start = time.perf_counter()
        result = detector.screen(text)
        elapsed = (time.perf_counter() - start) * 1000
        print(f"    {label:22}{elapsed:>8.1f}   -> {result.level}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    choices = ["dev", "extra:tune", "extra:check", "corpus:tune", "corpus:check", "heldout_old",
               *FROZEN]
    parser.add_argument("--sets", nargs="*", choices=choices, default=choices)
    parser.add_argument("--misses", action="store_true",
                        help="list wrong verdicts (dev, tune parts and heldout_old only)")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    detector = Detector()

    def detect(text: str) -> Verdict:
        r = detector.screen(text)
        return r.level, bool(getattr(r, "ask", False)), bool(getattr(r, "by_model", False))

    rules_screen = getattr(detector, "screen_rules", detector.screen)

    def rules_only(text: str) -> Verdict:
        r = rules_screen(text)
        return r.level, bool(getattr(r, "ask", False)), False

    summary = {}
    texts: list[str] = []
    for name, rows in load_sets(args.sets).items():
        show = args.misses and not name.endswith(":check") and name not in FROZEN
        summary[name] = report(name, rows, detect, rules_only, show)
        if name in ("dev", "extra:tune", "corpus:tune"):
            texts += [r["text"] for r in rows]
    print("\n== summary (sebaya)")
    print(f"  {'set':14}" + "".join(f"{m[:14]:>15}" for m in METRICS))
    for name, f in summary.items():
        print(f"  {name:14}" + "".join(f"{_fmt(f[m]):>15}" for m in METRICS))
    if not args.no_speed and texts:
        speed(detector, texts)


if __name__ == "__main__":
    main()
