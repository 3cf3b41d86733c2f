"""What staff can do in chat: take an alert, talk to the student through the bot (copies, never
forwards), close with an outcome note.

A helper may hold several cases (a counselor always can, a peer with capacity 2): which case a
message or command is for is decided in bot/core/choice.py, never guessed, and every relayed
message to a helper with several cases is confirmed with the case it went to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.core import (
    choice,
    coaching,
    enrol,
    handoff,
    held,
    peer_risk,
    practice,
    training,
)
from bot.core.context import Context
from bot.core.conversation import CaseView, Outcome, Turn
from bot.core.effects import (
    Audit,
    CancelTimer,
    CaseMessage,
    CloseCase,
    Send,
    to_helper,
    to_student,
)
from bot.core.events import Kind
from bot.core.feature import (
    COUNSELORS,
    STAFF,
    Ask,
    ButtonRoute,
    Command,
    Fallback,
    Feature,
    MenuEntry,
    Read,
    counselors_only,
    refused_to_students,
)
from bot.core.reads import FormerCase, ReportFigures
from bot.core.staffhelp import staff_help
from bot.core.textclean import MAX_INBOUND_CHARS, clean_text
from bot.reports.figures import summary_values, weeks_chart_spec


def _text_turn(ctx: Context, turn: Turn) -> Outcome:
    """What a staff member writes (not a command): to the case it is for, or help."""
    if turn.kind is Kind.UNSUPPORTED:
        return _reply(ctx, turn, "core.unsupported")
    text, _ = clean_text(turn.text, MAX_INBOUND_CHARS)
    if not text:
        return _reply(ctx, turn, "core.empty")
    if not turn.held and practice.active(ctx, turn.conversation):  # to the scripted student
        return practice.reply(ctx, turn, text)  # (crisis words too: it offers guru BK)
    if not turn.held:  # a peer's own crisis words, whatever else waits: care, hotlines,
        worried = peer_risk.unrouted(ctx, turn, text)  # and guru BK told
        if worried is not None:
            return worried
    if turn.conversation.vars.get("await") == enrol.AWAIT_PSEUDONYM:
        return enrol.set_pseudonym(ctx, turn, text)
    if (code := closing_code(turn)) and not turn.replying:  # the note /selesai asked for
        case = next(c for c in turn.held if c.code == code)
        return close(ctx, replace(turn, case=case), text)
    if not turn.held and turn.conversation.vars.get(training.STATE):
        return _reply(ctx, turn, "training.use_buttons")  # a question waits for a button
    if not turn.held:
        if turn.replying and turn.reply_code:  # answering a case that has ended
            return _reply(ctx, turn, "staff.reply_not_held", code=turn.reply_code)
        return _reply(ctx, turn, "core.staff_text")
    chosen = choice.choose(turn)
    if chosen.refusal:
        return _reply(ctx, turn, chosen.refusal, audit="case_choice_refused", code=chosen.code)
    gone = "" if turn.replying else choice.gone_last(turn)
    if chosen.case is None or gone:  # never to another child than the one last written to
        item = {"do": "send", "text": text, **({"gone": gone} if gone else {})}
        return _ask_which(ctx, turn, item)
    return relay_to_student(ctx, replace(turn, case=chosen.case), text)


def _on_case(name: str):
    """/selesai, /eskalasi, /catatan act on one held case: which one is chosen first."""

    def run(ctx: Context, turn: Turn, args: str) -> Outcome:
        if not turn.held and practice.active(ctx, turn.conversation) and name != "catatan":
            return practice.case_command(ctx, turn, name, args)  # nobody is alerted
        code, args = choice.code_argument(turn, args)
        if name == "selesai" and not code and not turn.replying:
            code = closing_code(turn)  # the case whose closing note was asked for
        chosen = choice.choose(turn, code, use_focus=name != "selesai")
        if name == "catatan" and (chosen.refusal == "staff.not_your_case" or (
                chosen.case is None and not turn.held and not turn.replying)):
            refused = _not_the_holder(ctx, turn)
            if refused is not None:
                return refused
        if chosen.refusal:
            return _reply(ctx, turn, chosen.refusal, audit="case_choice_refused",
                          code=chosen.code)
        if chosen.case is None and len(turn.held) > 1:
            return _ask_which(ctx, turn, {"do": name, "text": args})
        return _case_command(ctx, replace(turn, case=chosen.case), name, args)

    return run


def _not_the_holder(ctx: Context, turn: Turn) -> Outcome | None:
    """/catatan about a case somebody else holds now (it was handed over): nothing is saved,
    and they are told who holds it, by role (only the current holder adds notes)."""
    case = turn.reads.get("former")
    if not isinstance(case, CaseView) or case.assignee == turn.party.key:
        return None
    holder = ("staff.holder_nobody" if case.assignee is None or case.status != "active"
              else "staff.holder_peer" if case.route == "peer" else "staff.holder_counselor")
    return _reply(ctx, turn, "staff.note_not_holder", audit="note_refused", code=case.code,
                  holder=ctx.text(holder, turn.conversation.lang))


def _former(ask: Ask) -> FormerCase:
    head = ask.args.strip().partition(" ")[0]
    match = choice.CODE.fullmatch(head)
    return FormerCase(match.group(1) if match else "")


def _case_command(ctx: Context, turn: Turn, name: str, args: str) -> Outcome:
    return CASE_COMMANDS[name](ctx, turn, args)


def _ask_which(ctx: Context, turn: Turn, item: dict) -> Outcome:
    """Several cases and no clear choice: keep the message and ask which case it is for (one
    waiting message at a time, each with a preview)."""
    conv = choice.queue(turn.conversation, item, turn)
    outcome = Outcome(conv)
    _ask_first(ctx, replace(turn, conversation=conv), outcome)
    return outcome


def _ask_first(ctx: Context, turn: Turn, outcome: Outcome) -> None:
    conv = outcome.conversation or turn.conversation
    if choice.first_waiting(conv) is not None:
        outcome.effects += held.ask_first(ctx, conv, turn.party.key, turn.held)


def picked(ctx: Context, turn: Turn, data: str) -> Outcome:
    """A case button: the first waiting message goes to that case, which becomes the focus;
    the next waiting one (if any) is asked about. A button of another question (an earlier
    one, or one whose message was dropped) sends nothing: never a message to a child it was
    not chosen for."""
    code, number = choice.pick_parts(data)
    case = next((c for c in turn.held if c.code == code), None)
    if case is None:
        return _reply(ctx, turn, "staff.not_your_case", audit="button_refused", code=code)
    first = choice.first_waiting(turn.conversation)
    if (first is not None and str(first.get("id", "")) != number) or (
            first is None and number):
        outcome = _reply(ctx, turn, "staff.pick_stale", audit="button_refused")
        _ask_first(ctx, turn, outcome)
        return outcome
    item, rest = choice.take_first(turn.conversation)
    turn = replace(turn, case=case, conversation=choice.focused_on(rest, code, turn.now))
    if item is not None and item.get("do") == "send":
        outcome = relay_to_student(ctx, turn, str(item.get("text", "")), confirm=True)
    elif item is not None and item.get("do") in CASE_COMMANDS:
        outcome = _case_command(ctx, turn, str(item["do"]), str(item.get("text", "")))
    else:
        outcome = _reply(ctx, turn, "staff.focus_set", code=case.code, alias=case.alias)
    _ask_first(ctx, turn, outcome)
    return outcome


def focus(ctx: Context, turn: Turn, args: str) -> Outcome:
    """/ke KODE: the next messages go to that case (without a code: choose with buttons)."""
    code, _ = choice.code_argument(turn, args)
    if not turn.held:
        return _reply(ctx, turn, "staff.no_case")
    if not code:
        return _ask_which(ctx, turn, {"do": "focus", "text": ""})
    case = next((c for c in turn.held if c.code == code), None)
    if case is None:
        return _reply(ctx, turn, "staff.not_your_case", code=code)
    outcome = Outcome(choice.focused_on(turn.conversation, code, turn.now))
    ctx.say(outcome, turn, "staff.focus_set", code=case.code, alias=case.alias)
    return outcome


def _reply(ctx: Context, turn: Turn, key: str, audit: str = "", **values: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    ctx.say(outcome, turn, key, **values)
    if audit:
        outcome.effects.append(Audit(turn.party.key, audit, {}))
    return outcome


def relay_to_student(ctx: Context, turn: Turn, text: str, confirm: bool = False) -> Outcome:
    """The staff member's message to the case's student (``confirm``: say where it went even
    with one case held, as after a question about which case)."""
    case = turn.case
    assert case is not None
    risky = peer_risk.before_relay(ctx, turn, text)
    if risky is not None:  # crisis words from a peer: held, and the case goes to guru BK
        return risky
    coached, nudges = coaching.before_relay(ctx, turn, text)
    if coached is not None:  # the peer is told why; nothing reaches the student
        return coached
    lang = case.lang or ctx.catalog.default_lang
    name = turn.party.pseudonym or turn.party.alias  # never a peer's real name
    role = ctx.text(f"relay.role_{turn.party.role}", lang, name=name)
    effects: list = [CaseMessage(case.id, turn.party.role, text),
                     to_student(case.code, case.student, ctx.text("relay.to_student", lang,
                                                                   role=role, text=text))]
    if case.level != "crisis":
        effects.append(handoff.idle_timer(ctx, case.student, turn.now))
    last = str(turn.conversation.vars.get(choice.LAST) or "")
    # Several students, a case chosen by a question, or another case than the last one
    # written to: say which one this went to (a reply to this goes to that case).
    if confirm or len(turn.held) > 1 or (last and last != case.code):
        effects.append(to_helper(case.code, turn.party.key, ctx.text(
            "staff.sent_to", turn.conversation.lang, code=case.code, alias=case.alias)))
    return Outcome(choice.wrote_to(turn.conversation, case.code), [*effects, *nudges])


def report(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """/laporan: the last 30 days in one message (small counts suppressed) and one chart."""
    data = turn.report
    if data is None:
        return _reply(ctx, turn, "core.error")
    lang = turn.conversation.lang
    caption = ctx.text("report.chart_caption", lang)
    labels = {route: ctx.text(f"report.series_{route}", lang)
              for route in ("peer", "counselor", "crisis")}
    return Outcome(turn.conversation, [
        Send(turn.party.key, ctx.text("report.summary", lang, **summary_values(data, lang))),
        Send(turn.party.key, caption, chart=weeks_chart_spec(data, caption, labels, lang)),
        Audit(turn.party.key, "report_viewed", {"from": data.start.isoformat(),
                                                "to": data.end.isoformat()}),
    ])


CLOSE_NOTE = "close_note"  # conversation variable: {"code", "at"}: /selesai asked for its note
CLOSE_NOTE_FOR = dt.timedelta(minutes=15)


def closing_code(turn: Turn) -> str:
    """The held case whose closing note the bot asked for within ``CLOSE_NOTE_FOR`` ("" when
    none, or when that case is no longer held: then nothing is closed by a guess)."""
    mark = turn.conversation.vars.get(CLOSE_NOTE)
    if not isinstance(mark, dict):
        return ""
    try:
        fresh = turn.now - dt.datetime.fromisoformat(str(mark.get("at"))) < CLOSE_NOTE_FOR
    except ValueError:
        return ""
    code = str(mark.get("code", ""))
    return code if fresh and any(c.code == code for c in turn.held) else ""


def close(ctx: Context, turn: Turn, note: str) -> Outcome:
    """/selesai: counselors must leave an outcome note; a peer's note is optional."""
    case = turn.case
    if case is None:
        return _reply(ctx, turn, "staff.no_case")
    note, _ = clean_text(note, ctx.policy.max_text_chars)
    conv = turn.conversation
    if conv.vars.get(CLOSE_NOTE) is not None:  # asked for and given (or another case closed)
        conv = conv.moved(vars={k: v for k, v in conv.vars.items() if k != CLOSE_NOTE})
        turn = replace(turn, conversation=conv)
    if turn.party.role == "peer":
        return handoff.peer_close(ctx, turn, note)
    if not note:  # the next message is the note of this very case (named in the question)
        asked = conv.moved(vars={**conv.vars, CLOSE_NOTE: {"code": case.code,
                                                          "at": turn.now.isoformat()}})
        return Outcome(asked, [Send(turn.party.key, ctx.text(
            "staff.close_note_for", conv.lang, code=case.code, alias=case.alias))])
    return Outcome(turn.conversation, [
        CloseCase(case.id, turn.party.key, note),
        CancelTimer(case.student, handoff.IDLE_TIMER),
        Send(case.student, ctx.text("student.case_closed", case.lang or "id")),
        *handoff.survey(ctx, case),
        Send(turn.party.key, ctx.text("staff.closed", turn.conversation.lang, code=case.code)),
        Audit(turn.party.key, "case_closed", {"code": case.code}),
    ])


CASE_COMMANDS = {"selesai": close, "eskalasi": handoff.escalate, "catatan": handoff.note}


def _figures(ask) -> ReportFigures:
    """The last 30 local days, today included."""
    today = ask.now.astimezone(ask.tz).date()
    return ReportFigures(today - dt.timedelta(days=29), today, ask.tz)


def _stale(ctx: Context, turn: Turn) -> Outcome:
    return _reply(ctx, turn, "core.stale_button", audit="button_refused")


def _line(rank: int, text: str, *roles: str) -> MenuEntry:
    return MenuEntry(roles, rank, text)


FEATURE = Feature(
    "staff",
    commands=(
        Command("selesai", _on_case("selesai"), STAFF, aliases=("done", "close"), menu=(
            _line(10, "Tutup kasus", "peer"), _line(40, "Tutup kasus + catatan", "counselor"))),
        Command("eskalasi", _on_case("eskalasi"), STAFF, aliases=("escalate",),
                menu=(_line(20, "Teruskan ke guru BK + alasan", "peer"),)),
        Command("catatan", _on_case("catatan"), STAFF, aliases=("note",),
                reads=(Read("former", _former),),
                menu=(_line(30, "Catatan supervisi", "peer"),)),
        Command("ke", focus, STAFF, aliases=("to",)),
        Command("laporan", report, STAFF, aliases=("report",), roles=COUNSELORS,
                refuse=counselors_only, reads=(Read("report", _figures),),
                menu=(_line(60, "Laporan 30 hari", "counselor"),)),
        Command("help", staff_help, STAFF, menu=(
            _line(90, "Bantuan staf", "peer"), _line(90, "Bantuan staf", "counselor"),
            _line(90, "Bantuan staf", "tppk"))),
        *refused_to_students("eskalasi", "catatan", "ke", "laporan"),
    ),
    buttons=(ButtonRoute(choice.PICK_PREFIX, lambda ctx, turn: picked(ctx, turn, turn.data),
                         STAFF),),
    fallbacks=(Fallback(STAFF, (Kind.COMMAND,), staff_help),
               Fallback(STAFF, (Kind.BUTTON,), _stale),
               Fallback(STAFF, (Kind.TEXT, Kind.UNSUPPORTED), _text_turn,
                        reads=(Read("pseudonym_taken", enrol.pseudonym_read),))),
)
