"""What staff can do in chat: take an alert, talk to the student through the bot (copies, never
forwards), close with an outcome note.

A helper may hold several cases (a counselor always can, a peer with capacity 2): which case a
message or command is for is decided in bot/core/choice.py, never guessed, and every relayed
message to a helper with several cases is confirmed with the case it went to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core import (
    angket,
    appointments,
    choice,
    coaching,
    crisis,
    enrol,
    groups,
    handoff,
    language,
    peer_risk,
    supervision,
    training,
    weblogin,
)
from bot.core.conversation import Outcome, Turn
from bot.core.effects import (
    Audit,
    CancelTimer,
    CaseMessage,
    CloseCase,
    Send,
    SetReachable,
    to_helper,
    to_student,
)
from bot.core.events import Kind
from bot.core.textclean import MAX_INBOUND_CHARS, clean_text, command_name
from bot.reports.figures import summary_values, weeks_chart_spec

if TYPE_CHECKING:
    from bot.core.core import Core


CASE_COMMANDS = ("selesai", "eskalasi", "catatan")  # act on one held case
ENGLISH = {"done": "selesai", "close": "selesai", "escalate": "eskalasi", "note": "catatan",
           "to": "ke", "cases": "kasus", "view": "lihat", "takeover": "ambil",
           "sessions": "sesi", "report": "laporan", "name": "nama", "training": "latihan",
           "approve": "setujui", "dashboard": "dasbor", "survey": "angket"}


def staff_turn(core: Core, turn: Turn) -> Outcome:
    outcome = _staff_turn(core, turn)
    if turn.party.unreachable_since:  # the bot could not reach them; it can now
        since = local_time(core, turn.party.unreachable_since)
        outcome.effects[:0] = [SetReachable(turn.party.key, None), Send(
            turn.party.key, core.text("staff.were_unreachable", turn.conversation.lang,
                                      since=since))]
    return outcome


def local_time(core: Core, stored: str) -> str:
    """A stored UTC time as staff read it: "23/11 08:05" in the school's time zone."""
    try:
        moment = dt.datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return stored
    return moment.astimezone(core.tz).strftime("%d/%m %H:%M")


def _staff_turn(core: Core, turn: Turn) -> Outcome:
    if turn.kind is Kind.BUTTON and turn.data.startswith(language.PREFIX):
        return language.chosen(core, turn)
    if turn.kind is Kind.COMMAND and command_name(turn.text)[0] in language.COMMANDS:
        return language.choose(core, turn)
    if turn.party.role == "principal":
        return weblogin.principal_turn(core, turn)
    if turn.kind is Kind.BUTTON:
        if turn.data.startswith(choice.PICK_PREFIX):
            return picked(core, turn, turn.data.removeprefix(choice.PICK_PREFIX))
        if turn.data.startswith(crisis.TAKE_PREFIX):
            return crisis.take(core, turn)
        if turn.data.startswith(handoff.ACCEPT_PREFIX):
            return handoff.accept(core, turn)
        if turn.data.startswith(appointments.PREFIX):
            return appointments.staff_button(core, turn)
        if turn.data.startswith(training.PREFIX):
            return training.answer(core, turn)
        return _reply(core, turn, "core.stale_button", audit="button_refused")
    if turn.kind is Kind.COMMAND:
        name, args = command_name(turn.text)
        name = ENGLISH.get(name, name)
        if name in CASE_COMMANDS:
            code, args = choice.code_argument(turn, args)
            if name == "selesai" and not code and not turn.replying:
                code = closing_code(turn)  # the case whose closing note was asked for
            chosen = choice.choose(turn, code, use_focus=name != "selesai")
            if chosen.refusal:
                return _reply(core, turn, chosen.refusal, audit="case_choice_refused",
                              code=chosen.code)
            if chosen.case is None and len(turn.held) > 1:
                return _ask_which(core, turn, {"do": name, "text": args})
            return _case_command(core, replace(turn, case=chosen.case), name, args)
        if name == "ke":
            return focus(core, turn, args)
        if name == "dasbor":
            return weblogin.dasbor(core, turn, args)
        if name in ("kasus", "lihat", "ambil", "sesi", "laporan"):
            if turn.party.role not in ("counselor", "backup"):
                return _reply(core, turn, "supervision.counselors_only",
                              audit="staff_command_refused")
            if name == "kasus":
                return supervision.list_cases(core, turn)
            if name == "sesi":
                return groups.staff_command(core, turn, args)
            if name == "laporan":
                return report(core, turn)
            if name == "lihat":
                return supervision.transcript(core, turn, args)
            return supervision.take_over(core, turn, args)
        if name in training.COMMANDS:
            return training.command(core, turn, name, args)
        if name in angket.COMMANDS:
            return angket.staff_command(core, turn, args)
        if name in ("onduty", "offduty"):
            return enrol.duty(core, turn, on=name == "onduty")
        if name == "nama" and args:
            return enrol.set_pseudonym(core, turn, args)
        if name == "join":
            return _reply(core, turn, "enrol.already_staff")
        key = {"peer": "staff.help_peer", "tppk": "tppk.help"}.get(turn.party.role,
                                                                   "staff.help")  # any other
        name = turn.party.pseudonym or turn.party.display_name or ""
        return _reply(core, turn, key, name=name,
                      role=core.text(f"role.{turn.party.role}", turn.conversation.lang))
    if turn.kind is Kind.UNSUPPORTED:
        return _reply(core, turn, "core.unsupported")
    text, _ = clean_text(turn.text, MAX_INBOUND_CHARS)
    if not text:
        return _reply(core, turn, "core.empty")
    if not turn.held:  # a peer's own crisis words, whatever else waits: care, hotlines,
        worried = peer_risk.unrouted(core, turn, text)  # and guru BK told
        if worried is not None:
            return worried
    if turn.conversation.vars.get("await") == enrol.AWAIT_PSEUDONYM:
        return enrol.set_pseudonym(core, turn, text)
    if (code := closing_code(turn)) and not turn.replying:  # the note /selesai asked for
        case = next(c for c in turn.held if c.code == code)
        return close(core, replace(turn, case=case), text)
    if not turn.held and turn.conversation.vars.get(training.STATE):
        return _reply(core, turn, "training.use_buttons")  # a question waits for a button
    if not turn.held:
        if turn.replying and turn.reply_code:  # answering a case that has ended
            return _reply(core, turn, "staff.reply_not_held", code=turn.reply_code)
        return _reply(core, turn, "core.staff_text")
    chosen = choice.choose(turn)
    if chosen.refusal:
        return _reply(core, turn, chosen.refusal, audit="case_choice_refused", code=chosen.code)
    if chosen.case is None:
        return _ask_which(core, turn, {"do": "send", "text": text})
    return relay_to_student(core, replace(turn, case=chosen.case), text)


def _case_command(core: Core, turn: Turn, name: str, args: str) -> Outcome:
    if name == "selesai":
        return close(core, turn, args)
    if name == "eskalasi":
        return handoff.escalate(core, turn, args)
    return handoff.note(core, turn, args)


def _ask_which(core: Core, turn: Turn, item: dict) -> Outcome:
    """Several cases and no clear choice: keep the message and ask which case it is for (one
    waiting message at a time, each with a preview)."""
    conv = choice.queue(turn.conversation, item)
    outcome = Outcome(conv)
    _ask_first(core, replace(turn, conversation=conv), outcome)
    return outcome


def _ask_first(core: Core, turn: Turn, outcome: Outcome) -> None:
    first = choice.first_waiting(outcome.conversation or turn.conversation)
    if first is None:
        return
    key = {"send": "staff.which_case_send", "focus": "staff.which_case_focus",
           "selesai": "staff.which_case_close"}.get(str(first.get("do")), "staff.which_case")
    core.say(outcome, turn, key, choice.buttons(turn), n=len(turn.held),
             preview=choice.preview(first), command=f"/{first.get('do')}")


def picked(core: Core, turn: Turn, code: str) -> Outcome:
    """A case button: the first waiting message goes to that case, which becomes the focus;
    the next waiting one (if any) is asked about."""
    case = next((c for c in turn.held if c.code == code), None)
    if case is None:
        return _reply(core, turn, "staff.not_your_case", audit="button_refused", code=code)
    item, rest = choice.take_first(turn.conversation)
    turn = replace(turn, case=case, conversation=choice.focused_on(rest, code, turn.now))
    if item is not None and item.get("do") == "send":
        outcome = relay_to_student(core, turn, str(item.get("text", "")))
    elif item is not None and item.get("do") in CASE_COMMANDS:
        outcome = _case_command(core, turn, str(item["do"]), str(item.get("text", "")))
    else:
        outcome = _reply(core, turn, "staff.focus_set", code=case.code, alias=case.alias)
    _ask_first(core, turn, outcome)
    return outcome


def focus(core: Core, turn: Turn, args: str) -> Outcome:
    """/ke KODE: the next messages go to that case (without a code: choose with buttons)."""
    code, _ = choice.code_argument(turn, args)
    if not turn.held:
        return _reply(core, turn, "staff.no_case")
    if not code:
        return _ask_which(core, turn, {"do": "focus", "text": ""})
    case = next((c for c in turn.held if c.code == code), None)
    if case is None:
        return _reply(core, turn, "staff.not_your_case", code=code)
    outcome = Outcome(choice.focused_on(turn.conversation, code, turn.now))
    core.say(outcome, turn, "staff.focus_set", code=case.code, alias=case.alias)
    return outcome


def _reply(core: Core, turn: Turn, key: str, audit: str = "", **values: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    core.say(outcome, turn, key, **values)
    if audit:
        outcome.effects.append(Audit(turn.party.key, audit, {}))
    return outcome


def relay_to_student(core: Core, turn: Turn, text: str) -> Outcome:
    case = turn.case
    assert case is not None
    risky = peer_risk.before_relay(core, turn, text)
    if risky is not None:  # crisis words from a peer: held, and the case goes to guru BK
        return risky
    held, nudges = coaching.before_relay(core, turn, text)
    if held is not None:  # the peer is told why; nothing reaches the student
        return held
    lang = case.lang or core.catalog.default_lang
    name = turn.party.pseudonym or turn.party.alias  # never a peer's real name
    role = core.text(f"relay.role_{turn.party.role}", lang, name=name)
    effects: list = [CaseMessage(case.id, turn.party.role, text),
                     to_student(case.code, case.student, core.text("relay.to_student", lang,
                                                                   role=role, text=text))]
    if case.level != "crisis":
        effects.append(handoff.idle_timer(core, case.student, turn.now))
    if len(turn.held) > 1:  # several students: say which one this went to (a reply to this
        effects.append(to_helper(case.code, turn.party.key, core.text(  # goes to that case)
            "staff.sent_to", turn.conversation.lang, code=case.code, alias=case.alias)))
    return Outcome(turn.conversation, [*effects, *nudges])


def report(core: Core, turn: Turn) -> Outcome:
    """/laporan: the last 30 days in one message (small counts suppressed) and one chart."""
    data = turn.report
    if data is None:
        return _reply(core, turn, "core.error")
    lang = turn.conversation.lang
    caption = core.text("report.chart_caption", lang)
    labels = {route: core.text(f"report.series_{route}", lang)
              for route in ("peer", "counselor", "crisis")}
    return Outcome(turn.conversation, [
        Send(turn.party.key, core.text("report.summary", lang, **summary_values(data, lang))),
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


def close(core: Core, turn: Turn, note: str) -> Outcome:
    """/selesai: counselors must leave an outcome note; a peer's note is optional."""
    case = turn.case
    if case is None:
        return _reply(core, turn, "staff.no_case")
    note, _ = clean_text(note, core.max_text_chars)
    conv = turn.conversation
    if conv.vars.get(CLOSE_NOTE) is not None:  # asked for and given (or another case closed)
        conv = conv.moved(vars={k: v for k, v in conv.vars.items() if k != CLOSE_NOTE})
        turn = replace(turn, conversation=conv)
    if turn.party.role == "peer":
        return handoff.peer_close(core, turn, note)
    if not note:  # the next message is the note of this very case (named in the question)
        asked = conv.moved(vars={**conv.vars, CLOSE_NOTE: {"code": case.code,
                                                          "at": turn.now.isoformat()}})
        return Outcome(asked, [Send(turn.party.key, core.text(
            "staff.close_note_for", conv.lang, code=case.code, alias=case.alias))])
    return Outcome(turn.conversation, [
        CloseCase(case.id, turn.party.key, note),
        CancelTimer(case.student, handoff.IDLE_TIMER),
        Send(case.student, core.text("student.case_closed", case.lang or "id")),
        *handoff.survey(core, case),
        Send(turn.party.key, core.text("staff.closed", turn.conversation.lang, code=case.code)),
        Audit(turn.party.key, "case_closed", {"code": case.code}),
    ])
