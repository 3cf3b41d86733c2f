"""Normalisation with a record of every step, so a counselor can see how a text was read.

NFKC, casefold; invisible characters removed (zero-width, bidi controls and isolates, U+180E);
Cyrillic and Greek look-alike letters folded to Latin ("рengen"); combining marks removed
(zalgo); spaced or dotted letters joined ("P E N G E N", "b.u.n.d.i.r"); a skull or coffin
right after a wish ("pengen 💀") read as "mati", an emoji of a means as its word ("💊" ->
"pil"), other laughing emoji read as laughter; a wish
glued to the next word split ("pengenmati", from "p.e.n.g.e.n m.a.t.i" too); reduplication
folded ("pegang2", "mukul-mukul" -> one word); tokens de-leeted ("d1ri"),
masked letters resolved against the rule vocabulary ("b*nuh"), long letter runs collapsed
("matiii"), slang expanded ("pgn", "bundir", "kms"), clitics split ("lukanya" -> "luka nya"),
affixed verbs of the morphology classes read as the known word of the same voice ("disundut",
"sayatin"), vowel-dropped abbreviations read as the one rule word they abbreviate ("tnpa" ->
"tanpa", "hdp" -> "hidup"; never when two words fit), and one typo tolerated in words of 5+
letters when the word is not itself a known Indonesian word. Who acts is kept: "dibunuh" and
"membunuh" never meet.

Punctuation becomes a clause boundary (``,``); a line break becomes a soft boundary (``/``): it
ends a clause for context rules, but a phrase split over it ("bunuh\\ndiri") still matches.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from bot.risk.morph import MorphIndex, analyses

BOUNDARY = ","  # clause boundary token: punctuation
BREAK = "/"  # soft boundary token: a line break
BOUNDARIES = frozenset((BOUNDARY, BREAK))
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
# Look-alike letters (after casefolding) an attacker swaps in so that a word no longer matches.
CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ո": "n", "к": "k",
    "м": "m", "т": "t", "в": "b", "н": "h", "г": "r", "п": "n", "ь": "b", "з": "3", "ч": "4",
    "ο": "o", "α": "a", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "ρ": "p", "ε": "e", "υ": "u",
    "η": "n", "μ": "u", "χ": "x", "γ": "y", "ω": "w", "β": "b", "ϲ": "c", "ѵ": "v", "ɑ": "a",
    "ɡ": "g", "ı": "i", "ɩ": "i", "ʏ": "y", "ᴜ": "u", "ꞵ": "b", "ӏ": "l", "ԍ": "g",
})
LAUGH_EMOJI = frozenset("🤣😂😆😹😝😜🤪💀☠😅🤭")
# Laughter typed as letters, of any length: wkwkwkw, awokwokwok, hahahah, hehehe, xixixi, kwkwkw.
_LAUGH_WORD = re.compile(r"^(a?(wk|kw)+w?k?|(ha)+h?a?|(he)+h?|(hi)+h?|(xi)+x?|(aw?ok)+(wok)*|"
                         r"(ah)+a?|(ka)+k?|(ck)+|l+m+a+o+|l+o+l+)$")
_LAUGH = re.compile("[" + "".join(sorted(LAUGH_EMOJI)) + "]+")
# An emoji of a means is read as its word, a run of them as the word repeated (at most three):
# "💊💊💊💊 malam ini" -> "pil pil pil malam ini" (the rules read a repeated means with a time).
MEANS_EMOJI = {"💊": "pil", "🔪": "pisau", "🗡": "pisau", "🪢": "tali", "🩸": "darah"}
_MEANS = re.compile("[" + "".join(MEANS_EMOJI) + "]+")


def _means_words(match: re.Match) -> str:
    return " " + " ".join(MEANS_EMOJI[c] for c in match.group(0)[:3]) + " "
# "pengen 💀", "mau ⚰️ aja": after a wish a skull or a coffin is the word, not laughter. Narrower
# than the @want class on purpose: "kayaknya 💀" (it seems hilarious) is laughter.
_WISH_DEATH = re.compile(r"\b(pengen|pingin|pengin|pgn|pgen|pen|mau|ingin|hayang|arep|kepengen|"
                         r"wanna|want to|pengennya|rasanya)\s*[💀☠⚰🪦]+")
GLUE_MIN = 3  # each part of a glued pair ("pengen|mati") has at least this many letters
_SPACED = re.compile(r"(?<![\w])((?:[a-z][ .\-_*]){2,}[a-z])(?![\w])")
_HYPHENED = re.compile(r"\b([a-z]{2,})-([a-z]{2,})\b")
_TOKEN = re.compile(r"[a-z0-9@$!*|]+(?:'[a-z]+)?|[,.;?:()\n]")
_QUOTE = re.compile(r"(?<![a-z0-9])['\"“”‘’«»](.+?)['\"“”‘’«»](?![a-z0-9])", re.S)
_REDUP2 = re.compile(r"^([a-z]{3,})2([a-z]{0,4})$")
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1")
_LEET = str.maketrans({"4": "a", "1": "i", "0": "o", "3": "e", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "l"})
_CLITICS = ("nya", "ku", "mu")
_REDUP_SUFFIXES = ("in", "i", "kan", "nya")
TYPO_MIN_LEN = 5  # tokens this long may carry one typo; shorter ones ("sh", "mati") match exactly


def known_words() -> frozenset[str]:
    """Indonesian root words shipped as a guard against "correcting" real words."""
    data = (resources.files("bot.risk") / "rules" / "kata-dasar.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(w for w in lines if w and not w.startswith("#"))


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


def _fold_hyphened(match: re.Match) -> str:
    """ "mukul-mukul" -> "mukul", "dipukul-pukul" -> "dipukul", "pukul-pukulin" -> "pukulin".

    "X-Xan" (bunuh-bunuhan, tembak-tembakan: a game or toy; deg-degan) is glued into one word
    ("bunuhbunuhan"), never read as X. Other hyphened pairs stay two words.
    """
    left, right = match.group(1), match.group(2)
    if left == right or (left.endswith(right) and len(right) >= 3):
        return left
    if right == left + "an":
        return left + right
    if right.startswith(left) and right[len(left):] in _REDUP_SUFFIXES:
        return right
    for suffix in _REDUP_SUFFIXES:  # "dipukul-pukulin" -> "dipukulin"
        root = right[: -len(suffix)]
        if right.endswith(suffix) and len(root) >= 3 and left.endswith(root):
            return left + suffix
    return f"{left} {right}"


_VOWELS = frozenset("aeiou")


def _phonetic_typo(token: str, word: str) -> bool:
    """One edit of the kinds teenagers' typos make: a vowel for a vowel, a vowel or an "h" more
    or less ("mathi", "nyekek", "bnuh"). Consonant swaps ("amused"/"abused") are other words."""
    if len(token) == len(word):
        diff = [(a, b) for a, b in zip(token, word, strict=True) if a != b]
        return len(diff) == 1 and diff[0][0] in _VOWELS and diff[0][1] in _VOWELS
    short, long_ = sorted((token, word), key=len)
    if len(long_) - len(short) != 1:
        return False
    for i, letter in enumerate(long_):
        if long_[:i] + long_[i + 1:] == short:
            return letter in _VOWELS or letter == "h"
    return False


SKELETON_MIN = 3  # an abbreviation keeps at least three consonants ("lbh", "hdp", "tnpa")


def _skeleton(word: str) -> str:
    return "".join(c for c in word if c not in _VOWELS)


def _vowels_dropped(token: str, word: str) -> bool:
    """``token`` is ``word`` with some vowels left out the way chat abbreviates ("tnpa", "prgi",
    "hdp"): only vowels between consonants, and none after a vowel the token kept, so that
    English words stay themselves ("best" is not "beset", "clan" not "clean")."""
    i, kept_vowel = 0, False
    for j, letter in enumerate(word):
        if i < len(token) and token[i] == letter:
            kept_vowel = kept_vowel or letter in _VOWELS
            i += 1
            continue
        if letter not in _VOWELS or kept_vowel:
            return False
        if (j and word[j - 1] in _VOWELS) or (j + 1 < len(word) and word[j + 1] in _VOWELS):
            return False
    return i == len(token)


def _edits1(word: str) -> Iterable[str]:
    """Deletions only: a symmetric-delete index finds substitutions, insertions, deletions."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class Normalizer:
    """Built once from the rule vocabulary and slang table; ``run`` is cheap per message.

    Args:
        vocabulary: every word the rules know (exact matches are never altered).
        slang: single-token abbreviations and their expansion.
        morph_words: words whose affixed forms read as them (same voice).
        typo_words: words a 5- or 6-letter token may reach with one typo.
        known: real words that are never typo-corrected (a root-word list).
    """

    def __init__(self, vocabulary: Iterable[str], slang: Mapping[str, str],
                 morph_words: Iterable[str] = (), typo_words: Iterable[str] = (),
                 known: Iterable[str] = (), glue_heads: Iterable[str] = (),
                 glue_tails: Iterable[str] = ()) -> None:
        self.vocabulary = frozenset(vocabulary)
        # a wish written glued to a death word ("pengenmati"): the wishes, longest first, and
        # the words they are split from (nothing else is ever split)
        self.glue_heads = tuple(sorted((w for w in glue_heads if w.isalpha()
                                        and len(w) >= GLUE_MIN), key=len, reverse=True))
        self.glue_tails = frozenset(w for w in glue_tails if w.isalpha() and len(w) >= GLUE_MIN)
        self.slang = {k: tuple(v.split()) for k, v in slang.items()}
        self.known = frozenset(known) - self.vocabulary
        self.morph = MorphIndex({w for w in morph_words if w.isalpha()})
        self._deletes: dict[str, set[str]] = {}
        typo = {w for w in typo_words if w.isalpha() and len(w) >= TYPO_MIN_LEN - 1}
        for word in typo:  # only risk words are reached by a typo, never function words
            for key in _edits1(word) | {word}:
                self._deletes.setdefault(key, set()).add(word)
        # vowel-dropped abbreviations: a rule word by its consonant skeleton ("tnpa" -> "tanpa")
        self._skeletons: dict[str, set[str]] = {}
        for word in self.vocabulary:
            key = _skeleton(word)
            if len(key) >= SKELETON_MIN and key != word:
                self._skeletons.setdefault(key, set()).add(word)
        self._cache: dict[str, tuple[tuple[str, ...], str]] = {}

    def run(self, text: str) -> Normalized:
        original = text
        steps: list[str] = []
        folded = unicodedata.normalize("NFKC", text).casefold()
        if folded != text:
            steps.append("nfkc+casefold")
        cleaned = _INVISIBLE.sub("", folded).replace("\u2028", "\n").replace("\u2029", "\n")
        if cleaned != folded:
            steps.append("removed invisible characters")
        if not cleaned.isascii():
            lookalike = cleaned.translate(CONFUSABLES)
            if lookalike != cleaned:
                cleaned = lookalike
                steps.append("folded look-alike letters")
            marks = _strip_marks(cleaned)
            if marks != cleaned:
                cleaned = marks
                steps.append("removed combining marks")
            wished = _WISH_DEATH.sub(r"\1 mati ", cleaned)
            if wished != cleaned:
                cleaned = wished
                steps.append("a skull after a wish read as mati")
            means = _MEANS.sub(_means_words, cleaned)
            if means != cleaned:
                cleaned = means
                steps.append("an emoji of a means read as its word")
            laughed = _LAUGH.sub(" wkwk ", cleaned)
            if laughed != cleaned:
                cleaned = laughed
                steps.append("laughing emoji read as wkwk")
        joined = _SPACED.sub(_join_spaced, cleaned)
        if joined != cleaned:
            steps.append("joined spaced letters")
        if "-" in joined:
            folded_redup = _HYPHENED.sub(_fold_hyphened, joined)
            if folded_redup != joined:
                steps.append("folded reduplication")
                joined = folded_redup
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

    @staticmethod
    def _boundary(kind: str, in_quote: bool, tokens: list[str], quoted: list[bool]) -> None:
        if not tokens:
            return
        if tokens[-1] in BOUNDARIES:
            if kind == BOUNDARY:
                tokens[-1] = BOUNDARY  # a full stop and a line break: a hard boundary
            return
        tokens.append(kind)
        quoted.append(in_quote)

    def _tokens(self, text: str, in_quote: bool, tokens: list[str], quoted: list[bool],
                steps: list[str]) -> None:
        for raw in _TOKEN.findall(text):
            if len(raw) == 1 and raw in ",.;?:()\n":
                self._boundary(BREAK if raw == "\n" else BOUNDARY, in_quote, tokens, quoted)
                continue
            stripped = raw.rstrip("!")
            out, note = self._token(stripped or raw)
            tokens.extend(out)
            quoted.extend([in_quote] * len(out))
            if note:
                steps.append(note)
            if stripped and stripped != raw:
                self._boundary(BOUNDARY, in_quote, tokens, quoted)

    def _token(self, raw: str) -> tuple[tuple[str, ...], str]:
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        result = self._resolve(raw)
        if len(self._cache) < 50_000:
            self._cache[raw] = result
        return result

    def _known(self, token: str) -> bool:
        return token in self.vocabulary or token in self.slang

    def _resolve(self, raw: str) -> tuple[tuple[str, ...], str]:
        token, notes = raw, []
        if len(raw) >= 4 and raw not in self.vocabulary and _LAUGH_WORD.match(raw):
            return ("wkwk",), f"laughter {raw}->wkwk"
        redup = _REDUP2.match(token)
        if redup:
            token = redup.group(1) + redup.group(2)
            notes.append(f"reduplication {raw}->{token}")
        if "*" in token:
            unmasked = self._unmask(token)
            if unmasked:
                notes.append(f"unmasked {token}->{unmasked}")
                token = unmasked
        if not token.isalpha() and any(c.isalpha() for c in token):
            deleeted = token.translate(_LEET).replace("*", "")
            if deleeted != token and deleeted.isalpha():
                notes.append(f"de-leet {token}->{deleeted}")
                token = deleeted
        if _RUN3.search(token):
            collapsed = _RUN3.sub(r"\1", token)
            notes.append(f"collapsed {token}->{collapsed}")
            token = collapsed
        if len(token) >= 4 and not self._known(token):
            token = self._variant(token, notes)  # short triggers (sh, kms) match exactly
        elif len(token) == SKELETON_MIN and not self._known(token):
            token = self._unvowelled(token, notes)
        if token in self.slang:
            expanded = self.slang[token]
            notes.append(f"slang {token}->{' '.join(expanded)}")
            return expanded, "; ".join(notes)
        split = self._split_clitic(token) or self._split_glued(token)
        if split:
            notes.append(f"split {token}->{' '.join(split)}")
            return split, "; ".join(notes)
        return (token,), "; ".join(notes)

    def _split_glued(self, token: str) -> tuple[str, ...] | None:
        """A wish glued to a word the rules know: "pengenmati" -> "pengen mati", "pgnbundir"
        -> "pgn bunuh diri". Never a word that is known as it is."""
        if len(token) < 2 * GLUE_MIN or self._known(token) or self._real_word(token):
            return None
        for head in self.glue_heads:
            rest = token[len(head):]
            if token.startswith(head) and rest in self.glue_tails:
                return (*self.slang.get(head, (head,)), *self.slang.get(rest, (rest,)))
        return None

    def _variant(self, token: str, notes: list[str]) -> str:
        """Doubled letters, v for u, affixed forms (same voice), then one typo."""
        for candidate in (_RUN2.sub(r"\1", token), token.replace("v", "u")):
            if candidate != token and self._known(candidate):
                notes.append(f"variant {token}->{candidate}")
                return candidate
        if self._split_clitic(token):
            return token
        if len(token) >= TYPO_MIN_LEN:
            stem = self.morph.lookup(token)
            if stem is not None:
                notes.append(f"affixes {token}->{stem}")
                return stem
        if len(token) >= TYPO_MIN_LEN and not self._real_word(token):
            found: set[str] = set()
            for key in _edits1(token) | {token}:
                found |= self._deletes.get(key, set())
            found = {w for w in found if _phonetic_typo(token, w)}
            if len(found) == 1:
                (match,) = found
                notes.append(f"typo {token}->{match}")
                return match
        return self._unvowelled(token, notes)

    def _unvowelled(self, token: str, notes: list[str]) -> str:
        """A vowel-dropped abbreviation ("lbh", "tnpa", "sndiri") read as the one rule word it
        abbreviates: same first and last letter, the token's letters in order with only vowels left
        out ("merk" is not "mereka").
        Nothing when two rule words fit ("bnyk": banyak or bonyok) or the token is a real word."""
        if not token.isalpha() or self._real_word(token):
            return token
        key = _skeleton(token)
        if len(key) < SKELETON_MIN or len(key) < len(token) - 2:
            return token  # mostly vowels left: not an abbreviation
        dropped = 2 if key == token else 1  # "bts" is not "bats": all consonants drop two
        found = [w for w in self._skeletons.get(key, ()) if w[0] == token[0]
                 and w[-1] == token[-1] and len(w) >= len(token) + dropped
                 and _vowels_dropped(token, w)]
        if len(found) == 1:
            notes.append(f"abbreviation {token}->{found[0]}")
            return found[0]
        return token

    def _real_word(self, token: str) -> bool:
        """A known root word, or an affixed form of one ("nyoret" is "coret", not "nyeret"), or of
        a word the rules know ("dibilang" is "bilang", not "dibalang")."""
        return token in self.known or any(root in self.known or root in self.vocabulary
                                          for root, _ in analyses(token))

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
