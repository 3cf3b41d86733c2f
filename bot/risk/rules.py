"""Rule files (bot/risk/rules/*.yaml): word classes, idioms, slang, and rules with examples.

A guru BK may extend these files; a mistake fails at load with the file, line and a hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.errors import SourceError
from bot.risk.patterns import Pattern, PatternError, compile_pattern
from bot.yamlsrc import LineDict, LineList, read_mapping

LEVELS = ("none", "concern", "crisis")
RULE_KEYS = ("id", "category", "patterns", "floor", "negatable", "mention", "examples",
             "not_examples", "level", "ask", "steady", "cue", "unless")


class RuleError(SourceError):
    """A risk rule file is invalid."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    level: str
    patterns: tuple[Pattern, ...]
    floor: str = "none"
    negatable: bool = False
    mention: bool = False
    examples: tuple[str, ...] = ()
    not_examples: tuple[str, ...] = ()
    ask: bool = False  # a concern that deserves the direct question (hopelessness, burden ...)
    steady: bool = False  # laughter never lowers it (methods, plans, attempts)
    cue: str = ""  # a weak sign of a kind: two different rules of one cue make a crisis
    unless: str = ""  # a class: a word of it anywhere in the message drops the match


@dataclass(frozen=True)
class RuleSet:
    classes: dict[str, frozenset[str]]
    idioms: tuple[tuple[str, ...], ...]
    slang: dict[str, str]
    rules: tuple[Rule, ...]
    morphology: tuple[str, ...] = ()  # classes whose words teach their affixed forms
    typo: tuple[str, ...] = ()  # classes whose words tolerate one typo in 5-6 letter tokens
    # risk cues ("alert", "ask"): words and prefixes that let the model's guess alert or ask
    cues: dict[str, tuple[frozenset[str], tuple[str, ...]]] | None = None

    def morph_words(self) -> set[str]:
        return set().union(*(self.classes[c] for c in self.morphology))

    def typo_words(self) -> set[str]:
        words: set[str] = set().union(*(self.classes[c] for c in self.typo))
        return {w for w in words if w.isalpha()}

    def glue_tails(self) -> set[str]:
        """Words a wish may be glued to ("pengenmati", "pgnbundir"): death, vanishing, ending,
        and slang that expands to them."""
        words = set().union(*(self.classes.get(c, frozenset())
                              for c in ("die", "vanish", "end_verb")))
        return words | {k for k, v in self.slang.items() if words & set(v.split())
                        or "bunuh" in v.split()}

    def vocabulary(self) -> set[str]:
        words: set[str] = set().union(*self.classes.values())
        for rule in self.rules:
            for pattern in rule.patterns:
                for element in pattern.elements:
                    words |= element.words
        for idiom in self.idioms:
            words.update(idiom)
        for expansion in self.slang.values():
            words.update(expansion.split())
        return {w for w in words if w.isalpha()}


def _read(path: Path, text: str) -> LineDict:
    return read_mapping(path, RuleError, "a rule file must be a mapping", "see crisis.yaml", text)


def _rules(path: Path, tree: LineDict, level: str, classes: dict) -> list[Rule]:
    items = tree.get("rules", LineList())
    out = []
    for item, line in zip(items, getattr(items, "item_lines", []), strict=True):
        where = f"rule {item.get('id', '?')!r}" if isinstance(item, dict) else "rule"
        if not isinstance(item, LineDict) or "id" not in item or "patterns" not in item:
            raise RuleError(path, line, where, "a rule needs id and patterns",
                            "copy an existing rule and edit it")
        unknown = [k for k in item if k not in RULE_KEYS]
        if unknown:
            raise RuleError(path, item.key_lines[unknown[0]], where,
                            f"unknown key {unknown[0]!r}", f"allowed: {', '.join(RULE_KEYS)}")
        patterns = []
        for source, pline in zip(item["patterns"], item["patterns"].item_lines, strict=True):
            try:
                patterns.append(compile_pattern(str(source), classes))
            except PatternError as exc:
                raise RuleError(path, pline, where, f"pattern {source!r}: {exc}",
                                "see the pattern syntax at the top of crisis.yaml") from exc
        floor = item.get("floor", "none")
        if floor not in LEVELS:
            raise RuleError(path, item.key_lines["floor"], where, f"unknown floor {floor!r}",
                            "use none or concern")
        out.append(Rule(str(item["id"]), str(item.get("category", "OTHER")),
                        str(item.get("level", level)), tuple(patterns), floor,
                        bool(item.get("negatable", False)), bool(item.get("mention", False)),
                        tuple(item.get("examples", ())), tuple(item.get("not_examples", ())),
                        bool(item.get("ask", False)), bool(item.get("steady", False)),
                        str(item.get("cue", "")), str(item.get("unless", ""))))
        unknown = [c for c in out[-1].unless.split("|") if c and c not in classes]
        if unknown:
            raise RuleError(path, item.key_lines["unless"], where,
                            f"unknown class {unknown[0]!r}",
                            "name classes of lexicon.yaml `classes:`, joined by |")
    return out


def load_rules(folder: Path | None = None) -> RuleSet:
    """Load lexicon.yaml, crisis.yaml and concern.yaml (the shipped ones by default)."""
    base: Any = folder or resources.files("bot.risk") / "rules"
    files = {name: (Path(str(base / f"{name}.yaml")), (base / f"{name}.yaml").read_text(
        encoding="utf-8")) for name in ("lexicon", "crisis", "concern")}
    lex_path, lex_text = files["lexicon"]
    lexicon = _read(lex_path, lex_text)
    classes: dict[str, frozenset[str]] = {}
    for name, words in lexicon.get("classes", {}).items():
        odd = [w for w in words if not isinstance(w, (str, int)) or isinstance(w, bool)]
        if odd:  # YAML reads a bare no / yes / on / off as a boolean, not as the word
            raise RuleError(lex_path, lexicon["classes"].key_lines.get(name), f"class {name}",
                            f"{odd[0]!r} is not a word", 'quote it: "no", "yes", "on", "off"')
        classes[name] = frozenset(str(w).casefold() for w in words)
    idioms = tuple(tuple(str(i).split()) for i in lexicon.get("idioms", ()))
    slang = {str(k): str(v) for k, v in lexicon.get("slang", {}).items()}
    rules: list[Rule] = []
    for name, level in (("crisis", "crisis"), ("concern", "concern")):
        path, text = files[name]
        rules += _rules(path, _read(path, text), level, classes)
    for key in ("morphology", "typo"):
        for name in lexicon.get(key, ()):
            if name not in classes:
                raise RuleError(lex_path, lexicon.key_lines.get(key), key,
                                f"unknown class {name!r}", "name a class of `classes:`")
    ids = [r.id for r in rules]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuleError(files["crisis"][0], None, "rules", f"duplicate rule ids {duplicates}",
                        "give every rule its own id")
    cues: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
    for kind, entries in lexicon.get("cues", {}).items():
        words: set[str] = set()
        prefixes: list[str] = []
        for entry in entries:
            entry = str(entry).casefold()
            if entry.startswith("@"):
                if entry[1:] not in classes:
                    raise RuleError(lex_path, lexicon.key_lines.get("cues"), f"cues.{kind}",
                                    f"unknown class {entry!r}", "name a class of `classes:`")
                words |= classes[entry[1:]]
            elif entry.endswith("*"):
                prefixes.append(entry[:-1])
            else:
                words.add(entry)
        cues[str(kind)] = (frozenset(words), tuple(prefixes))
    return RuleSet(classes, idioms, slang, tuple(rules),
                   tuple(str(c) for c in lexicon.get("morphology", ())),
                   tuple(str(c) for c in lexicon.get("typo", ())), cues)
