"""Affixes of Indonesian, Javanese and Sundanese verbs, for matching only, keeping the voice.

``analyses("disundutin")`` -> ``{("sundut", "pas"), ...}``; ``analyses("nyayatin")`` ->
``{("sayat", "act"), ...}``. A detector word of a *morphology class* (lexicon.yaml) is indexed by
its analyses, and an unknown token is read as the known word that shares its (root, voice):
"disundut" -> the class's passive form, "nyundut"/"sundutin" -> its active form. The voice is part
of the key, so "dibunuh" (someone was killed: the writer may be a victim) never becomes "membunuh"
(someone kills). The analyses over-generate on purpose; only keys that a detector word also has
are ever used, and only when they point at one word.
"""

from __future__ import annotations

from functools import lru_cache

# Suffixes (longest first): Indonesian -kan/-i/-an, colloquial -in, clitics, Javanese -ake/-ke/-ne
# /-e/-en/-i, Sundanese -keun/-na.
SUFFIXES = ("kannya", "innya", "keunna", "inlah", "kanlah", "keun", "kan", "ake", "nya", "lah",
            "in", "ke", "ne", "na", "an", "en", "i", "e")
PASSIVE = ("di", "ter", "ke", "ka", "kapi")  # di- passive, ter-/ke- accidental, Sundanese ka-
MIN_ROOT = 4


def _nasal(stem: str) -> set[str]:
    """Roots a nasal-prefixed stem may come from: nyayat -> sayat, mukul -> pukul."""
    out: set[str] = set()
    if stem.startswith("nge") and len(stem) > 5:
        return {stem[3:]}  # colloquial nge-: ngegores -> gores (never "kegores")
    if stem.startswith("ny"):
        out |= {"s" + stem[2:], "c" + stem[2:]}
    elif stem.startswith("ng"):
        rest = stem[2:]
        out |= {rest, "k" + rest} if rest[:1] in "aiueo" else {rest}
    elif stem.startswith("m"):
        rest = stem[1:]
        out |= {rest} if rest[:1] in "bp" else {"p" + rest}
    elif stem.startswith("n"):
        rest = stem[1:]
        out |= {rest} if rest[:1] in "dcjt" else {"t" + rest}
    return out


@lru_cache(maxsize=65536)
def analyses(word: str) -> frozenset[tuple[str, str]]:
    """Every (root, voice) the word may be: voice "pas" (di-, ter-, ke-) or "act"."""
    found: set[tuple[str, str]] = {(word, "act")}
    stems = {word}
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT - 1:
            stems.add(word[: -len(suffix)])
    for stem in stems:
        found.add((stem, "act"))
        for prefix in PASSIVE:
            if stem.startswith(prefix):
                found.add((stem[len(prefix):], "pas"))
        active = set()
        if stem.startswith("me"):
            active |= _nasal(stem[2:]) | {stem[2:]}
        if stem.startswith(("tak", "dak")):  # Javanese "tak iris": I slice
            active.add(stem[3:])
        active |= _nasal(stem)
        found |= {(root, "act") for root in active}
    return frozenset((root, voice) for root, voice in found
                     if len(root) >= MIN_ROOT and root.isalpha())


class MorphIndex:
    """Known words of the morphology classes by (root, voice)."""

    def __init__(self, words: set[str]) -> None:
        self._words = frozenset(words)
        self._by_key: dict[tuple[str, str], set[str]] = {}
        for word in words:
            for key in analyses(word):
                self._by_key.setdefault(key, set()).add(word)

    def lookup(self, token: str) -> str | None:
        """The known word sharing a (root, voice) with ``token``; None when the voice is unclear.

        A known word with only a suffix added is that word ("dipukulan", "dipukulin" ->
        "dipukul"): a suffix never changes who acts.
        """
        bare = {token[: -len(suffix)] for suffix in SUFFIXES
                if token.endswith(suffix) and len(token) - len(suffix) >= MIN_ROOT}
        known = bare & self._words
        if known:
            return max(known, key=lambda w: (len(w), w))
        found: dict[str, set[str]] = {}
        for key in analyses(token):
            for word in self._by_key.get(key, ()):
                found.setdefault(key[1], set()).add(word)
        if len(found) != 1:
            return None  # nothing known, or the token reads both ways: do not guess who acts
        (words,) = found.values()
        return min(words, key=lambda w: (len(w), w))
