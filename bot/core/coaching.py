"""Coaching inside the chat, visible only to the peer (issue #17, item 2).

Before a peer's message is relayed, it is checked against deterministic rules in
``flows/coaching/rules.yaml`` (no text generation): a request for the student's identity or
contact, contact details, minimising, or a promise of secrecy while the case carries risk flags
is held back (the peer is told why and writes again: nothing is lost silently); directive
advice is relayed, then the peer gets a short nudge. Kinds with ``action: praise`` (reflecting,
validating, open questions) say nothing in a real chat; the practice chat
(``bot/core/practice.py``) names them. A student's own phone number, handle,
e-mail, link or address is masked before a peer reads it (the student is told once per case);
guru BK reads it unchanged. The student never sees a nudge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.context import Context
from bot.core.conversation import CaseView, Outcome, Turn
from bot.core.effects import Audit, to_helper, to_student
from bot.core.localized import staff_text
from bot.errors import FlowError
from bot.yamlsrc import LineDict, LineList, YamlSyntaxError, read_yaml

RULES_FILE = Path("coaching") / "rules.yaml"  # under the flows folder
ACTIONS = ("hold", "relay", "praise")  # praise: named in the practice chat only
MASK_TOLD = "_mask_told"  # the student's conversation: the case they were told about masking


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str, allowed: Sequence[str]) -> bool:
        return any(not _allowed(m.group(0), allowed)
                   for p in self.patterns for m in p.finditer(text))


@dataclass(frozen=True)
class KindSpec:
    name: str
    action: str  # hold | relay
    only_when_risk: bool = False


@dataclass(frozen=True)
class Finding:
    """What the rules found in one peer message: the kind, its action, the rule ids."""

    kind: str
    action: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Coaching:
    """The loaded rules. ``allowed``: texts never treated as contact details (the hotlines)."""

    kinds: dict[str, KindSpec]
    rules: tuple[Rule, ...]
    masks: tuple[Rule, ...]
    allowed: tuple[str, ...] = ()

    def check(self, text: str, risky: bool) -> list[Finding]:
        """Findings for a peer's message, held kinds first (in the file's order of kinds)."""
        norm = normalise(text)
        found: dict[str, list[str]] = {}
        for rule in self.rules:
            spec = self.kinds[rule.kind]
            if spec.only_when_risk and not risky:
                continue
            if rule.matches(norm, self.allowed):
                found.setdefault(rule.kind, []).append(rule.id)
        order = list(self.kinds)
        rank = {action: n for n, action in enumerate(ACTIONS)}
        return sorted((Finding(k, self.kinds[k].action, tuple(ids)) for k, ids in found.items()),
                      key=lambda f: (rank[f.action], order.index(f.kind)))

    def mask(self, text: str, label: str) -> tuple[str, tuple[str, ...]]:
        """The text with the student's contact details replaced by ``label``, and the ids of
        the masks that applied (matching ignores case; the rest of the text is kept as is)."""
        used: list[str] = []
        for rule in self.masks:
            def sub(m: re.Match[str], rule: Rule = rule) -> str:
                if _allowed(m.group(0), self.allowed):
                    return m.group(0)
                used.append(rule.id)
                return label
            for pattern in rule.patterns:
                text = pattern.sub(sub, text)
        return text, tuple(dict.fromkeys(used))


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _allowed(found: str, allowed: Sequence[str]) -> bool:
    """A hotline number or site is never a contact detail to hold or mask."""
    low, digits = found.casefold().strip(), _digits(found)
    return any(low in a.casefold() or (len(digits) >= 3 and digits in _digits(a))
               for a in allowed)


# -- in the chat -------------------------------------------------------------------------------


def risky(case: CaseView) -> bool:
    """The case carries risk flags (concern or crisis rules recorded, or a raised level)."""
    return bool(case.flags) or case.level in ("concern", "crisis")


def before_relay(ctx: Context, turn: Turn, text: str) -> tuple[Outcome | None, list]:
    """A peer's message to the student of ``turn.case``: (an Outcome holding it back, or None
    to relay) and the nudges to add after the relay. Only peers are coached."""
    case, rules = turn.case, ctx.coaching
    if rules is None or case is None or turn.party.role != "peer":
        return None, []
    findings = [f for f in rules.check(text, risky(case)) if f.action != "praise"]
    if not findings:  # good listening passes without a word (the practice chat names it)
        return None, []
    lang = turn.conversation.lang
    held = [f for f in findings if f.action == "hold"]
    shown = held[:1] or findings  # one reason at a time is enough to act on
    lines = [ctx.text(f"coach.{f.kind}", lang) for f in shown]
    audits = [Audit(turn.party.key, "coach_held" if f.action == "hold" else "coach_nudge",
                    {"code": case.code, "kind": f.kind, "rules": list(f.rules)})
              for f in findings]
    if held:
        message = ctx.text("coach.held", lang, code=case.code, why="\n".join(lines))
        return Outcome(turn.conversation, [to_helper(case.code, turn.party.key, message),
                                           *audits]), []
    message = ctx.text("coach.nudge", lang, code=case.code, why="\n".join(lines))
    return None, [to_helper(case.code, turn.party.key, message), *audits]


def for_peer(ctx: Context, case: CaseView, text: str) -> str:
    """A student's words as a peer may read them: contact details masked. Unchanged for a
    case that is not a peer's (guru BK reads everything)."""
    if ctx.coaching is None or case.route != "peer":
        return text
    return ctx.coaching.mask(text, ctx.text("coach.masked", ctx.catalog.default_lang))[0]


def masked_lines(ctx: Context, case: CaseView, lines: Iterable[str]) -> tuple[str, ...]:
    return tuple(for_peer(ctx, case, line) for line in lines)


def student_masked(ctx: Context, turn: Turn, case: CaseView, text: str) -> tuple[str, list]:
    """The student's message for the peer holding ``case``: masked, plus (the first time in
    this case) a kind word to the student and an audit row. The case keeps the words as
    written, for guru BK."""
    if ctx.coaching is None or case.route != "peer":
        return text, []
    masked, used = ctx.coaching.mask(text, ctx.text("coach.masked",
                                                      ctx.catalog.default_lang))
    if not used:
        return text, []
    effects: list = [Audit(None, "contact_masked", {"code": case.code, "masks": list(used)})]
    if turn.conversation.vars.get(MASK_TOLD) != case.id:
        effects.append(to_student(case.code, case.student, ctx.text(
            "coach.student_masked", turn.conversation.lang)))
    return masked, effects


def concern_nudge(ctx: Context, case: CaseView, new_rules: Sequence[str]) -> list:
    """Rising concern in the student's messages (rules not yet on the case): a word to the
    peer holding it, who alone sees it."""
    if case.route != "peer" or case.status != "active" or case.assignee is None:
        return []
    if not set(new_rules) - set(case.flags):
        return []
    return [to_helper(case.code, case.assignee, staff_text(
                ctx, "coach.concern", code=case.code)),
            Audit(None, "coach_nudge", {"code": case.code, "kind": "concern",
                                        "rules": sorted(new_rules)})]


# -- loading -----------------------------------------------------------------------------------

BASE_TEXTS = ("coach.held", "coach.nudge", "coach.masked", "coach.student_masked",
              "coach.concern")


def coaching_texts(rules: Coaching) -> tuple[str, ...]:
    """The catalog keys the rules need in every language."""
    return (*BASE_TEXTS, *(f"coach.{kind}" for kind in rules.kinds))



def load_coaching(flows_dir: Path, allowed: Sequence[str] = ()) -> Coaching | None:
    """``flows/coaching/rules.yaml`` validated (file:line errors); None when there is none."""
    path = flows_dir / RULES_FILE
    if not path.is_file():
        return None
    try:
        tree = read_yaml(path)
    except YamlSyntaxError as exc:
        raise FlowError(path, exc.line, "", exc.problem, "fix the YAML syntax") from exc
    if not isinstance(tree, LineDict):
        raise FlowError(path, 1, "", "expected kinds:, rules: and student_mask:", "")
    kinds = _kinds(path, tree.get("kinds"), tree.key_lines.get("kinds", 1))
    rules = tuple(_rule(path, item, line, kinds, many=True)
                  for item, line in _items(path, tree, "rules"))
    masks = tuple(_rule(path, item, line, None, many=False)
                  for item, line in _items(path, tree, "student_mask"))
    return Coaching(kinds, rules, masks, tuple(allowed))


def _kinds(path: Path, node: object, line: int) -> dict[str, KindSpec]:
    if not isinstance(node, LineDict) or not node:
        raise FlowError(path, line, "kinds", "no kinds", "add e.g. identity: {action: hold}")
    out = {}
    for name, spec in node.items():
        where, at = f"kinds.{name}", node.key_lines.get(name, line)
        if not isinstance(spec, dict) or spec.get("action") not in ACTIONS:
            raise FlowError(path, at, where, "action must be hold, relay or praise", "")
        if spec.get("only_when", "risk") != "risk":
            raise FlowError(path, at, where, "only_when can only be risk", "")
        out[str(name)] = KindSpec(str(name), spec["action"], "only_when" in spec)
    return out


def _items(path: Path, tree: LineDict, key: str) -> list[tuple[LineDict, int]]:
    node = tree.get(key)
    if not isinstance(node, LineList):
        raise FlowError(path, tree.key_lines.get(key, 1), key, "missing or not a list", "")
    return list(zip(node, node.item_lines, strict=True))


def _rule(path: Path, item: object, line: int, kinds: dict[str, KindSpec] | None,
          many: bool) -> Rule:
    if not isinstance(item, dict) or not item.get("id"):
        raise FlowError(path, line, "", "a rule needs an id", "add id: kind.name")
    rid = str(item["id"])
    kind = str(item.get("kind", "mask"))
    if kinds is not None and kind not in kinds:
        raise FlowError(path, line, rid, f"unknown kind {kind!r}",
                        f"use one of: {', '.join(kinds)}")
    raw = item.get("patterns") if many else [item.get("pattern")]
    if not raw or not all(isinstance(p, str) and p for p in raw):
        raise FlowError(path, line, rid, "no pattern", "add patterns: ['...']" if many
                        else "add pattern: '...'")
    try:
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in raw)
    except re.error as exc:
        raise FlowError(path, line, rid, f"bad pattern: {exc}", "fix the regular expression")\
            from exc
    rule = Rule(rid, kind, patterns)
    for example in item.get("examples") or ():
        if not rule.matches(normalise(example), ()):
            raise FlowError(path, line, rid, f"example {example!r} does not match",
                            "fix the pattern or the example")
    for example in item.get("not") or ():
        if rule.matches(normalise(example), ()):
            raise FlowError(path, line, rid, f"{example!r} (under not:) matches",
                            "make the pattern stricter")
    return rule
