"""What staff can do in chat (foundation + crisis): take an alert, talk to the student through
the bot (copies, never forwards), close with an outcome note. Peer handoffs arrive later."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import appointments, crisis, enrol, groups, handoff, supervision
from bot.core.conversation import Outcome, Turn
from bot.core.effects import Audit, CancelTimer, CaseMessage, CloseCase, Send
from bot.core.events import Kind
from bot.core.textclean import clean_text, command_name
from bot.reports.figures import summary_values, weeks_chart_spec

if TYPE_CHECKING:
    from bot.core.core import Core


def staff_turn(core: Core, turn: Turn) -> Outcome:
    if turn.kind is Kind.BUTTON:
        if turn.data.startswith(crisis.TAKE_PREFIX):
            return crisis.take(core, turn)
        if turn.data.startswith(handoff.ACCEPT_PREFIX):
            return handoff.accept(core, turn)
        if turn.data.startswith(appointments.PREFIX):
            return appointments.staff_button(core, turn)
        return _reply(core, turn, "core.stale_button", audit="button_refused")
    if turn.kind is Kind.COMMAND:
        name, args = command_name(turn.text)
        if name == "selesai":
            return close(core, turn, args)
        if name == "eskalasi":
            return handoff.escalate(core, turn, args)
        if name == "catatan":
            return handoff.note(core, turn, args)
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
    if turn.case is None:
        return _reply(core, turn, "core.staff_text")
    return relay_to_student(core, turn, text)


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
    name = turn.party.pseudonym or turn.party.display_name or ""
    role = core.text(f"relay.role_{turn.party.role}", lang, name=name)
    effects = [CaseMessage(case.id, turn.party.role, text),
               Send(case.student, core.text("relay.to_student", lang, role=role, text=text))]
    if case.level != "crisis":
        effects.append(handoff.idle_timer(core, case.student, turn.now))
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
