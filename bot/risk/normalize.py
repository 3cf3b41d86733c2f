"""Normalisation with a record of every step, so a counselor can see how a text was read.

NFKC, casefold, zero-width and combining marks removed (zalgo), spaced or dotted letters joined
("P E N G E N", "b.u.n.d.i.r"), tokens de-leeted ("d1ri", "bvnvh"), masked letters resolved against
the rule vocabulary ("b*nuh"), long letter runs collapsed ("matiii"), slang expanded ("pgn",
"bundir", "kms"), clitics split ("lukanya" -> "luka nya") where the stem is a known word, and a
bounded fuzzy match (edit distance 1) for long words only. Trigger words are never stemmed:
"dibunuh" and "membunuh" differ in who acts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_SPACED = re.compile(r"(?<![\w])((?:[a-z][ .\-_*]){2,}[a-z])(?![\w])")
_TOKEN = re.compile(r"[a-z0-9@$!*|]+(?:'[a-z]+)?|[,.;?\n]")
_QUOTE = re.compile(r"(?<![a-z0-9])['\"“”‘’«»](.+?)['\"“”‘’«»](?![a-z0-9])")
BOUNDARY = ","  # clause boundary token: punctuation and line breaks
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1")
_LEET = str.maketrans({"4": "a", "1": "i", "0": "o", "3": "e", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "l"})
_CLITICS = ("nya", "ku", "mu")
MAX_CHARS = 4000  # screening looks at the first 4000 characters (the core keeps at most 2000)


@dataclass
class Normalized:
    """Tokens after normalisation, the text they came from, and what was done."""

    original: str
    text: str
    tokens: list[str]
    steps: list[str] = field(default_factory=list)
    quoted: list[bool] = field(default_factory=list)  # per token: inside quotation marks


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept)


def _join_spaced(match: re.Match) -> str:
    return re.sub(r"[ .\-_*]", "", match.group(1))


def _edits1(word: str) -> Iterable[str]:
    """Deletions only: a symmetric-delete index finds substitutions, insertions, deletions."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class Normalizer:
    """Built once from the rule vocabulary and slang table; ``run`` is cheap per message."""

    def __init__(self, vocabulary: Iterable[str], slang: Mapping[str, str],
                 fuzzy_min_len: int = 7) -> None:
        self.vocabulary = frozenset(vocabulary)
        self.slang = {k: tuple(v.split()) for k, v in slang.items()}
        self.fuzzy_min_len = fuzzy_min_len
        self._deletes: dict[str, set[str]] = {}
        for word in self.vocabulary:
            if len(word) >= fuzzy_min_len:
                for key in _edits1(word) | {word}:
                    self._deletes.setdefault(key, set()).add(word)
        self._cache: dict[str, tuple[tuple[str, ...], str]] = {}

    def run(self, text: str) -> Normalized:
        original = text
        steps: list[str] = []
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
            steps.append(f"cut to {MAX_CHARS} characters")
        folded = unicodedata.normalize("NFKC", text).casefold()
        if folded != text:
            steps.append("nfkc+casefold")
        cleaned = _ZERO_WIDTH.sub("", folded)
        if not cleaned.isascii():
            marks = _strip_marks(cleaned)
            if marks != cleaned:
                cleaned = marks
                steps.append("removed combining marks")
        if cleaned != folded and "removed combining marks" not in steps:
            steps.append("removed zero-width characters")
        joined = _SPACED.sub(_join_spaced, cleaned)
        if joined != cleaned:
            steps.append("joined spaced letters")
        tokens: list[str] = []
        quoted: list[bool] = []
        flat = joined.replace("-", " ").replace("_", " ")
        last = 0
        for match in _QUOTE.finditer(flat):
            self._tokens(flat[last:match.start()], False, tokens, quoted, steps)
            self._tokens(match.group(1), True, tokens, quoted, steps)
            last = match.end()
        self._tokens(flat[last:], False, tokens, quoted, steps)
        return Normalized(original, joined, tokens, steps, quoted)

    def _tokens(self, text: str, in_quote: bool, tokens: list[str], quoted: list[bool],
                steps: list[str]) -> None:
        for raw in _TOKEN.findall(text):
            if raw in ",.;?\n":
                if tokens and tokens[-1] != BOUNDARY:
                    tokens.append(BOUNDARY)
                    quoted.append(in_quote)
                continue
            out, note = self._token(raw.rstrip("!") or raw)
            tokens.extend(out)
            quoted.extend([in_quote] * len(out))
            if note:
                steps.append(note)

    def _token(self, raw: str) -> tuple[tuple[str, ...], str]:
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        result = self._resolve(raw)
        if len(self._cache) < 50_000:
            self._cache[raw] = result
        return result

    def _resolve(self, raw: str) -> tuple[tuple[str, ...], str]:
        token, notes = raw, []
        if "*" in token:
            unmasked = self._unmask(token)
            if unmasked:
                token = unmasked
                notes.append(f"unmasked {raw}->{token}")
        if not token.isalpha() and any(c.isalpha() for c in token):
            deleeted = token.translate(_LEET).replace("*", "")
            if deleeted != token and deleeted.isalpha():
                notes.append(f"de-leet {token}->{deleeted}")
                token = deleeted
        if _RUN3.search(token):
            collapsed = _RUN3.sub(r"\1", token)
            notes.append(f"collapsed {token}->{collapsed}")
            token = collapsed
        if len(token) >= 4 and token not in self.vocabulary and token not in self.slang:
            token = self._variant(token, notes)  # short triggers (sh, kms) match exactly
        if token in self.slang:
            expanded = self.slang[token]
            notes.append(f"slang {token}->{' '.join(expanded)}")
            return expanded, "; ".join(notes)
        split = self._split_clitic(token)
        if split:
            notes.append(f"split {token}->{' '.join(split)}")
            return split, "; ".join(notes)
        return (token,), "; ".join(notes)

    def _variant(self, token: str, notes: list[str]) -> str:
        """Known spelling variants: doubled letters, v for u, then bounded fuzzy."""
        for candidate in (_RUN2.sub(r"\1", token), token.replace("v", "u")):
            if candidate != token and (candidate in self.vocabulary or candidate in self.slang):
                notes.append(f"variant {token}->{candidate}")
                return candidate
        if len(token) >= self.fuzzy_min_len:
            found: set[str] = set()
            for key in _edits1(token) | {token}:
                found |= self._deletes.get(key, set())
            found = {w for w in found if abs(len(w) - len(token)) <= 1}
            if len(found) == 1:
                (match,) = found
                notes.append(f"fuzzy {token}->{match}")
                return match
        return token

    def _unmask(self, token: str) -> str | None:
        pattern = re.compile("^" + re.escape(token).replace(r"\*", "[a-z]") + "$")
        hits = [w for w in self.vocabulary if len(w) == len(token) and pattern.match(w)]
        return hits[0] if len(hits) == 1 else None

    def _split_clitic(self, token: str) -> tuple[str, ...] | None:
        if token in self.vocabulary:
            return None
        for clitic in _CLITICS:
            stem = token[: -len(clitic)]
            if token.endswith(clitic) and len(stem) >= 3 and (
                    stem in self.vocabulary or stem in self.slang):
                head = self.slang.get(stem, (stem,))
                return (*head, clitic)
        return None
