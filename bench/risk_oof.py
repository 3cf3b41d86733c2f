"""Out-of-fold view of the whole detector on the training side (the "tune" parts only).

Usage: python3 bench/risk_oof.py [--c 20] [--misses FILE] [--dump FILE]

The model is trained five times, each time without one fold of the tune rows (the same folds
bench/train_risk.py uses), and every tune row is screened by the rules plus the model that did
not see it, with the thresholds train_risk.py would choose. The figures say how the detector
does on messages its model never saw, without reading any "check" row: rule and model work is
judged here first, and on the check parts only now and then, as aggregates.

``--misses`` writes the wrong verdicts (tune rows only); ``--dump`` writes one JSON line per row
(rule level, model probabilities, cues) for offline analysis of gates and thresholds.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import train_risk as tr  # noqa: E402
from risk_bench import METRICS, _breakdown, _fmt, figures  # noqa: E402

from bot.risk.detector import Detector  # noqa: E402
from bot.risk.model import RiskModel  # noqa: E402


def fold_models(rows, grams, y, c) -> tuple[list[int], list[RiskModel]]:
    fold = tr.folds(rows)
    models = []
    for k in range(tr.FOLDS):
        train = [i for i, f in enumerate(fold) if f != k]
        models.append(tr.train_model([grams[i] for i in train], [y[i] for i in train], c, {}))
    return fold, models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--c", type=float, default=20.0)
    parser.add_argument("--misses", type=Path)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--weighting", default=None, choices=["label", "balanced"])
    parser.add_argument("--function-words", default=None, choices=["skip", "keep"])
    parser.add_argument("--concern-weight", type=float, default=None)
    parser.add_argument("--no-classes", action="store_true", help="no class features")
    parser.add_argument("--quiet", action="store_true", help="summary only")
    args = parser.parse_args()
    if args.concern_weight:
        tr.LABEL_WEIGHT["concern"] = args.concern_weight
    if args.function_words:
        tr.FUNCTION_WORDS_MODE = args.function_words
    if args.weighting:
        tr.WEIGHTING = args.weighting
    rows, used = tr.training_rows([])
    print("tune rows:", ", ".join(used), f"= {len(rows)}")
    rules_only = Detector(model=None)
    if args.no_classes:
        tr.CLASS_FEATURES = ()
    tr.set_lexicon(rules_only.ruleset.classes)
    tokens = tr.token_lists(rules_only, [r["text"] for r in rows])
    grams = [tr.gram_lists(t) for t in tokens]
    y = [tr.model_class(r) for r in rows]
    fold, models = fold_models(rows, grams, y, args.c)
    for model in models:
        model.use_lexicon(rules_only.ruleset.classes)
    results = [rules_only.screen_rules(r["text"]) for r in rows]
    opinions = [models[f].opinion(t) for f, t in zip(fold, tokens, strict=True)]
    p_crisis = np.array([o.crisis for o in opinions])
    p_concern = np.array([o.concern for o in opinions])
    chosen = tr.choose(rows, results, p_crisis, p_concern, tokens)
    shell = Detector(model=models[0])
    for model in models:
        model.threshold, model.ask_threshold = chosen["threshold"], chosen["ask_threshold"]
        model.concern_threshold, model.min_words = chosen["concern_threshold"], chosen["min_words"]
    verdicts = []
    final = []
    for f, result, opinion in zip(fold, results, opinions, strict=True):
        shell.model = models[f]
        out = copy.deepcopy(result)
        shell._second_opinion(out, opinion)
        final.append(out)
        verdicts.append((out.level, out.ask, out.by_model))
    by_source: dict[str, list[int]] = {}
    only = {r["_source"] for r in rows if r.get("_train_only")}
    for i, row in enumerate(rows):
        by_source.setdefault(row["_source"], []).append(i)
    scored = [i for i, r in enumerate(rows) if r["_source"] not in only]
    print(f"\n  {'set (tune, out of fold)':26}" + "".join(f"{m[:14]:>15}" for m in METRICS))
    print(f"  (training-only files {sorted(only)} train every fold; not in 'all')")
    for name, idx in [("all", scored), *by_source.items()]:
        f = figures([rows[i] for i in idx], [verdicts[i] for i in idx])
        print(f"  {name:26}" + "".join(f"{_fmt(f[m]):>15}" for m in METRICS))
    model_tp = sum(1 for r, v in zip(rows, verdicts, strict=True)
                   if r["label"] == "crisis" and v[0] == "crisis" and v[2])
    model_fp = Counter(r["label"] for r, v in zip(rows, verdicts, strict=True)
                       if r["label"] != "crisis" and v[0] == "crisis" and v[2])
    print(f"  model-only crisis: {model_tp} right, wrong {dict(model_fp)}")
    if not args.quiet:
        _breakdown("language", "lang", [rows[i] for i in scored], [verdicts[i] for i in scored])
        _breakdown("category", "category", [rows[i] for i in scored],
                   [verdicts[i] for i in scored])
    if args.misses:
        with args.misses.open("w", encoding="utf-8") as out:
            for row, res, (level, ask, by_model) in zip(rows, final, verdicts, strict=True):
                wrong = (row["label"] == "crisis") != (level == "crisis") or (
                    row["label"] == "benign" and (level != "none" or ask)) or (
                    row["label"] == "concern" and level == "none") or (
                    row["label"] == "crisis" and level != "crisis" and not ask)
                if wrong:
                    how = level + (" +ask" if ask else "") + (" (model)" if by_model else "")
                    out.write(f"[{row['label']}/{row.get('category', '-')}/{row.get('lang')}] "
                              f"-> {how} p={res.model_score:.2f} rules={','.join(res.rules)}: "
                              f"{row['text']}\n")
        print(f"misses written to {args.misses}")
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for row, res, op, toks in zip(rows, results, opinions, tokens, strict=True):
                out.write(json.dumps({
                    "text": row["text"], "label": row["label"], "category": row.get("category"),
                    "lang": row.get("lang"), "source": row["_source"], "rule": res.rule_level,
                    "lowered": res.context_lowered, "rules": res.rules, "ask": res.ask,
                    "p": round(op.crisis, 4), "pc": round(op.concern, 4), "kind": op.category,
                    "cues": getattr(res, "cues", []), "tokens": toks}, ensure_ascii=False) + "\n")
        print(f"dump written to {args.dump}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
