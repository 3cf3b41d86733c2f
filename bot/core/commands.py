"""Global commands and buttons that work in every state, one function each.

/start, /help (/bantuan), /bahasa (/language), /stop, /hapus (/delete). Staff commands live
in staff.py.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core import angket, appointments, ask, enrol, handoff
from bot.core.conversation import Outcome, Turn
from bot.core.core import FLOW_IDLE_TIMER, Core
from bot.core.effects import Audit, CancelTimer, ForgetUser, RetractButtons, Send, SetLanguage
from bot.core.events import Button
from bot.core.localized import staff_text
from bot.core.textclean import button_parts, command_name

Command = Callable[[Core, Turn, str], Outcome]


def _start(core: Core, turn: Turn, _: str) -> Outcome:
    if turn.case is not None:
        outcome = Outcome(turn.conversation)
        core.say(outcome, turn, "core.case_still_open",
                 who=core.who(turn.case.route, turn.conversation.lang))
        return outcome
    return core.start(turn)


def _help(core: Core, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    core.say(outcome, turn, "core.help")
    core.reprompt(outcome, turn.conversation)
    return outcome


def _language(core: Core, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    lang = turn.conversation.lang
    buttons = tuple(Button(core.text(f"core.language_{code}", lang), f"g:lang:{code}")
                    for code in core.languages)
    core.say(outcome, turn, "core.language_choose", buttons)
    return outcome


def _stop(core: Core, turn: Turn, _: str) -> Outcome:
    conv = turn.conversation
    outcome = Outcome(conv.moved(flow=None, state=None, vars={}),
                      [CancelTimer(conv.user, FLOW_IDLE_TIMER)])
    if turn.case is not None:
        core.say(outcome, turn, "core.stopped_case_open", who=core.who(turn.case.route, conv.lang))
    else:
        core.say(outcome, turn, "core.stopped")
    return outcome


def _delete(core: Core, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    lang = turn.conversation.lang
    buttons = (Button(core.text("core.delete_yes", lang), "g:del:yes"),
               Button(core.text("core.delete_no", lang), "g:del:no"))
    core.say(outcome, turn, "core.delete_confirm", buttons)
    return outcome


def _menu(core: Core, turn: Turn, _: str) -> Outcome:
    if "menu" not in core.flows:
        return _help(core, turn, "")
    return core.start_flow_named(turn, "menu")


def _appointment(core: Core, turn: Turn, _: str) -> Outcome:
    return appointments.show(core, turn)


def _join(core: Core, turn: Turn, _: str) -> Outcome:
    return enrol.join(core, turn)


def _close(core: Core, turn: Turn, _: str) -> Outcome:
    return handoff.student_close(core, turn)


def _switch(core: Core, turn: Turn, _: str) -> Outcome:
    return handoff.switch_peer(core, turn)


def _skip(core: Core, turn: Turn, _: str) -> Outcome:
    conv = turn.conversation
    outcome = Outcome(conv.moved(vars={k: v for k, v in conv.vars.items()
                                       if k != "survey_case"}))
    core.say(outcome, turn, "survey.skipped")
    return outcome


def _staff_only(core: Core, turn: Turn, _: str) -> Outcome:
    name, _args = command_name(turn.text)
    outcome = Outcome(turn.conversation, [Audit(turn.party.key, "staff_command_refused",
                                                {"command": name})])
    core.say(outcome, turn, "core.staff_only")
    return outcome


COMMANDS: dict[str, Command] = {
    "join": _join, "selesai": _close, "ganti": _switch, "lewati": _skip,
    "done": _close, "switch": _switch, "skip": _skip,  # English
    **{name: _staff_only for name in ("onduty", "offduty", "eskalasi", "catatan", "kasus",
                                      "lihat", "ambil", "nama", "sesi", "laporan", "ke",
                                      "dasbor", "dashboard")},
    "menu": _menu, "janji": _appointment, "appointment": _appointment,
    **{name: angket.student_command for name in angket.COMMANDS},
    "start": _start, "help": _help, "bantuan": _help, "bahasa": _language, "language": _language,
    "stop": _stop, "hapus": _delete, "delete": _delete,
}


def run_command(core: Core, turn: Turn) -> Outcome:
    name, args = command_name(turn.text)
    command = COMMANDS.get(name)
    if command is None:
        outcome = Outcome(turn.conversation)
        core.say(outcome, turn, "core.unknown_command")
        core.reprompt(outcome, turn.conversation)
        return outcome
    return command(core, turn, args)


def _choose_language(core: Core, turn: Turn, code: str) -> Outcome:
    conv = turn.conversation
    if code not in core.languages:
        return _refuse_button(core, turn)
    new = conv.moved(lang=code)
    outcome = Outcome(new, [SetLanguage(conv.user, code)])
    core.say(outcome, turn, "core.language_set")
    core.reprompt(outcome, new)
    return outcome


def _confirm_delete(core: Core, turn: Turn, answer: str) -> Outcome:
    if answer != "yes":
        outcome = Outcome(turn.conversation)
        core.say(outcome, turn, "core.delete_cancelled")
        core.reprompt(outcome, turn.conversation)
        return outcome
    outcome = Outcome(None, [Audit(None, "student_data_deleted", {})])
    core.say(outcome, turn, "core.deleted")  # queued first: its sealed address is copied
    case = turn.case
    if case is not None and case.level != "crisis":  # the helper is not left talking to nobody
        if case.assignee is not None:
            outcome.effects.append(Send(case.assignee, staff_text(
                core, "handoff.student_deleted", code=case.code)))
        outcome.effects.append(RetractButtons(handoff.ACCEPT_PREFIX + case.code))
    outcome.effects.append(ForgetUser(turn.party.key))
    return outcome


def _refuse_button(core: Core, turn: Turn) -> Outcome:
    outcome = Outcome(turn.conversation, [Audit(turn.party.key, "button_refused", {})])
    if turn.conversation.flow is None and turn.case is not None:  # nothing to show: the case
        core.say(outcome, turn, "core.stale_button_case",
                 who=core.who(turn.case.route, turn.conversation.lang))
        return outcome
    if turn.conversation.flow is None:  # no current question to show again
        core.say(outcome, turn, "core.idle_button")
        return outcome
    core.say(outcome, turn, "core.stale_button")
    core.reprompt(outcome, turn.conversation)
    return outcome


GLOBAL_BUTTONS: dict[str, Callable[[Core, Turn, str], Outcome]] = {
    "lang": _choose_language, "del": _confirm_delete, ask.BUTTON: ask.answer,
}


def run_global_button(core: Core, turn: Turn) -> Outcome:
    _, name, value = button_parts(turn.data)
    handler = GLOBAL_BUTTONS.get(name)
    if handler is None:
        return _refuse_button(core, turn)
    return handler(core, turn, value)
