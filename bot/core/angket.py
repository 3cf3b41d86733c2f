"""The needs survey (angket, issue #17 item 5): the questionnaire, and answering it in chat.

Guru BK writes a short anonymous questionnaire in ``flows/angket/*.yaml``: items grouped by
BK area (pribadi, sosial, belajar, karier), each a yes/no question or a 1-4 scale, with its
wording in every language the school offers (inline, so one file is one angket a teacher
can copy for the next semester). ``/angket buka ID [HARI]`` opens it, ``/angket tutup ID``
closes it; a student types ``/angket`` and answers with buttons, one question at a time,
skipping or stopping at will. Each answer is counted on its own (AnswerAngket), never tied to
the student or a case; a keyed mark of (angket, student) only refuses a second response. The
student's place in the questionnaire is bookkeeping in their conversation (``_angket``). The
report shows the answers per area with small counts suppressed (bot/reports/angket.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.context import Context
from bot.core.conversation import Outcome, Turn
from bot.core.effects import Audit
from bot.core.events import Button
from bot.core.feature import STAFF, STUDENT, ButtonRoute, Command, Feature, MenuEntry, Read
from bot.core.reads import AngketRuns
from bot.errors import FlowError
from bot.reports.figures import SMALL
from bot.yamlsrc import LineDict, LineList, YamlSyntaxError, read_yaml

FOLDER = Path("angket")  # under the flows folder
AREAS = ("pribadi", "sosial", "belajar", "karier")
KINDS = {"yes_no": ("ya", "tidak"), "scale_4": ("1", "2", "3", "4")}
MAX_ITEMS = 40  # a chat questionnaire longer than this is not answered to the end
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
COMMANDS = ("angket", "survey")
PREFIX = "ak:"  # ak:<item index>:<answer> | ak:<item index>:- (skip) | ak:<item index>:x (stop)
STATE = "_angket"  # {"id": angket id, "next": index of the next question}
DEFAULT_DAYS, MAX_DAYS = 14, 60
TEXTS = tuple(f"angket.{k}" for k in (
    "none_open", "intro", "question", "yes", "no", "skip", "stop", "thanks", "already",
    "stopped", "closed", "stale", "staff_only", "status", "status_line", "status_none",
    "status_open", "status_closed", "status_never", "usage", "unknown", "opened", "already_open",
    "closed_staff", "not_open", "days"))


def words(texts: Mapping[str, str], lang: str) -> str:
    """An angket's wording in ``lang``, or in its first language (a language the school
    stopped offering)."""
    return texts.get(lang) or next(iter(texts.values()), "")


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


# -- in the chat -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    """An angket's open period (``closed_at`` when guru BK closed it early) and how many
    students answered it, exact (what staff are shown hides a small count)."""

    angket_id: str
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    respondents: int = 0

    def is_open(self, now: dt.datetime) -> bool:
        return self.closed_at is None and self.opened_at <= now < self.closes_at


@dataclass(frozen=True)
class AngketView:
    """What an angket turn reads: every run, and for a student which angkets they began and
    their keyed mark for each open one (the runtime makes it; the core only passes it on)."""

    runs: tuple[RunView, ...] = ()
    begun: frozenset[str] = frozenset()
    marks: Mapping[str, str] = field(default_factory=dict)

    def open_ids(self, now: dt.datetime) -> tuple[str, ...]:
        return tuple(r.angket_id for r in self.runs if r.is_open(now))


@dataclass(frozen=True, slots=True)
class AnswerAngket:
    """Count one answer (and mark the student as answering, for one response each)."""

    angket_id: str
    mark: str
    item_id: str
    answer: str


@dataclass(frozen=True, slots=True)
class OpenAngket:
    angket_id: str
    closes_at: dt.datetime
    by: str


@dataclass(frozen=True, slots=True)
class CloseAngket:
    angket_id: str


def _reply(ctx: Context, turn: Turn, key: str, conv=None, effects: list | None = None,
           buttons: tuple[Button, ...] = (), **values: object) -> Outcome:
    outcome = Outcome(conv or turn.conversation, list(effects or ()))
    ctx.say(outcome, turn, key, buttons, **values)
    return outcome


def _question(ctx: Context, turn: Turn, angket: Angket, index: int, conv) -> Outcome:
    lang = conv.lang
    item = angket.items[index]
    labels = ([ctx.text("angket.yes", lang), ctx.text("angket.no", lang)]
              if item.kind == "yes_no" else list(item.answers))
    buttons = tuple(Button(label, f"{PREFIX}{index}:{answer}")
                    for label, answer in zip(labels, item.answers, strict=True))
    buttons += (Button(ctx.text("angket.skip", lang), f"{PREFIX}{index}:-"),
                Button(ctx.text("angket.stop", lang), f"{PREFIX}{index}:x"))
    text = words(item.text, lang)
    return _reply(ctx, turn, "angket.question", conv, buttons=buttons, i=index + 1,
                  n=len(angket.items), ask=text)


def student_command(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """/angket: begin the open angket, go on where the student stopped, or say why not."""
    view = turn.angket or AngketView()
    conv = turn.conversation
    lang = conv.lang
    open_ids = [i for i in view.open_ids(turn.now) if i in ctx.angkets]
    if not open_ids:
        return _reply(ctx, turn, "angket.none_open")
    state = conv.vars.get(STATE) or {}
    current = state.get("id")
    if current in open_ids and state.get("next", 0) < len(ctx.angkets[current].items):
        return _question(ctx, turn, ctx.angkets[current], int(state.get("next", 0)), conv)
    fresh = [i for i in open_ids if i not in view.begun and i != current]
    if not fresh:
        return _reply(ctx, turn, "angket.already")
    angket = ctx.angkets[fresh[0]]
    started = conv.moved(vars={**conv.vars, STATE: {"id": angket.id, "next": 0}})
    intro = _reply(ctx, turn, "angket.intro", started, title=words(angket.title, lang),
                   intro=words(angket.intro, lang))
    asked = _question(ctx, turn, angket, 0, started)
    return Outcome(started, [*intro.effects, *asked.effects])


def student_button(ctx: Context, turn: Turn) -> Outcome:
    """A press on a question's button: count the answer (or skip, or stop), then go on."""
    view = turn.angket or AngketView()
    conv = turn.conversation
    state = conv.vars.get(STATE) or {}
    angket = ctx.angkets.get(state.get("id", ""))
    index_text, _, answer = turn.data.removeprefix(PREFIX).partition(":")
    if angket is None or angket.id not in view.open_ids(turn.now):
        return _reply(ctx, turn, "angket.closed")
    index = int(state.get("next", 0))
    if not index_text.isdigit() or int(index_text) != index or index >= len(angket.items):
        if index >= len(angket.items):
            return _reply(ctx, turn, "angket.already")
        stale = _reply(ctx, turn, "angket.stale")
        return Outcome(conv, [*stale.effects, *_question(ctx, turn, angket, index,
                                                          conv).effects])
    item = angket.items[index]
    if answer == "x":
        return _reply(ctx, turn, "angket.stopped")
    if answer != "-" and answer not in item.answers:
        return _reply(ctx, turn, "angket.stale")
    effects: list = []
    if answer != "-":
        mark = view.marks.get(angket.id)
        if not mark:  # the runtime gives a mark for every open angket
            return _reply(ctx, turn, "angket.closed")
        effects.append(AnswerAngket(angket.id, mark, item.id, answer))
    moved = conv.moved(vars={**conv.vars, STATE: {"id": angket.id, "next": index + 1}})
    if index + 1 >= len(angket.items):
        return _reply(ctx, turn, "angket.thanks", moved, effects)
    asked = _question(ctx, turn, angket, index + 1, moved)
    return Outcome(moved, [*effects, *asked.effects])


def staff_command(ctx: Context, turn: Turn, args: str) -> Outcome:
    """Guru BK's /angket: the status of every angket, ``buka ID [HARI]``, ``tutup ID``."""
    if turn.party.role not in ("counselor", "backup"):
        return _reply(ctx, turn, "angket.staff_only",
                      effects=[Audit(turn.party.key, "staff_command_refused",
                                     {"command": "angket"})])
    view = turn.angket or AngketView()
    lang = turn.conversation.lang
    parts = args.split()
    verb = parts[0].lower() if parts else ""
    if not parts:
        return _status(ctx, turn, view)
    if verb not in ("buka", "open", "tutup", "close") or len(parts) < 2:
        return _reply(ctx, turn, "angket.usage")
    angket_id = parts[1]
    if angket_id not in ctx.angkets:
        return _reply(ctx, turn, "angket.unknown", id=angket_id,
                      ids=", ".join(sorted(ctx.angkets)) or "-")
    run = next((r for r in view.runs if r.angket_id == angket_id), None)
    if verb in ("tutup", "close"):
        if run is None or not run.is_open(turn.now):
            return _reply(ctx, turn, "angket.not_open", id=angket_id)
        return _reply(ctx, turn, "angket.closed_staff", effects=[
            CloseAngket(angket_id), Audit(turn.party.key, "angket_closed", {"id": angket_id})],
            id=angket_id, n=_count(run.respondents))
    days = DEFAULT_DAYS
    if len(parts) > 2:
        if not parts[2].isdigit() or not 1 <= int(parts[2]) <= MAX_DAYS:
            return _reply(ctx, turn, "angket.days", max=MAX_DAYS)
        days = int(parts[2])
    if run is not None and run.is_open(turn.now):
        return _reply(ctx, turn, "angket.already_open", id=angket_id,
                      until=_day(ctx, run.closes_at))
    until = turn.now + dt.timedelta(days=days)
    return _reply(ctx, turn, "angket.opened", effects=[
        OpenAngket(angket_id, until, turn.party.key.value),
        Audit(turn.party.key, "angket_opened", {"id": angket_id, "days": days})],
        id=angket_id, title=words(ctx.angkets[angket_id].title, lang),
        until=_day(ctx, until))


def _status(ctx: Context, turn: Turn, view: AngketView) -> Outcome:
    lang = turn.conversation.lang
    if not ctx.angkets:
        return _reply(ctx, turn, "angket.status_none")
    runs = {r.angket_id: r for r in view.runs}
    lines = []
    for angket_id, angket in sorted(ctx.angkets.items()):
        run = runs.get(angket_id)
        if run is None:
            state = ctx.text("angket.status_never", lang)
        elif run.is_open(turn.now):
            state = ctx.text("angket.status_open", lang, until=_day(ctx, run.closes_at),
                              n=_count(run.respondents))
        else:
            state = ctx.text("angket.status_closed", lang,
                              day=_day(ctx, run.closed_at or run.closes_at),
                              n=_count(run.respondents))
        lines.append(ctx.text("angket.status_line", lang, id=angket_id,
                               title=words(angket.title, lang), state=state))
    return _reply(ctx, turn, "angket.status", lines="\n".join(lines))


def _count(n: int) -> str:
    """A respondent count as staff see it in chat: a small one is "<5", as in the report."""
    return str(n) if n >= SMALL or n == 0 else f"<{SMALL}"


def _day(ctx: Context, moment: dt.datetime) -> str:
    return moment.astimezone(ctx.policy.tz).strftime("%d/%m %H:%M")


_RUNS = (Read("angket", lambda ask: AngketRuns(for_student=ask.role == STUDENT)),)

FEATURE = Feature(
    "angket",
    commands=(
        Command("angket", student_command, aliases=("survey",), reads=_RUNS,
                menu=(MenuEntry((STUDENT,), 35, "Isi angket BK", "Fill in the BK survey"),)),
        Command("angket", staff_command, STAFF, aliases=("survey",), reads=_RUNS,
                menu=(MenuEntry(("counselor",), 65, "Angket: status, buka, tutup"),)),
    ),
    buttons=(ButtonRoute(PREFIX, student_button, reads=_RUNS),),
    effects=(AnswerAngket, OpenAngket, CloseAngket),
)
