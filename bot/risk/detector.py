"""The risk detector: normalise, match rules, apply context to each matched span.

Context (data in lexicon.yaml, logic here): idioms ("mati lampu") and objects ("HP mau mati")
cancel a match; quoted speech counts only when the writer relates to it ("relate"), and a quoted
"go die" aimed at the writer is bullying (concern); a bare mention inside a story, lesson, news or
game frame is not about the writer; a negation right before a negatable rule makes it concern;
a past, resolved episode is concern; laughter lowers one step unless the writer says they are
serious, but a first-person death wish never drops below concern (the rule's floor).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.risk.normalize import BOUNDARY, Normalized, Normalizer
from bot.risk.patterns import Pattern
from bot.risk.rules import LEVELS, Rule, RuleSet, load_rules

LAUGH_EMOJI = frozenset("🤣😂💀😆😹😝😜🤪")
PAST = frozenset({"dulu", "pernah", "used", "once", "sempet", "sempat"})
RESOLVED = (("sekarang", "udah"), ("udah", "ga"), ("now", "i'm"), ("udah", "baikan"),
            ("sekarang", "ga"), ("udah", "lewat"), ("not", "anymore"))
WEIGHT = {"none": 0.0, "concern": 0.4, "crisis": 1.0}
ABOUT_TO = frozenset({"mau", "hampir", "bakal", "udah", "almost", "about"})


@dataclass(frozen=True)
class Hit:
    rule: Rule
    start: int
    end: int
    level: str
    category: str
    notes: tuple[str, ...]


@dataclass
class RiskResult:
    """The verdict and why: level, score, rules that fired, spans, what suppressed what."""

    level: str
    score: float
    rules: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    spans: list[str] = field(default_factory=list)
    suppressions: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    normalized: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "score": round(self.score, 2), "rules": self.rules,
                "categories": self.categories, "spans": self.spans,
                "suppressions": self.suppressions}


def _lower(level: str, floor: str) -> str:
    lowered = LEVELS[max(0, LEVELS.index(level) - 1)]
    return lowered if LEVELS.index(lowered) >= LEVELS.index(floor) else floor


class _Context:
    """Facts about one message that context rules consult (built only when a rule matched)."""

    def __init__(self, norm: Normalized, classes: dict[str, frozenset[str]],
                 idioms: dict[str, list[tuple[str, ...]]]) -> None:
        self.tokens = tokens = norm.tokens
        self.quoted = norm.quoted
        self.classes = classes
        present = set(tokens)
        self.laughing = not present.isdisjoint(classes["laughter"]) or any(
            c in LAUGH_EMOJI for c in norm.original)
        self.serious = not present.isdisjoint(classes["serious"])
        self.framed = not present.isdisjoint(classes["frame"])
        self.has_self = not present.isdisjoint(classes["self"])
        self_ref = classes["self_ref"]
        self.self_ref = not present.isdisjoint(self_ref) and any(
            not q and t in self_ref for t, q in zip(tokens, norm.quoted, strict=True))
        self.idiom_at: set[int] = set()
        for i, token in enumerate(tokens):
            for idiom in idioms.get(token, ()):
                if tuple(tokens[i:i + len(idiom)]) == idiom:
                    self.idiom_at.update(range(i, i + len(idiom)))

    def clause_before(self, start: int, width: int) -> list[str]:
        out = []
        for i in range(start - 1, max(-1, start - width - 1), -1):
            if self.tokens[i] == BOUNDARY:
                break
            out.append(self.tokens[i])
        return out

    def in_class(self, words: Iterable[str], name: str) -> bool:
        cls = self.classes[name]
        return any(w in cls for w in words)


class Detector:
    """Screens text; built once (rules compiled, anchors indexed), then cheap per message."""

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.ruleset = rules or load_rules()
        self.normalizer = Normalizer(self.ruleset.vocabulary(), self.ruleset.slang)
        self._idioms: dict[str, list[tuple[str, ...]]] = {}
        for idiom in self.ruleset.idioms:
            self._idioms.setdefault(idiom[0], []).append(idiom)
        self._index: dict[str, list[tuple[Rule, Pattern]]] = {}
        self._prefixed: list[tuple[tuple[str, ...], Rule, Pattern]] = []
        for rule in self.ruleset.rules:
            for pattern in rule.patterns:
                words, prefixes = pattern.anchors()
                for word in words:
                    self._index.setdefault(word, []).append((rule, pattern))
                if prefixes:
                    self._prefixed.append((prefixes, rule, pattern))

    @staticmethod
    @functools.cache
    def default() -> Detector:
        """The detector of the shipped rules, built once per process (it is read-only)."""
        return Detector()

    def screen(self, text: str) -> RiskResult:
        norm = self.normalizer.run(text)
        tokens = norm.tokens
        matches: list[tuple[Rule, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for i, token in enumerate(tokens):
            candidates = self._index.get(token, ())
            if self._prefixed:
                extra = [(r, p) for pre, r, p in self._prefixed if token.startswith(pre)]
                if extra:
                    candidates = [*candidates, *extra]
            for rule, pattern in candidates:
                if (rule.id, i) in seen:
                    continue
                end = pattern.match_at(tokens, i)
                if end >= 0:
                    seen.add((rule.id, i))
                    matches.append((rule, i, end))
        if not matches:
            return RiskResult("none", 0.0, steps=norm.steps, normalized=" ".join(tokens))
        context = _Context(norm, self.ruleset.classes, self._idioms)
        return self._verdict(norm, [self._judge(r, s, e, context) for r, s, e in matches])

    def _judge(self, rule: Rule, start: int, end: int, ctx: _Context) -> Hit:
        span = ctx.tokens[start:end]
        level, category, notes = rule.level, rule.category, []
        if ctx.idiom_at.intersection(range(start, end)) and ctx.in_class(
                (ctx.tokens[i] for i in ctx.idiom_at.intersection(range(start, end))),
                "die") | ctx.in_class(span, "attack"):
            return Hit(rule, start, end, "none", category, ("idiom",))
        before = ctx.clause_before(start, 4)
        if ctx.in_class(before, "laugh_verb") and ctx.in_class(span, "die"):
            return Hit(rule, start, end, "none", category, ("idiom: dying of laughter",))
        if self._about_object(ctx, start, span, before):
            return Hit(rule, start, end, "none", category, ("about an object, not a person",))
        if ctx.quoted[start]:
            if ctx.in_class((t for t, q in zip(ctx.tokens, ctx.quoted, strict=True) if q),
                            "second"):
                level, category = "concern", "BULLY"
                notes.append("quoted insult aimed at the writer")
            elif ctx.self_ref:
                notes.append("quoted, but the writer relates to it")
            else:
                return Hit(rule, start, end, "none", category, ("quoted or reported speech",))
        elif ctx.framed and not ctx.self_ref and (
                (rule.mention and not ctx.in_class(span + before, "want")
                 and not ctx.in_class(span + before, "self"))
                or (rule.level == "concern" and not ctx.has_self)):
            return Hit(rule, start, end, "none", category, ("story, lesson, news or game frame",))
        if rule.negatable and ctx.in_class(ctx.clause_before(start, 2), "neg"):
            level = "concern"
            notes.append("negated")
        if level == "crisis" and self._past_resolved(ctx, start, end):
            level = "concern"
            notes.append("past and resolved")
        if ctx.laughing and not ctx.serious and level != "none":
            lowered = _lower(level, rule.floor)
            if lowered != level:
                notes.append(f"laughter: {level}->{lowered}")
                level = lowered
        if category in ("SI", "SH") and ctx.in_class(ctx.clause_before(start, 6), "friend"):
            category = "THIRD_PARTY"
        return Hit(rule, start, end, level, category, tuple(notes))

    @staticmethod
    def _about_object(ctx: _Context, start: int, span: list[str], before: list[str]) -> bool:
        """ "HP mau mati", "battery low, mau mati": a device about to die, not a person.

        Only "about to" words look past punctuation; "HP rusak, pengen mati" stays a risk.
        """
        if ctx.in_class(before + span, "self"):
            return False
        if ctx.in_class(before, "device"):
            return True
        wide = ctx.tokens[max(0, start - 5):start]
        return span[0] in ABOUT_TO and ctx.in_class(wide, "device") and not ctx.in_class(
            wide, "self")

    @staticmethod
    def _past_resolved(ctx: _Context, start: int, end: int) -> bool:
        if not PAST.intersection(ctx.tokens[max(0, start - 4):start]):
            return False
        after = ctx.tokens[end:]
        return any(after[i:i + 2] == list(pair) for pair in RESOLVED
                   for i in range(len(after) - 1))

    @staticmethod
    def _verdict(norm: Normalized, hits: list[Hit]) -> RiskResult:
        level = max((h.level for h in hits), key=LEVELS.index, default="none")
        live = [h for h in hits if h.level != "none"]
        top = [h for h in live if h.level == level]
        result = RiskResult(
            level=level,
            score=sum(WEIGHT[h.level] for h in live),
            rules=sorted({h.rule.id for h in live}),
            categories=sorted({h.category for h in top}),
            spans=[" ".join(norm.tokens[h.start:h.end]) for h in live],
            suppressions=[f"{h.rule.id} [{' '.join(norm.tokens[h.start:h.end])}]: "
                          + ", ".join(h.notes) for h in hits if h.notes],
            steps=norm.steps,
            normalized=" ".join(norm.tokens),
        )
        return result
