"""A practice chat with a scripted student, with feedback after each reply (issue #17, item 1).

A peer types ``/praktik`` (``/practice``) and picks a scenario from
``flows/training/practice.yaml`` (texts in the catalogs, so every line is in id and en). The
scripted student sends its lines one at a time; after each reply of the peer the bot gives
short feedback with the SAME deterministic rules that coach real chats
(``flows/coaching/rules.yaml`` via bot/core/coaching.py): what a real chat would hold back
(and the student would not advance), the nudges, and the good listening the rules can tell
(``action: praise``). A line marked ``warning: true`` carries a danger sign: ``/eskalasi`` is
the right move, and missing it is named. A summary ends the scenario.

Practice never opens a case and sends nothing to anybody but the peer: its state is
``_practice`` in the peer's conversation, and the audit rows carry the scenario and counts
only. One safety net stays: crisis words in a reply are treated as in a real chat (held,
the chat would go to guru BK), and the peer gets a button to say the words were about
themselves, which tells guru BK like any peer's crisis words (bot/core/peer_risk.py).
With ``training.practice_required`` a finished practice is part of the training gate
(``training.practice_done``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core import peer_risk, training
from bot.core.context import Context
from bot.core.conversation import Conversation, Outcome, Turn
from bot.core.effects import Audit, Send
from bot.core.events import Button
from bot.core.feature import STAFF, ButtonRoute, Command, Feature, MenuEntry, refused_to_students
from bot.core.textclean import is_small_id
from bot.errors import FlowError
from bot.yamlsrc import LineDict, LineList, YamlSyntaxError, read_yaml

if TYPE_CHECKING:
    from bot.engine.catalog import Catalog

PRACTICE_FILE = Path("training") / "practice.yaml"  # under the flows folder
PREFIX = "pr:"  # pr:<scenario index>, or pr:me (the crisis words were about me)
STATE = "_practice"  # {"s": scenario, "i": lines shown, counts..., "risky", "warned"}
STOP_WORDS = ("berhenti", "stop", "keluar", "quit")
TEXTS = tuple(f"practice.{k}" for k in (
    "menu", "start", "student", "held", "nudge", "praise", "neutral", "missed_warning",
    "crisis_words", "about_me", "about_me_button", "escalate_right", "escalate_early", "summary",
    "summary_escalated", "summary_missed", "summary_clean", "summary_tips", "stopped",
    "not_now", "busy", "peers_only", "stale", "still_on", "gate_done"))


@dataclass(frozen=True)
class Line:
    text: str  # a catalog key
    warning: bool = False  # a danger sign: /eskalasi is the right move


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str  # catalog keys
    lines: tuple[Line, ...]
    debrief: str

    @property
    def has_warning(self) -> bool:
        return any(line.warning for line in self.lines)


@dataclass(frozen=True)
class Practice:
    """The scenarios of ``flows/training/practice.yaml``."""

    scenarios: tuple[Scenario, ...]


# -- in the chat -------------------------------------------------------------------------------


def active(ctx: Context, conv: Conversation) -> bool:
    """The peer is in a practice chat (their texts, /eskalasi and /selesai go to it). A
    practice the file no longer has (edited, or removed, meanwhile) is none."""
    return _scenario(ctx, conv.vars.get(STATE)) is not None


def _scenario(ctx: Context, state: object) -> Scenario | None:
    if ctx.practice is None or not isinstance(state, dict):
        return None
    s, i = state.get("s"), state.get("i")
    if not isinstance(s, int) or not 0 <= s < len(ctx.practice.scenarios):
        return None
    scenario = ctx.practice.scenarios[s]
    return scenario if isinstance(i, int) and 1 <= i <= len(scenario.lines) else None


def _send(turn: Turn, text: str, buttons: tuple[Button, ...] = ()) -> Send:
    return Send(turn.party.key, text, buttons)


def command(ctx: Context, turn: Turn, args: str) -> Outcome:
    """``/praktik``: the scenarios to pick from; ``/praktik berhenti`` stops the one running."""
    lang, conv = turn.conversation.lang, turn.conversation
    if ctx.practice is None or turn.party.role != "peer":
        return Outcome(conv, [_send(turn, ctx.text("practice.peers_only", lang))])
    state = conv.vars.get(STATE) if active(ctx, conv) else None
    if args.strip().casefold() in STOP_WORDS:
        if not state:
            return Outcome(conv, [_send(turn, ctx.text("practice.not_now", lang))])
        return _finish(ctx, turn, dict(state), stopped=True)
    if turn.held:  # a real student first
        return Outcome(conv, [_send(turn, ctx.text("practice.busy", lang))])
    if state:  # carry on: the line the scripted student waits on, again
        scenario = ctx.practice.scenarios[state["s"]]
        return Outcome(conv, [_send(turn, ctx.text("practice.still_on", lang)),
                              _line(ctx, turn, scenario, state["i"] - 1)])
    buttons = tuple(Button(ctx.text(s.title, lang), f"{PREFIX}{i}")
                    for i, s in enumerate(ctx.practice.scenarios))
    return Outcome(conv, [_send(turn, ctx.text("practice.menu", lang), buttons)])


def pressed(ctx: Context, turn: Turn) -> Outcome:
    """A scenario picked (``pr:N``), or ``pr:me``: the crisis words were about the peer."""
    lang, conv = turn.conversation.lang, turn.conversation
    data = turn.data.removeprefix(PREFIX)
    if data == "me":
        return peer_risk.noticed(ctx, turn, ctx.text("practice.about_me", ctx.catalog.default_lang))
    practice = ctx.practice
    if practice is None or turn.party.role != "peer" or not is_small_id(data) \
            or int(data) >= len(practice.scenarios) or active(ctx, conv):
        return Outcome(conv, [_send(turn, ctx.text("practice.stale", lang))])
    if turn.held:
        return Outcome(conv, [_send(turn, ctx.text("practice.busy", lang))])
    index = int(data)
    scenario = practice.scenarios[index]
    state = {"s": index, "i": 0, "replies": 0, "nudges": 0, "held": 0, "praise": 0,
             "risky": False, "warned": False}
    effects: list = [_send(turn, ctx.text("practice.start", lang,
                                          title=ctx.text(scenario.title, lang))),
                     Audit(turn.party.key, "practice_started", {"scenario": scenario.id})]
    state, shown = _next_line(ctx, turn, scenario, state)
    return Outcome(_with(conv, state), [*effects, shown])


def reply(ctx: Context, turn: Turn, text: str) -> Outcome:
    """The peer answered the scripted student: feedback by the coaching rules, then the next
    line (unless a real chat would have held the message back) or the summary."""
    assert ctx.practice is not None
    lang, conv = turn.conversation.lang, turn.conversation
    state = dict(conv.vars[STATE])
    scenario = ctx.practice.scenarios[state["s"]]
    warning = scenario.lines[state["i"] - 1].warning
    state["replies"] += 1
    if peer_risk.rule_crisis(ctx, text):  # as in a real chat: held, and the chat goes to guru BK
        state["held"] += 1
        note = _send(turn, ctx.text("practice.crisis_words", lang),
                     (Button(ctx.text("practice.about_me_button", lang), f"{PREFIX}me"),))
        if state["warned"]:
            return _finish(ctx, turn, {**state, "escalated": True}, [note])
        return Outcome(_with(conv, state), [note])
    findings = ctx.coaching.check(text, bool(state["risky"])) if ctx.coaching else []
    held = [f for f in findings if f.action == "hold"]
    nudges = [f for f in findings if f.action == "relay"]
    praise = [f for f in findings if f.action == "praise"]
    effects: list = []
    if held:  # one reason at a time, as in a real chat; the student waits for a new reply
        state["held"] += 1
        state["nudges"] += 1
        effects.append(_send(turn, ctx.text("practice.held", lang,
                                            why=ctx.text(f"coach.{held[0].kind}", lang))))
        return Outcome(_with(conv, state), effects)
    state["nudges"] += len(nudges)
    state["praise"] += bool(praise)
    lines = [ctx.text("practice.nudge", lang, why=ctx.text(f"coach.{f.kind}", lang))
             for f in nudges]
    if praise:
        lines.append(ctx.text("practice.praise", lang, why=" ".join(
            ctx.text(f"coach.{f.kind}", lang) for f in praise)))
    if warning:
        lines.append(ctx.text("practice.missed_warning", lang))
    effects.append(_send(turn, "\n".join(lines) or ctx.text("practice.neutral", lang)))
    if state["i"] >= len(scenario.lines):
        return _finish(ctx, turn, state, effects)
    state, shown = _next_line(ctx, turn, scenario, state)
    return Outcome(_with(conv, state), [*effects, shown])


def case_command(ctx: Context, turn: Turn, name: str, args: str) -> Outcome:
    """``/eskalasi`` or ``/selesai`` typed in the practice chat: nobody is alerted; the
    escalation is judged (right after a danger sign) and the scenario ends."""
    state = dict(turn.conversation.vars[STATE])
    if name != "eskalasi":
        return _finish(ctx, turn, state, stopped=True)
    key = "practice.escalate_right" if state["warned"] else "practice.escalate_early"
    return _finish(ctx, turn, {**state, "escalated": True},
                   [_send(turn, ctx.text(key, turn.conversation.lang))])


def _finish(ctx: Context, turn: Turn, state: dict, effects: list | None = None,
            stopped: bool = False) -> Outcome:
    assert ctx.practice is not None
    lang = turn.conversation.lang
    scenario = ctx.practice.scenarios[state["s"]]
    escalated = bool(state.get("escalated"))
    missed = scenario.has_warning and not escalated
    effects = list(effects or [])
    if stopped:
        effects.append(_send(turn, ctx.text("practice.stopped", lang)))
    else:
        verdict = "practice.summary_escalated" if escalated and state["warned"] \
            else "practice.summary_missed" if missed \
            else "practice.summary_clean" if not state["nudges"] else "practice.summary_tips"
        effects.append(_send(turn, "\n".join((
            ctx.text("practice.summary", lang, title=ctx.text(scenario.title, lang),
                     replies=state["replies"], nudges=state["nudges"], held=state["held"],
                     praise=state["praise"]),
            ctx.text(verdict, lang), ctx.text(scenario.debrief, lang)))))
    effects.append(Audit(turn.party.key, "practice_done", {
        "scenario": scenario.id, "replies": state["replies"], "nudges": state["nudges"],
        "held": state["held"], "praise": state["praise"], "escalated": escalated,
        "missed_warning": missed, "completed": not stopped}))
    conv = turn.conversation.moved(vars={**turn.conversation.vars, STATE: None})
    if not stopped:
        pending = bool(conv.vars.get(training.PENDING))
        conv, gate = training.practice_done(ctx, turn, conv)
        if pending:
            effects.append(_send(turn, ctx.text("practice.gate_done", lang)))
        effects += gate
    return Outcome(conv, effects)


def _next_line(ctx: Context, turn: Turn, scenario: Scenario, state: dict
               ) -> tuple[dict, Send]:
    """The scripted student's next line; the risk it carries (the real screen, or the
    file's ``warning``) makes the secrecy rule apply, as a risk flag would in a real case."""
    line = scenario.lines[state["i"]]
    words = ctx.text(line.text, turn.conversation.lang)
    verdict = ctx.risk.screen(words) if ctx.risk is not None else None
    risky = line.warning or (verdict is not None and verdict.level != "none")
    state = {**state, "i": state["i"] + 1, "risky": state["risky"] or risky,
             "warned": state["warned"] or line.warning}
    return state, _line(ctx, turn, scenario, state["i"] - 1)


def _line(ctx: Context, turn: Turn, scenario: Scenario, i: int) -> Send:
    lang = turn.conversation.lang
    return _send(turn, ctx.text("practice.student", lang,
                                text=ctx.text(scenario.lines[i].text, lang)))


def _with(conv: Conversation, state: dict) -> Conversation:
    return conv.moved(vars={**conv.vars, STATE: state})


# -- loading -----------------------------------------------------------------------------------


def load_practice(flows_dir: Path, catalog: Catalog, languages: tuple[str, ...]
                  ) -> Practice | None:
    """``flows/training/practice.yaml`` validated against the catalogs (file:line errors);
    None when the file is absent (then /praktik says there is nothing to practise)."""
    path = flows_dir / PRACTICE_FILE
    if not path.is_file():
        return None
    try:
        tree = read_yaml(path)
    except YamlSyntaxError as exc:
        raise FlowError(path, exc.line, "", exc.problem, "fix the YAML syntax") from exc

    def key(value: object, line: int | None, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise FlowError(path, line, where, "a text key is missing",
                            "add a key from flows/texts")
        for lang in languages:
            if not catalog.has(lang, value):
                raise FlowError(path, line, where, f"text {value!r} is missing in {lang}",
                                f"add it to flows/texts/{lang}.yaml")
        return value

    node = tree.get("scenarios") if isinstance(tree, LineDict) else None
    if not isinstance(node, LineList) or not node:
        raise FlowError(path, 1, "", "no scenarios", "add scenarios: with at least one")
    scenarios, seen = [], set()
    for item, line in zip(node, node.item_lines, strict=True):
        if not isinstance(item, LineDict) or not item.get("id"):
            raise FlowError(path, line, "scenario", "a scenario needs an id", "add id: name")
        where = f"scenario {item['id']}"
        if item["id"] in seen:
            raise FlowError(path, line, where, "the id is used twice", "give it another id")
        seen.add(item["id"])
        raw = item.get("lines")
        if not isinstance(raw, LineList) or not raw:
            raise FlowError(path, item.key_lines.get("lines", line), where,
                            "a scenario needs lines", "add lines: [text keys]")
        lines = []
        for entry, at in zip(raw, raw.item_lines, strict=True):
            if isinstance(entry, dict):
                extra = set(entry) - {"text", "warning"}
                if extra:
                    raise FlowError(path, at, where, f"unknown field {sorted(extra)[0]!r}",
                                    "a line has text: and warning: only")
                lines.append(Line(key(entry.get("text"), at, where), bool(entry.get("warning"))))
            else:
                lines.append(Line(key(entry, at, where)))
        scenarios.append(Scenario(str(item["id"]),
                                  key(item.get("title"), item.key_lines.get("title", line), where),
                                  tuple(lines),
                                  key(item.get("debrief"), item.key_lines.get("debrief", line),
                                      where)))
    return Practice(tuple(scenarios))


FEATURE = Feature(
    "practice",
    commands=(
        Command("praktik", command, STAFF, aliases=("practice",),
                menu=(MenuEntry(("peer",), 72, "Latihan chat dengan siswa pura-pura"),)),
        *refused_to_students("praktik", "practice"),
    ),
    buttons=(ButtonRoute(PREFIX, pressed, STAFF),),
)
