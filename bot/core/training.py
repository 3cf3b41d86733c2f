"""The training gate (issue #17, item 1): modules in chat after /join, guru BK's approval, and
``/onduty`` refused kindly until both.

Modules are data (``flows/training/modules.yaml``, texts in the catalogs): a lesson, then
scenario questions with buttons and an explanation for every answer. A module passes with at
least ``pass_percent`` right; a failed one may be retaken after ``retake_minutes``. When every
module is passed, counselors are told; ``/setujui NAMA`` (or ``sebaya staff approve``) approves.
Progress lives in the peer's conversation (``_training``, bookkeeping that survives resets);
results and approvals are audit rows, and ``users.trained_at``/``approved_at`` hold the gate.
With ``training.practice_required`` a peer counts as trained only once the modules are passed
AND a practice chat (``/praktik``, bot/core/practice.py) was finished since the last approval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.conversation import Conversation, Outcome, Party, Turn
from bot.core.effects import Audit, Send, UpdateStaff
from bot.core.events import Button
from bot.core.feature import (
    COUNSELORS,
    STAFF,
    ButtonRoute,
    Command,
    Feature,
    MenuEntry,
    Read,
    TimerKind,
)
from bot.core.keys import RoleTarget
from bot.core.localized import staff_text
from bot.core.reads import StaffNamed
from bot.core.textclean import is_small_id
from bot.errors import FlowError
from bot.yamlsrc import LineDict, LineList, YamlSyntaxError, read_yaml

if TYPE_CHECKING:
    from bot.engine.catalog import Catalog

MODULES_FILE = Path("training") / "modules.yaml"  # under the flows folder
PREFIX = "t:"  # t:<module>:<question>:<option>
STATE = "_training"  # {"m": module index, "q": question index, "right": n, "retry": iso}
COMMANDS = ("latihan", "setujui")
PENDING = "_practice_pending"  # every module passed; the practice chat required still waits
PRACTICED = "_practiced"  # when the peer last finished a practice chat (bot/core/practice.py)
APPROVED_TIMER = "training_approved"  # set by `sebaya staff approve`: the bot tells the peer
TEXTS = tuple(f"training.{k}" for k in (
    "intro", "question", "right", "wrong", "module_passed", "module_failed", "retake_wait",
    "all_passed", "already_done", "wait_approval", "ready", "use_buttons", "stale",
    "bk_notice", "onduty_untrained", "onduty_unapproved", "onduty_expired", "approved_peer",
    "approved_staff",
    "approve_usage", "approve_unknown", "approve_untrained", "approve_already",
    "approve_not_allowed", "practice_next", "onduty_practice"))


@dataclass(frozen=True)
class Option:
    text: str  # catalog keys
    why: str
    correct: bool = False


@dataclass(frozen=True)
class Question:
    ask: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Module:
    id: str
    lesson: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Training:
    modules: tuple[Module, ...]
    pass_percent: int = 80
    retake: dt.timedelta = dt.timedelta(minutes=30)


# -- in the chat -------------------------------------------------------------------------------


def _moment(stored: str) -> dt.datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(stored, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def gate(trained_at: str, approved_at: str, now: dt.datetime, valid: dt.timedelta) -> str:
    """Where a peer stands: untrained | unapproved | ok | expired (the approval is older than
    ``valid``: a refresher first) | refreshed (refresher passed, a new approval waits)."""
    if not trained_at:
        return "untrained"
    approved = _moment(approved_at) if approved_at else None
    if not approved_at:
        return "unapproved"
    if approved is None or now - approved < valid:
        return "ok"
    trained = _moment(trained_at)
    return "refreshed" if trained is not None and trained > approved else "expired"


def state_of(ctx: Context, party: Party, now: dt.datetime) -> str:
    return gate(party.trained_at or ("x" if party.trained else ""),
                party.approved_at or ("x" if party.approved else ""), now,
                ctx.policy.approval_valid)


def may_serve(ctx: Context, party: Party, now: dt.datetime) -> bool:
    """Trained and approved, and the approval has not expired (offers and /onduty)."""
    return state_of(ctx, party, now) == "ok"


def needs_training(ctx: Context, party: Party, now: dt.datetime) -> bool:
    return state_of(ctx, party, now) in ("untrained", "expired")


REFUSALS = {"untrained": "training.onduty_untrained", "unapproved": "training.onduty_unapproved",
            "refreshed": "training.onduty_unapproved", "expired": "training.onduty_expired"}


def duty_refusal(ctx: Context, turn: Turn) -> Outcome | None:
    """``/onduty`` by a peer not (or no longer) trained and approved: a kind refusal."""
    state = state_of(ctx, turn.party, turn.now)
    if turn.party.role != "peer" or state == "ok":
        return None
    key = "training.onduty_practice" if turn.conversation.vars.get(PENDING) \
        and ctx.policy.practice_required else REFUSALS[state]
    return Outcome(turn.conversation, [
        Send(turn.party.key, ctx.text(key, turn.conversation.lang)),
        Audit(turn.party.key, "duty_refused", {"reason": state})])


def begin(ctx: Context, turn: Turn, outcome: Outcome, pseudonym: str = "") -> Outcome:
    """After a new peer chose a pseudonym: the introduction and the first module (no modules
    shipped: trained at once, guru BK's approval still needed)."""
    if turn.party.trained:
        return outcome
    conv = outcome.conversation or turn.conversation
    if ctx.training is None:
        outcome.conversation, effects = _complete(ctx, turn, conv, 0, pseudonym)
        outcome.effects += effects
        return outcome
    lang = conv.lang
    outcome.effects.append(Send(turn.party.key, ctx.text(
        "training.intro", lang, n=len(ctx.training.modules),
        **{"pass": ctx.training.pass_percent})))
    state = dict(conv.vars.get(STATE) or {"m": 0, "q": 0, "right": 0})
    outcome.conversation = conv.moved(vars={**conv.vars, STATE: state})
    outcome.effects += _module_start(ctx, turn.party.key, lang, state["m"])
    return outcome


def command(ctx: Context, turn: Turn, name: str, args: str) -> Outcome:
    """``/latihan`` (a peer: carry on or retake) and ``/setujui NAMA`` (guru BK approves)."""
    if name == "setujui":
        return approve(ctx, turn, args)
    lang = turn.conversation.lang
    if ctx.training is None or turn.party.role != "peer":
        return Outcome(turn.conversation, [Send(turn.party.key, ctx.text("core.staff_text",
                                                                            lang))])
    if not needs_training(ctx, turn.party, turn.now):
        after = "training.ready" if may_serve(ctx, turn.party, turn.now) \
            else "training.wait_approval"
        return Outcome(turn.conversation, [Send(turn.party.key, ctx.text(
            "training.already_done", lang, next=ctx.text(after, lang)))])
    if turn.conversation.vars.get(PENDING):  # the modules are done: the practice chat waits
        if not ctx.policy.practice_required:  # no longer required: trained now
            return Outcome(*practice_done(ctx, turn, turn.conversation, practised=False))
        return Outcome(turn.conversation, [Send(turn.party.key, ctx.text(
            "training.practice_next", lang))])
    state = dict(turn.conversation.vars.get(STATE) or {"m": 0, "q": 0, "right": 0})
    retry = state.get("retry")
    if retry and turn.now < dt.datetime.fromisoformat(retry):
        return Outcome(turn.conversation, [Send(turn.party.key, ctx.text(
            "training.retake_wait", lang, time=_local(ctx, retry)))])
    if retry:  # the pause is over: the module again from its lesson
        state = {"m": state["m"], "q": 0, "right": 0}
        effects = _module_start(ctx, turn.party.key, lang, state["m"])
    elif state["q"] == 0:
        effects = _module_start(ctx, turn.party.key, lang, state["m"])
    else:
        effects = [_question(ctx, turn.party.key, lang, state["m"], state["q"])]
    conv = turn.conversation.moved(vars={**turn.conversation.vars, STATE: state})
    return Outcome(conv, effects)


def answer(ctx: Context, turn: Turn) -> Outcome:
    """A peer pressed an answer: its explanation, then the next question or the result."""
    lang, conv = turn.conversation.lang, turn.conversation
    state = dict(conv.vars.get(STATE) or {})
    parts = turn.data.removeprefix(PREFIX).split(":")
    training = ctx.training
    if training is None or not needs_training(ctx, turn.party, turn.now) or len(parts) != 3 \
            or not all(is_small_id(p) for p in parts) or state.get("retry") \
            or [int(parts[0]), int(parts[1])] != [state.get("m"), state.get("q")]:
        return Outcome(conv, [Send(turn.party.key, ctx.text("training.stale", lang))])
    m, q, choice = (int(p) for p in parts)
    module = training.modules[m]
    options = module.questions[q].options
    if choice >= len(options):
        return Outcome(conv, [Send(turn.party.key, ctx.text("training.stale", lang))])
    option = options[choice]
    key = "training.right" if option.correct else "training.wrong"
    effects: list = [Send(turn.party.key, ctx.text(key, lang, why=ctx.text(option.why, lang)))]
    state = {"m": m, "q": q + 1, "right": state.get("right", 0) + int(option.correct)}
    if state["q"] < len(module.questions):
        effects.append(_question(ctx, turn.party.key, lang, m, state["q"]))
        return Outcome(conv.moved(vars={**conv.vars, STATE: state}), effects)
    return _module_done(ctx, turn, state, effects)


def _module_done(ctx: Context, turn: Turn, state: dict, effects: list) -> Outcome:
    training, lang, conv = ctx.training, turn.conversation.lang, turn.conversation
    assert training is not None
    m = state["m"]
    module = training.modules[m]
    score = round(100 * state["right"] / len(module.questions))
    passed = score >= training.pass_percent
    values = {"i": m + 1, "n": len(training.modules), "score": score,
              "pass": training.pass_percent}
    effects.append(Audit(turn.party.key, "training_module", {
        "module": module.id, "score": score, "passed": passed}))
    if not passed:
        retry = (turn.now + training.retake).isoformat()
        effects.append(Send(turn.party.key, ctx.text("training.module_failed", lang,
                                                      time=_local(ctx, retry), **values)))
        return Outcome(conv.moved(vars={**conv.vars, STATE: {**state, "retry": retry}}),
                       effects)
    effects.append(Send(turn.party.key, ctx.text("training.module_passed", lang, **values)))
    if m + 1 < len(training.modules):
        effects += _module_start(ctx, turn.party.key, lang, m + 1)
        return Outcome(conv.moved(vars={**conv.vars, STATE: {"m": m + 1, "q": 0, "right": 0}}),
                       effects)
    conv, done = _complete(ctx, turn, conv.moved(vars={**conv.vars, STATE: None}),
                           len(training.modules))
    return Outcome(conv, effects + done)


def practiced(conv: Conversation, party: Party) -> bool:
    """A practice chat was finished since the peer's last approval (or ever, if never
    approved): what ``training.practice_required`` asks for."""
    done = conv.vars.get(PRACTICED)
    if not done:
        return False
    approved = _moment(party.approved_at) if party.approved_at else None
    return approved is None or dt.datetime.fromisoformat(done) > approved


def _complete(ctx: Context, turn: Turn, conv: Conversation, modules: int,
              pseudonym: str = "") -> tuple[Conversation, list]:
    """Every module passed: trained now, or (practice required and not yet done) after the
    practice chat."""
    if ctx.policy.practice_required and not practiced(conv, turn.party):
        return conv.moved(vars={**conv.vars, PENDING: modules or "0"}), [
            Audit(turn.party.key, "training_practice_pending", {"modules": modules}),
            Send(turn.party.key, ctx.text("training.practice_next", conv.lang))]
    return conv, _passed(ctx, turn, modules, pseudonym)


def practice_done(ctx: Context, turn: Turn, conv: Conversation, practised: bool = True
                  ) -> tuple[Conversation, list]:
    """The peer finished a practice chat (``practised``; False: the school stopped requiring
    one): recorded; if the modules were waiting for it, the peer is trained now (guru BK
    asked to approve)."""
    pending = conv.vars.get(PENDING)
    done = {PRACTICED: turn.now.isoformat()} if practised else {}
    conv = conv.moved(vars={**conv.vars, **done, PENDING: None})
    if not pending:
        return conv, []
    modules = int(pending) if str(pending).isdigit() else 0
    return conv, _passed(ctx, turn, modules)


def _passed(ctx: Context, turn: Turn, modules: int, pseudonym: str = "") -> list:
    """Every module passed: recorded, the peer told, counselors asked to approve."""
    name = pseudonym or turn.party.pseudonym or turn.party.alias
    return [
        UpdateStaff(turn.party.key, trained=True),
        Audit(turn.party.key, "training_passed", {"modules": modules}),
        Send(turn.party.key, ctx.text("training.all_passed", turn.conversation.lang)),
        Send(RoleTarget("counselor"), staff_text(ctx, "training.bk_notice", pseudonym=name,
                                                 name=turn.party.display_name or name)),
    ]


def approve(ctx: Context, turn: Turn, args: str) -> Outcome:
    """``/setujui NAMA``: guru BK approves a trained peer (found by the dispatcher)."""
    lang = turn.conversation.lang

    def reply(key: str, **values: str) -> Outcome:
        return Outcome(turn.conversation, [Send(turn.party.key, ctx.text(key, lang, **values)),
                                           Audit(turn.party.key, "approve_refused",
                                                 {"reason": key.rpartition("_")[2]})])

    if turn.party.role not in ("counselor", "backup"):
        return reply("training.approve_not_allowed")
    if not args.strip():
        return reply("training.approve_usage")
    peer = turn.named
    if peer is None or peer.role != "peer":
        return reply("training.approve_unknown", name=args.strip())
    name = peer.pseudonym or peer.alias
    state = state_of(ctx, peer, turn.now)
    if state == "ok":
        return reply("training.approve_already", name=name)
    if state in ("untrained", "expired"):  # expired: the refresher comes first
        return reply("training.approve_untrained", name=name)
    return Outcome(turn.conversation, [
        UpdateStaff(peer.key, approved_by=turn.party.key.value),
        Audit(turn.party.key, "peer_approved", {"code": peer.code, "by": "chat"}),
        Send(turn.party.key, ctx.text("training.approved_staff", lang, name=name)),
        Send(peer.key, staff_text(ctx, "training.approved_peer")),
    ])


def approved_by_operator(ctx: Context, party: Party) -> list:
    """``sebaya staff approve`` (another process) approved this peer: tell them."""
    return [Send(party.key, staff_text(ctx, "training.approved_peer"))]


def _module_start(ctx: Context, peer, lang: str, m: int) -> list:
    assert ctx.training is not None
    return [Send(peer, ctx.text(ctx.training.modules[m].lesson, lang)),
            _question(ctx, peer, lang, m, 0)]


def _question(ctx: Context, peer, lang: str, m: int, q: int) -> Send:
    assert ctx.training is not None
    question = ctx.training.modules[m].questions[q]
    buttons = tuple(Button(ctx.text(o.text, lang), f"{PREFIX}{m}:{q}:{i}")
                    for i, o in enumerate(question.options))
    text = ctx.text("training.question", lang, i=q + 1,
                     n=len(ctx.training.modules[m].questions), ask=ctx.text(question.ask, lang))
    return Send(peer, text, buttons)


def _local(ctx: Context, iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(ctx.policy.tz).strftime("%H:%M")


# -- loading -----------------------------------------------------------------------------------


def load_training(flows_dir: Path, catalog: Catalog, languages: tuple[str, ...]
                  ) -> Training | None:
    """``flows/training/modules.yaml`` validated against the catalogs (file:line errors);
    None when the file is absent (then only guru BK's approval gates duty)."""
    path = flows_dir / MODULES_FILE
    if not path.is_file():
        return None
    try:
        tree = read_yaml(path)
    except YamlSyntaxError as exc:
        raise FlowError(path, exc.line, "", exc.problem, "fix the YAML syntax") from exc

    def fail(line: int | None, where: str, what: str, hint: str = "") -> FlowError:
        return FlowError(path, line, where, what, hint)

    def key(value: object, line: int, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise fail(line, where, "a text key is missing", "add a key from flows/texts")
        for lang in languages:
            if not catalog.has(lang, value):
                raise fail(line, where, f"text {value!r} is missing in {lang}",
                           f"add it to flows/texts/{lang}.yaml")
        return value

    if not isinstance(tree, LineDict) or not isinstance(tree.get("modules"), LineList) \
            or not tree["modules"]:
        raise fail(1, "", "no modules", "add modules: with at least one module")
    percent = tree.get("pass_percent", 80)
    if not isinstance(percent, int) or not 1 <= percent <= 100:
        raise fail(tree.key_lines.get("pass_percent"), "pass_percent", "must be 1-100")
    minutes = tree.get("retake_minutes", 30)
    if not isinstance(minutes, int) or minutes < 0:
        raise fail(tree.key_lines.get("retake_minutes"), "retake_minutes", "must be >= 0")
    modules = []
    for item, line in zip(tree["modules"], tree["modules"].item_lines, strict=True):
        where = f"module {item.get('id', '?')}" if isinstance(item, dict) else "module"
        if not isinstance(item, LineDict) or not item.get("id"):
            raise fail(line, where, "a module needs an id", "add id: name")
        questions = item.get("questions")
        if not isinstance(questions, LineList) or not questions:
            raise fail(line, where, "a module needs questions", "")
        parsed = []
        for qitem, qline in zip(questions, questions.item_lines, strict=True):
            options = qitem.get("options") if isinstance(qitem, dict) else None
            if not isinstance(options, LineList) or len(options) < 2:
                raise fail(qline, where, "a question needs at least two options", "")
            if sum(bool(o.get("correct")) for o in options) != 1:
                raise fail(qline, where, "exactly one option must be correct: true", "")
            parsed.append(Question(key(qitem.get("ask"), qline, where), tuple(
                Option(key(o.get("text"), ol, where), key(o.get("why"), ol, where),
                       bool(o.get("correct")))
                for o, ol in zip(options, options.item_lines, strict=True))))
        modules.append(Module(str(item["id"]), key(item.get("lesson"), line, where),
                              tuple(parsed)))
    return Training(tuple(modules), percent, dt.timedelta(minutes=minutes))


FEATURE = Feature(
    "training",
    commands=(
        Command("latihan", lambda ctx, turn, args: command(ctx, turn, "latihan", args),
                STAFF, aliases=("training",),
                menu=(MenuEntry(("peer",), 70, "Pelatihan sebelum bertugas"),)),
        Command("setujui", lambda ctx, turn, args: command(ctx, turn, "setujui", args),
                STAFF, aliases=("approve",),
                reads=(Read("named", lambda ask: StaffNamed(ask.args) if ask.args.strip()
                            else None, roles=COUNSELORS),),
                menu=(MenuEntry(("counselor",), 88, "Setujui konselor sebaya"),)),
    ),
    buttons=(ButtonRoute(PREFIX, answer, STAFF),),
    timers=(TimerKind(APPROVED_TIMER, lambda ctx, t: approved_by_operator(ctx, t.party)),),
)
