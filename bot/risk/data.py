"""Labelled message files (JSON Lines) and the fixed tune/check split.

A line is ``{"text", "label", "category"?, "lang"?, "note"?}``; a line with a ``_meta`` key is a
header (who wrote the file, when, under which labelling policy) and is skipped.

The split is fixed per text, not per file: ``sha256(text)`` decides whether a message belongs to
"check" (about 20%) or "tune". A message never moves between the two when files grow, and the
choice is independent of the label, so every label (and category, and language) is split in the
same expected proportion. Rules are written and the model is trained on "tune" only; "check" is
read as aggregate figures only, to see whether a mechanism generalises.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

LABELS = ("crisis", "concern", "benign")
CHECK_FRACTION = 0.20
_SPLIT_SALT = b"sebaya-risk-split-v1:"


class DataError(ValueError):
    """A labelled data file has a line that is not a valid message record."""


def split_of(text: str) -> str:
    """``"check"`` for about 20% of texts (by their sha256), ``"tune"`` for the rest."""
    digest = hashlib.sha256(_SPLIT_SALT + text.encode("utf-8")).digest()
    return "check" if int.from_bytes(digest[:8], "big") < CHECK_FRACTION * 2**64 else "tune"


def load_jsonl(path: Path, strict: bool = True) -> list[dict]:
    """Records of a labelled file, header lines skipped.

    Raises:
        DataError: a line is not JSON, or (strict) lacks a text or a known label.
    """
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or "_meta" in row:
            continue
        if strict and (not isinstance(row.get("text"), str) or row.get("label") not in LABELS):
            raise DataError(f"{path}:{number}: need a text and a label in {LABELS}")
        rows.append(row)
    return rows


def split(rows: Iterable[dict], part: str) -> list[dict]:
    """The rows of one part ("tune" or "check")."""
    return [r for r in rows if split_of(r["text"]) == part]
