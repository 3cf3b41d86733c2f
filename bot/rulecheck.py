"""``sebaya check-rules``: every risk rule's examples trigger it and its not_examples do not,
checked without pytest, so a guru BK who edits ``bot/risk/rules/*.yaml`` sees at once which
example of which rule fails, with the file and line."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.risk.detector import Detector
from bot.risk.rules import RuleError, load_rules
from bot.yamlsrc import LineDict, LineList, read_mapping


@dataclass(frozen=True)
class RuleFailure:
    """One example that does not do what its rule says."""

    path: str
    line: int
    rule: str
    text: str
    expected: bool  # True: an example (must trigger); False: a not_example (must not)
    level: str
    fired: tuple[str, ...]
    suppressed: tuple[str, ...] = ()

    def render(self) -> str:
        what = ("example does not trigger it" if self.expected
                else "not_example triggers it")
        fired = ", ".join(self.fired) or "-"
        out = (f"{self.path}:{self.line}: rule {self.rule}: {what}: {self.text!r} "
               f"(level {self.level}; rules that fired: {fired})")
        if self.suppressed:
            out += "\n    suppressed: " + "; ".join(self.suppressed)
        return out


@dataclass(frozen=True)
class RuleCheck:
    rules: int
    examples: int
    failures: list[RuleFailure]


def _lines(folder: Path | None) -> dict[tuple[str, str, int], tuple[str, int]]:
    """(rule id, examples|not_examples, index) -> (file, line) of each example."""
    base = folder or Path(str(resources.files("bot.risk") / "rules"))
    out = {}
    for name in ("crisis", "concern"):
        path = base / f"{name}.yaml"
        tree = read_mapping(path, RuleError, "a rule file must be a mapping", "see crisis.yaml")
        items = tree.get("rules", LineList())
        for item, line in zip(items, getattr(items, "item_lines", []), strict=True):
            if not isinstance(item, LineDict):
                continue
            for key in ("examples", "not_examples"):
                texts = item.get(key)
                lines = getattr(texts, "item_lines", [])
                for index in range(len(texts or ())):
                    where = lines[index] if index < len(lines) else item.key_lines.get(key, line)
                    out[(str(item.get("id")), key, index)] = (str(path), where)
    return out


def check_rules(folder: Path | None = None) -> RuleCheck:
    """Run every example and not_example of the rules in ``folder`` (default: the shipped
    rules) through the rules (not the learned model: it is not what the examples test)."""
    ruleset = load_rules(folder)  # a broken file raises RuleError with file and line
    detector = Detector(ruleset, model=None)
    lines = _lines(folder)
    failures: list[RuleFailure] = []
    count = 0
    for rule in ruleset.rules:
        if not rule.examples:
            path, line = lines.get((rule.id, "examples", 0), ("", 0))
            failures.append(RuleFailure(path or "rules", line, rule.id,
                                        "(no examples: add at least one)", True, "-", ()))
        for key, texts, expected in (("examples", rule.examples, True),
                                     ("not_examples", rule.not_examples, False)):
            for index, text in enumerate(texts):
                count += 1
                result = detector.screen(text)
                if (rule.id in result.rules) != expected:
                    path, line = lines.get((rule.id, key, index), ("rules", 0))
                    failures.append(RuleFailure(path, line, rule.id, text, expected,
                                                result.level, tuple(result.rules),
                                                tuple(result.suppressions)))
    return RuleCheck(len(ruleset.rules), count, failures)
