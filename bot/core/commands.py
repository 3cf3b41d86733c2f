"""Global commands and buttons that work in every state, one function each.

/start, /menu, /help (/bantuan), /bahasa (/language), /stop, /hapus (/delete), and the
language and delete buttons. Each feature declares its own commands (``FEATURE`` at the end of
its module); staff commands live in staff.py and the modules it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.conversation import FLOW_IDLE_TIMER, Outcome, Turn
from bot.core.effects import Audit, CancelTimer, ForgetUser, RetractButtons, Send, SetLanguage
from bot.core.events import Button, Kind
from bot.core.feature import STUDENT, ButtonRoute, Command, Fallback, Feature, MenuEntry
from bot.core.handoff import ACCEPT_PREFIX
from bot.core.textclean import button_parts

if TYPE_CHECKING:
    from bot.core.core import Core


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


def _choose_language(core: Core, turn: Turn, code: str) -> Outcome:
    conv = turn.conversation
    if code not in core.languages:
        return refuse_button(core, turn)
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
            outcome.effects.append(Send(case.assignee, core.text(
                "handoff.student_deleted", core.catalog.default_lang, code=case.code)))
        outcome.effects.append(RetractButtons(ACCEPT_PREFIX + case.code))
    outcome.effects.append(ForgetUser(turn.party.key))
    return outcome


def refuse_button(core: Core, turn: Turn) -> Outcome:
    """A button that is not (or no longer) valid: refused, audited, the question again."""
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


def unknown_command(core: Core, turn: Turn) -> Outcome:
    """A command nobody declared (for students): explained, and the question shown again."""
    outcome = Outcome(turn.conversation)
    core.say(outcome, turn, "core.unknown_command")
    core.reprompt(outcome, turn.conversation)
    return outcome


def _value(handler):
    """A ``g:NAME:VALUE`` button's handler, given the value."""
    return lambda core, turn: handler(core, turn, button_parts(turn.data)[2])


def _menu_line(rank: int, id_text: str, en_text: str) -> tuple[MenuEntry, ...]:
    return (MenuEntry((STUDENT,), rank, id_text, en_text),)


FEATURE = Feature(
    "global",
    commands=(
        Command("start", _start, menu=_menu_line(10, "Mulai cerita", "Start talking")),
        Command("menu", _menu, menu=_menu_line(20, "Menu: latihan, info BK, janji temu",
                                               "Menu: exercises, BK info, appointments")),
        Command("help", _help, aliases=("bantuan",), menu=_menu_line(40, "Bantuan", "Help")),
        Command("bahasa", _language, aliases=("language",),
                menu=_menu_line(50, "Ganti bahasa", "Change language")),
        Command("stop", _stop, menu=_menu_line(70, "Berhenti dulu", "Stop for now")),
        Command("hapus", _delete, aliases=("delete",),
                menu=_menu_line(80, "Hapus datamu", "Delete your data")),
    ),
    buttons=(
        ButtonRoute("g:lang:", _value(_choose_language)),
        ButtonRoute("g:del:", _value(_confirm_delete)),
        ButtonRoute("g:", lambda core, turn: refuse_button(core, turn)),  # no such g: button
    ),
    fallbacks=(Fallback(STUDENT, (Kind.COMMAND,), unknown_command),),
)
