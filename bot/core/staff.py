"""What staff can do in chat: take an alert, talk to the student through the bot (copies, never
forwards), close with an outcome note.

A helper may hold several cases (a counselor always can, a peer with capacity 2). Which case a
message or a command is for: the case of the message they replied to, a case code given with the
command, the case chosen with /ke KODE, or the only one they hold. Otherwise the bot asks (one
button per case) and keeps the message until they choose: nothing reaches a student it was not
meant for, and every relayed message is confirmed with the case it went to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core import appointments, crisis, enrol, groups, handoff, supervision
from bot.core.conversation import CaseView, Outcome, Turn
from bot.core.effects import (
    Audit,
    CancelTimer,
    CaseMessage,
    CloseCase,
    Send,
    SetReachable,
    to_student,
)
from bot.core.events import Button, Kind
from bot.core.textclean import clean_text, command_name
from bot.reports.figures import summary_values, weeks_chart_spec

if TYPE_CHECKING:
    from bot.core.core import Core


PICK_PREFIX = "h:pick:"  # "this message / command is for case CODE"
FOCUS = "focus"  # conversation variable: the case chosen with /ke
PENDING = "pending"  # conversation variable: what waits for a choice of case
CASE_COMMANDS = ("selesai", "eskalasi", "catatan")  # act on one held case


def staff_turn(core: Core, turn: Turn) -> Outcome:
    outcome = _staff_turn(core, turn)
    if turn.party.unreachable_since:  # the bot could not reach them; it can now
        outcome.effects[:0] = [SetReachable(turn.party.key, None), Send(
            turn.party.key, core.text("staff.were_unreachable", turn.conversation.lang,
                                      since=turn.party.unreachable_since))]
    return outcome


def _staff_turn(core: Core, turn: Turn) -> Outcome:
    if turn.kind is Kind.BUTTON:
        if turn.data.startswith(PICK_PREFIX):
            return picked(core, turn, turn.data.removeprefix(PICK_PREFIX))
        if turn.data.startswith(crisis.TAKE_PREFIX):
            return crisis.take(core, turn)
        if turn.data.startswith(handoff.ACCEPT_PREFIX):
            return handoff.accept(core, turn)
        if turn.data.startswith(appointments.PREFIX):
            return appointments.staff_button(core, turn)
        return _reply(core, turn, "core.stale_button", audit="button_refused")
    if turn.kind is Kind.COMMAND:
        name, args = command_name(turn.text)
        if name in CASE_COMMANDS:
            code, args = _code_argument(turn, args)
            chosen = _choose(turn, code, use_focus=name != "selesai")
            if chosen is None and len(turn.held) > 1:
                return _ask_which(core, turn, {"do": name, "text": args})
            return _case_command(core, replace(turn, case=chosen), name, args)
        if name == "ke":
            return focus(core, turn, args)
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
        if name in ("onduty", "offduty"):
            return enrol.duty(core, turn, on=name == "onduty")
        if name == "nama" and args:
            return enrol.set_pseudonym(core, turn, args)
        if name == "join":
            return _reply(core, turn, "enrol.already_staff")
        return _reply(core, turn, "staff.help", name=turn.party.display_name or "",  # any other
                      role=core.text(f"role.{turn.party.role}", turn.conversation.lang))
    if turn.kind is Kind.UNSUPPORTED:
        return _reply(core, turn, "core.unsupported")
    text, _ = clean_text(turn.text, core.max_text_chars)
    if not text:
        return _reply(core, turn, "core.empty")
    if turn.conversation.vars.get("await") == enrol.AWAIT_PSEUDONYM:
        return enrol.set_pseudonym(core, turn, text)
    if not turn.held:
        return _reply(core, turn, "core.staff_text")
    chosen = _choose(turn, "")
    if chosen is None:
        return _ask_which(core, turn, {"do": "send", "text": text})
    return relay_to_student(core, replace(turn, case=chosen), text)


def _case_command(core: Core, turn: Turn, name: str, args: str) -> Outcome:
    if name == "selesai":
        return close(core, turn, args)
    if name == "eskalasi":
        return handoff.escalate(core, turn, args)
    return handoff.note(core, turn, args)


def _code_argument(turn: Turn, args: str) -> tuple[str, str]:
    """("#K7Q2 sudah aman" -> ("K7Q2", "sudah aman")) when the first word names a held case."""
    head, _, rest = args.partition(" ")
    code = head.strip().lstrip("#").upper()
    if code and any(case.code == code for case in turn.held):
        return code, rest.strip()
    return "", args


def _choose(turn: Turn, code: str, use_focus: bool = True) -> CaseView | None:
    """The held case this turn is for, or None when that is not clear."""
    held = {case.code: case for case in turn.held}
    if turn.replied is not None and turn.replied.code in held:
        return held[turn.replied.code]
    if code in held:
        return held[code]
    if len(turn.held) == 1:
        return turn.held[0]
    focused = turn.conversation.vars.get(FOCUS)
    return held.get(focused) if use_focus else None


def _case_buttons(turn: Turn) -> tuple[Button, ...]:
    return tuple(Button(f"#{case.code} {case.alias}", PICK_PREFIX + case.code)
                 for case in turn.held)


def _ask_which(core: Core, turn: Turn, pending: dict) -> Outcome:
    """Several cases and no clear choice: keep the message and ask which case it is for."""
    conv = turn.conversation
    outcome = Outcome(conv.moved(vars={**conv.vars, PENDING: pending}))
    key = "staff.which_case_send" if pending["do"] == "send" else "staff.which_case"
    core.say(outcome, turn, key, _case_buttons(turn), n=len(turn.held))
    return outcome


def picked(core: Core, turn: Turn, code: str) -> Outcome:
    """A case button: what waited goes to that case, and it becomes the focus."""
    conv = turn.conversation
    case = next((c for c in turn.held if c.code == code), None)
    if case is None:
        return _reply(core, turn, "staff.not_your_case", audit="button_refused", code=code)
    pending = conv.vars.get(PENDING) or {}
    rest = {k: v for k, v in conv.vars.items() if k != PENDING}
    turn = replace(turn, case=case, conversation=conv.moved(vars={**rest, FOCUS: code}))
    if pending.get("do") == "send":
        return relay_to_student(core, turn, str(pending.get("text", "")))
    if pending.get("do") in CASE_COMMANDS:
        return _case_command(core, turn, pending["do"], str(pending.get("text", "")))
    return _reply(core, turn, "staff.focus_set", code=case.code, alias=case.alias)


def focus(core: Core, turn: Turn, args: str) -> Outcome:
    """/ke KODE: the next messages go to that case (without a code: choose with buttons)."""
    code, _ = _code_argument(turn, args)
    if not turn.held:
        return _reply(core, turn, "staff.no_case")
    if not code:
        return _ask_which(core, turn, {"do": "focus"})
    conv = turn.conversation
    case = next(c for c in turn.held if c.code == code)
    outcome = Outcome(conv.moved(vars={**conv.vars, FOCUS: code}))
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
    lang = case.lang or core.catalog.default_lang
    name = turn.party.pseudonym or turn.party.alias  # never a peer's real name
    role = core.text(f"relay.role_{turn.party.role}", lang, name=name)
    effects: list = [CaseMessage(case.id, turn.party.role, text),
                     to_student(case.code, case.student, core.text("relay.to_student", lang,
                                                                   role=role, text=text))]
    if case.level != "crisis":
        effects.append(handoff.idle_timer(core, case.student, turn.now))
    if len(turn.held) > 1:  # several students: say which one this went to
        effects.append(Send(turn.party.key, core.text(
            "staff.sent_to", turn.conversation.lang, code=case.code, alias=case.alias)))
    return Outcome(turn.conversation, effects)


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
        Send(turn.party.key, core.text("report.summary", lang, **summary_values(data))),
        Send(turn.party.key, caption, chart=weeks_chart_spec(data, caption, labels)),
        Audit(turn.party.key, "report_viewed", {"from": data.start.isoformat(),
                                                "to": data.end.isoformat()}),
    ])


def close(core: Core, turn: Turn, note: str) -> Outcome:
    """/selesai: counselors must leave an outcome note; a peer's note is optional."""
    case = turn.case
    if case is None:
        return _reply(core, turn, "staff.no_case")
    note, _ = clean_text(note, core.max_text_chars)
    if turn.party.role == "peer":
        return handoff.peer_close(core, turn, note)
    if not note:
        return _reply(core, turn, "staff.close_needs_note")
    return Outcome(turn.conversation, [
        CloseCase(case.id, turn.party.key, note),
        CancelTimer(case.student, handoff.IDLE_TIMER),
        Send(case.student, core.text("student.case_closed", case.lang or "id")),
        *handoff.survey(core, case),
        Send(turn.party.key, core.text("staff.closed", turn.conversation.lang, code=case.code)),
        Audit(turn.party.key, "case_closed", {"code": case.code}),
    ])
