"""The learned second opinion: a linear classifier over char and word n-grams, in numpy.

Trained by ``bench/train_risk.py`` (scikit-learn, training time only) and shipped as
``bot/risk/model/risk.npz``: a feature vocabulary, a weight matrix (features x classes), biases,
the class names, thresholds and training facts, and a sha256 over all of them, so a truncated or
edited file is refused. Loading never downloads anything; scoring is deterministic.

Features are read from the detector's normalised tokens (slang expanded, masks and leet undone):
character 2-5-grams inside each word (``c:`` + gram, the word padded with spaces) and word 1-2
grams inside a clause (``w:`` + words). Features are binary (a gram is there or not) and each
block is scaled to unit length (1/sqrt(its number of known grams)), so repeating a word changes
nothing; the known grams of each word are cached.

Classes are the detector's crisis categories (SI, SH, ABUSE, SEXUAL, HARM_OTHERS, BULLY_DANGER,
THIRD_PARTY, and MODEL for crisis lines without one), then "concern" and "benign". The crisis
probability is the sum over the crisis classes.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import SourceError
from bot.risk.normalize import BOUNDARIES, Normalized

FORMAT_VERSION = 1
CHAR_N = (2, 3, 4, 5)
ARRAYS = ("vocab", "weights", "bias", "classes", "meta")
NON_CRISIS = ("concern", "benign")
HINT = ("rebuild it with `python3 bench/train_risk.py` (or reinstall Sebaya); the bot does not "
        "run on rules alone")


class ModelError(SourceError):
    """The risk model's weights file is missing, unreadable or corrupt."""


def shipped_path() -> Path:
    return Path(str(resources.files("bot.risk") / "model" / "risk.npz"))


# Function words (pronouns, particles, prepositions, conjunctions, auxiliaries) of the languages
# students write in. A model that learned "dia", "aku", "me", "my" as signs of crisis alarmed on
# ordinary gossip ("dia juga suka ngomongin aku di belakang"): in a model trained with
# ``"function_words": "skip"`` they carry no feature of their own (no letter grams, no word
# unigram, no bigram of two of them); a bigram with a content word ("aku mati") stays.
_FUNCTION_WORDS = """
aku ak aq gue gw gua saya sy w ane aye kamu km lo lu loe elo elu kau dia doi ia mereka kita kami
kalian beliau nya ku mu diriku dirimu
ini itu tuh nih yang yg di ke dari pada dan atau juga jg sama sm ama buat untuk utk karena krn
soalnya kalau kalo klo kl kalo jadi jd terus trus terus dengan dgn sih deh dong kok kan ya yah
yaa aja ajah doang lah loh lho kah pun tapi tp tapii tetapi namun tuh gitu gini begitu begini
kayak kaya kek seperti sebagai oleh bahwa agar supaya biar tentang soal pas waktu saat ketika
udah udh sudah dah masih lagi lg akan bakal telah sedang lagi baru abis habis trs
ada adalah ialah the a an and or but so to of in on at for with from by about as into than then
i me my mine myself you your yours he him his she her hers it its we us our they them their
is am are was were be been being do does did doing have has had having will would can could
should shall may might must im i'm i've i'll i'd it's that's this that these those there here
just very really like also too not
kowe sampeyan dheweke iki kuwi iku sing karo lan nang neng ning ing wis wes ae wae to po yo
mung banjur uga ugi
abdi urang aing anjeun maneh manehna ieu eta nu ka ti jeung sareng teh mah oge ge atuh nya
geus tos keur
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())


def char_grams(token: str) -> list[str]:
    padded = f" {token} "
    return [padded[i:i + n] for n in CHAR_N for i in range(len(padded) - n + 1)]


def word_grams(tokens: list[str], skip: frozenset[str] = frozenset()) -> list[str]:
    """Word unigrams and bigrams inside clauses; ``skip``: words with no feature of their own
    (no unigram, no bigram of two of them)."""
    out: list[str] = []
    prev: str | None = None
    for token in tokens:
        if token in BOUNDARIES:
            prev = None
            continue
        if token not in skip:
            out.append(token)
        if prev is not None and not (prev in skip and token in skip):
            out.append(f"{prev} {token}")
        prev = token
    return out


def class_grams(tokens: list[str], token_classes: dict[str, tuple[str, ...]]) -> list[str]:
    """Lexicon classes of the words, alone and in pairs of neighbours inside a clause: "hayang
    paeh" and "pengen mati" both give "want", "die" and "want die". What a class knows, the
    model knows too (a new word in a class is read like its classmates)."""
    out: list[str] = []
    prev: tuple[str, ...] = ()
    for token in tokens:
        if token in BOUNDARIES:
            prev = ()
            continue
        cur = token_classes.get(token, ())
        out.extend(cur)
        for a in prev:
            for b in cur:
                out.append(f"{a} {b}")
        prev = cur
    return out


def token_class_map(classes: dict[str, frozenset[str]],
                    names: list[str]) -> dict[str, tuple[str, ...]]:
    """word -> the classes (of ``names``) it belongs to, in a fixed order."""
    out: dict[str, list[str]] = {}
    for name in sorted(names):
        for word in classes.get(name, ()):
            out.setdefault(word, []).append(name)
    return {w: tuple(c) for w, c in out.items()}


def sha256_of(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in ARRAYS:
        array = np.ascontiguousarray(arrays[name])
        digest.update(name.encode() + str(array.dtype).encode() + str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


@dataclass
class ModelOpinion:
    crisis: float = 0.0  # probability of any crisis class
    concern: float = 0.0
    category: str | None = None  # the likeliest crisis category
    probabilities: dict[str, float] = field(default_factory=dict)


class RiskModel:
    """Weights in memory, a per-word cache of gram rows, and the thresholds chosen at training."""

    def __init__(self, vocab: list[str], weights: np.ndarray, bias: np.ndarray,
                 classes: list[str], meta: dict[str, Any], path: str = "<memory>") -> None:
        self.path = path
        self.features = vocab
        self.row = {name: i for i, name in enumerate(vocab)}
        self._char_row = {n[2:]: i for n, i in self.row.items() if n.startswith("c:")}
        self._word_row = {n[2:]: i for n, i in self.row.items() if n.startswith("w:")}
        self._class_row = {n[2:]: i for n, i in self.row.items() if n.startswith("k:")}
        self.class_names: list[str] = list(meta.get("class_features", []))
        self._token_classes: dict[str, tuple[str, ...]] = {}
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.classes = classes
        self.meta = meta
        self.threshold = float(meta.get("threshold", 0.5))
        self.ask_threshold = float(meta.get("ask_threshold", self.threshold))
        self.concern_threshold = float(meta.get("concern_threshold", 1.01))
        self.min_words = int(meta.get("min_words", 0))
        self._crisis = np.array([c not in NON_CRISIS for c in classes])
        self._crisis_index = np.flatnonzero(self._crisis)
        self._concern = classes.index("concern") if "concern" in classes else -1
        self._words: dict[str, tuple[int, ...]] = {}
        self.skip = FUNCTION_WORDS if meta.get("function_words") == "skip" else frozenset()

    @classmethod
    def load(cls, path: Path | None = None) -> RiskModel:
        """The weights file (the shipped one by default).

        Raises:
            ModelError: the file is missing, not a weights file, of another format version, or
                its contents do not match their sha256.
        """
        path = path or shipped_path()
        if not path.is_file():
            raise ModelError(path, None, "risk model", "the weights file is missing", HINT)
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in (*ARRAYS, "format", "sha256")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(path, None, "risk model",
                             f"not a readable weights file ({type(exc).__name__})", HINT) from exc
        version = int(arrays["format"][0]) if arrays["format"].size else -1
        if version != FORMAT_VERSION:
            raise ModelError(path, None, "risk model", f"format {version}, this Sebaya reads "
                             f"format {FORMAT_VERSION}", HINT)
        expected = bytes(arrays["sha256"]).decode("ascii", "replace")
        if sha256_of(arrays) != expected:
            raise ModelError(path, None, "risk model",
                             "its contents do not match their sha256 (corrupt or edited)", HINT)
        vocab = bytes(arrays["vocab"]).decode("utf-8").split("\n")
        classes = bytes(arrays["classes"]).decode("utf-8").split("\n")
        meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
        weights = arrays["weights"]
        if weights.shape != (len(vocab), len(classes)) or arrays["bias"].shape != (len(classes),):
            raise ModelError(path, None, "risk model", "array shapes do not agree", HINT)
        return cls(vocab, weights, arrays["bias"], classes, meta, str(path))

    def save(self, path: Path) -> str:
        """Write the weights file; returns its sha256 of contents."""
        arrays = to_arrays(self.features, self.weights, self.bias, self.classes, self.meta)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)
        return bytes(arrays["sha256"]).decode()

    def use_lexicon(self, classes: dict[str, frozenset[str]]) -> None:
        """The detector's word classes, for the class features this model was trained with."""
        self._token_classes = token_class_map(classes, self.class_names)

    def _word(self, token: str) -> tuple[int, ...]:
        cached = self._words.get(token)
        if cached is None:
            rows = self._char_row
            cached = tuple({rows[g] for g in char_grams(token) if g in rows})
            if len(self._words) < 100_000:
                self._words[token] = cached
        return cached

    def logits(self, tokens: list[str]) -> np.ndarray:
        """Bias plus each feature kind's rows, summed and scaled by 1/sqrt(rows of that kind)
        (one gather and one product: numpy's cost is per call, not per row)."""
        char_rows: set[int] = set()
        word = self._word
        skip = self.skip
        for token in tokens:
            if token not in BOUNDARIES and token not in skip:
                char_rows.update(word(token))
        word_get = self._word_row.get
        word_rows = {r for r in map(word_get, word_grams(tokens, skip)) if r is not None}
        class_rows: set[int] = set()
        if self._class_row:
            class_get = self._class_row.get
            class_rows = {r for r in map(class_get, class_grams(tokens, self._token_classes))
                          if r is not None}
        rows: list[int] = []
        scales: list[float] = []
        for kind in (char_rows, word_rows, class_rows):
            if kind:
                rows.extend(kind)
                scales.extend([1 / math.sqrt(len(kind))] * len(kind))
        if not rows:
            return self.bias.copy()
        return self.bias + np.asarray(scales, dtype=np.float32) @ self.weights[rows]

    def opinion(self, tokens: list[str], detail: bool = False) -> ModelOpinion:
        """The model's probabilities for one normalised text (``detail``: every class)."""
        logits = self.logits(tokens)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        crisis_probs = probs[self._crisis_index]
        best = int(crisis_probs.argmax()) if len(crisis_probs) else -1
        return ModelOpinion(
            crisis=float(crisis_probs.sum()),
            concern=float(probs[self._concern]) if self._concern >= 0 else 0.0,
            category=self.classes[int(self._crisis_index[best])] if best >= 0 else None,
            probabilities=({c: float(p) for c, p in zip(self.classes, probs, strict=True)}
                           if detail else {}))

    def opinion_many(self, norms: list[Normalized]) -> ModelOpinion:
        """One opinion for a text screened in windows: the window most like a crisis."""
        opinions = [self.opinion(n.tokens) for n in norms]
        return max(opinions, key=lambda o: o.crisis)

    def strongest(self, tokens: list[str], top: int = 8) -> list[tuple[str, float]]:
        """The grams of this text that push most towards or away from crisis, for people.

        Letter grams are shown with ``_`` at word edges ("_mati_"), word grams in brackets.
        """
        crisis_cols = np.flatnonzero(self._crisis)
        others = np.flatnonzero(~self._crisis)
        push = self.weights[:, crisis_cols].max(axis=1) - self.weights[:, others].max(axis=1)
        scores: dict[str, float] = {}
        words = [t for t in tokens if t not in BOUNDARIES and t not in self.skip]
        chars = [("c:" + g) for t in words for g in char_grams(t)]
        grams = ["w:" + g for g in word_grams(tokens, self.skip)]
        kinds = ["k:" + g for g in class_grams(tokens, self._token_classes)]
        for names in (chars, grams, kinds):
            known = {name for name in names if name in self.row}
            for name in known:
                scores[name] = float(push[self.row[name]]) / math.sqrt(len(known))
        ranked = sorted(scores.items(), key=lambda kv: -abs(kv[1]))[:top]
        return [(name[2:].replace(" ", "_") if name.startswith("c:") else
                 (f"<{name[2:]}>" if name.startswith("k:") else f"[{name[2:]}]"), value)
                for name, value in ranked]


def to_arrays(vocab: list[str], weights: np.ndarray, bias: np.ndarray, classes: list[str],
              meta: dict[str, Any]) -> dict[str, np.ndarray]:
    arrays = {
        "vocab": np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
        "weights": np.asarray(weights, dtype=np.float16),
        "bias": np.asarray(bias, dtype=np.float32),
        "classes": np.frombuffer("\n".join(classes).encode("utf-8"), dtype=np.uint8),
        "meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8),
        "format": np.array([FORMAT_VERSION], dtype=np.int32),
    }
    arrays["sha256"] = np.frombuffer(sha256_of(arrays).encode("ascii"), dtype=np.uint8)
    return arrays
