"""The needs survey (angket, issue #17 item 5): what a questionnaire is, read from YAML.

Guru BK writes a short anonymous questionnaire in ``flows/angket/*.yaml``: items grouped by
BK area (pribadi, sosial, belajar, karier), each a yes/no question or a 1-4 scale, with its
wording in every language the school offers (inline, so one file is one angket a teacher
can copy for the next semester). Answers are counted per item, never tied to a student or a
case; the report shows them per area with small counts suppressed (bot/reports/angket.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import FlowError
from bot.yamlsrc import LineDict, LineList, YamlSyntaxError, read_yaml

FOLDER = Path("angket")  # under the flows folder
AREAS = ("pribadi", "sosial", "belajar", "karier")
KINDS = {"yes_no": ("ya", "tidak"), "scale_4": ("1", "2", "3", "4")}
MAX_ITEMS = 40  # a chat questionnaire longer than this is not answered to the end
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Item:
    """One question: its area, its kind (the answers it takes) and its wording per language."""

    id: str
    area: str
    kind: str
    text: dict[str, str]

    @property
    def answers(self) -> tuple[str, ...]:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Angket:
    """A questionnaire: an id, a title and an opening line per language, and its items."""

    id: str
    title: dict[str, str]
    intro: dict[str, str]
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def areas(self) -> tuple[str, ...]:
        """The areas this angket asks about, in the fixed BK order."""
        used = {i.area for i in self.items}
        return tuple(a for a in AREAS if a in used)


def load_angkets(flows_dir: Path, languages: tuple[str, ...]) -> dict[str, Angket]:
    """Every ``flows/angket/*.yaml``, validated (file:line errors); {} when there is none."""
    folder = flows_dir / FOLDER
    if not folder.is_dir():
        return {}
    found: dict[str, Angket] = {}
    for path in sorted(folder.glob("*.yaml")):
        angket = load_angket(path, languages)
        if angket.id in found:
            raise FlowError(path, 1, "id", f"angket {angket.id!r} is defined twice",
                            "give each angket file its own id")
        found[angket.id] = angket
    return found


def load_angket(path: Path, languages: tuple[str, ...]) -> Angket:
    """One angket file, checked: ids, areas, kinds, and wording in every language."""
    try:
        tree = read_yaml(path)
    except YamlSyntaxError as exc:
        raise FlowError(path, exc.line, "", exc.problem, "fix the YAML syntax") from exc

    def fail(line: int | None, where: str, what: str, hint: str = "") -> FlowError:
        return FlowError(path, line, where, what, hint)

    def wording(node: object, line: int | None, where: str) -> dict[str, str]:
        if not isinstance(node, dict):
            raise fail(line, where, "the wording must give each language",
                       "write it as {" + ", ".join(f"{lang}: ..." for lang in languages) + "}")
        texts = {}
        for lang in languages:
            text = node.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise fail(line, where, f"the {lang} wording is missing",
                           f"add {lang}: ... (every language students may choose)")
            texts[lang] = text.strip()
        return texts

    if not isinstance(tree, LineDict):
        raise fail(1, "", "an angket file must be a mapping", "start with id:, title:, items:")
    lines = tree.key_lines
    angket_id = tree.get("id")
    if not isinstance(angket_id, str) or not _ID.match(angket_id):
        raise fail(lines.get("id", 1), "id", "a short id is needed (a-z, 0-9, - and _)",
                   "e.g. id: kebutuhan-2026-ganjil")
    title = wording(tree.get("title"), lines.get("title", 1), "title")
    intro = wording(tree.get("intro"), lines.get("intro", 1), "intro")
    items = tree.get("items")
    if not isinstance(items, LineList) or not items:
        raise fail(lines.get("items", 1), "items", "an angket needs items",
                   "add items: with at least one question")
    if len(items) > MAX_ITEMS:
        raise fail(lines.get("items"), "items", f"{len(items)} items: at most {MAX_ITEMS}",
                   "students answer in a chat: keep it short")
    parsed: list[Item] = []
    for node, line in zip(items, items.item_lines, strict=True):
        if not isinstance(node, LineDict):
            raise fail(line, "item", "an item must be a mapping", "id:, area:, kind:, text:")
        item_id = node.get("id")
        where = f"item {item_id}" if item_id else "item"
        if not isinstance(item_id, str) or not _ID.match(item_id):
            raise fail(line, where, "an item needs a short id (a-z, 0-9, - and _)", "id: p1")
        if any(p.id == item_id for p in parsed):
            raise fail(line, where, f"item id {item_id!r} is used twice", "ids must be unique")
        area = node.get("area")
        if area not in AREAS:
            raise fail(node.key_lines.get("area", line), where, f"unknown area {area!r}",
                       "one of " + ", ".join(AREAS))
        kind = node.get("kind")
        if kind not in KINDS:
            raise fail(node.key_lines.get("kind", line), where, f"unknown kind {kind!r}",
                       "yes_no (ya/tidak) or scale_4 (1-4)")
        parsed.append(Item(item_id, area, kind,
                           wording(node.get("text"), node.key_lines.get("text", line), where)))
    return Angket(angket_id, title, intro, tuple(parsed))
