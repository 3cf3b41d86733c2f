"""Global commands and buttons that work in every state, one function each.

/start, /menu, /help (/bantuan), /bahasa (/language), /stop, /hapus (/delete), and the
language and delete buttons. Each feature declares its own commands (``FEATURE`` at the end of
its module); staff commands live in staff.py and the modules it names.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.conversation import FLOW_IDLE_TIMER, Outcome, Turn
from bot.core.effects import Audit, CancelTimer, ForgetUser, RetractButtons, Send, SetLanguage
from bot.core.events import Button, Kind
from bot.core.feature import STUDENT, ButtonRoute, Command, Fallback, Feature, MenuEntry
from bot.core.handoff import ACCEPT_PREFIX
from bot.core.localized import staff_text
from bot.core.textclean import button_parts


def _start(ctx: Context, turn: Turn, _: str) -> Outcome:
    if turn.case is not None:
        outcome = Outcome(turn.conversation)
        ctx.say(outcome, turn, "core.case_still_open",
                 who=ctx.who(turn.case.route, turn.conversation.lang))
        return outcome
    return ctx.start(turn)


def _help(ctx: Context, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    ctx.say(outcome, turn, "core.help")
    ctx.reprompt(outcome, turn.conversation)
    return outcome


def _language(ctx: Context, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    lang = turn.conversation.lang
    buttons = tuple(Button(ctx.text(f"core.language_{code}", lang), f"g:lang:{code}")
                    for code in ctx.languages)
    ctx.say(outcome, turn, "core.language_choose", buttons)
    return outcome


def _stop(ctx: Context, turn: Turn, _: str) -> Outcome:
    conv = turn.conversation
    outcome = Outcome(conv.moved(flow=None, state=None, vars={}),
                      [CancelTimer(conv.user, FLOW_IDLE_TIMER)])
    if turn.case is not None:
        ctx.say(outcome, turn, "core.stopped_case_open", who=ctx.who(turn.case.route, conv.lang))
    else:
        ctx.say(outcome, turn, "core.stopped")
    return outcome


def _delete(ctx: Context, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    lang = turn.conversation.lang
    buttons = (Button(ctx.text("core.delete_yes", lang), "g:del:yes"),
               Button(ctx.text("core.delete_no", lang), "g:del:no"))
    ctx.say(outcome, turn, "core.delete_confirm", buttons)
    return outcome


def _menu(ctx: Context, turn: Turn, _: str) -> Outcome:
    if "menu" not in ctx.flows:
        return _help(ctx, turn, "")
    return ctx.start_flow_named(turn, "menu")


def _choose_language(ctx: Context, turn: Turn, code: str) -> Outcome:
    conv = turn.conversation
    if code not in ctx.languages:
        return refuse_button(ctx, turn)
    new = conv.moved(lang=code)
    outcome = Outcome(new, [SetLanguage(conv.user, code)])
    ctx.say(outcome, turn, "core.language_set")
    ctx.reprompt(outcome, new)
    return outcome


def _confirm_delete(ctx: Context, turn: Turn, answer: str) -> Outcome:
    if answer != "yes":
        outcome = Outcome(turn.conversation)
        ctx.say(outcome, turn, "core.delete_cancelled")
        ctx.reprompt(outcome, turn.conversation)
        return outcome
    outcome = Outcome(None, [Audit(None, "student_data_deleted", {})])
    ctx.say(outcome, turn, "core.deleted")  # queued first: its sealed address is copied
    case = turn.case
    if case is not None and case.level != "crisis":  # the helper is not left talking to nobody
        if case.assignee is not None:
            outcome.effects.append(Send(case.assignee, staff_text(
                ctx, "handoff.student_deleted", code=case.code)))
        outcome.effects.append(RetractButtons(ACCEPT_PREFIX + case.code))
    outcome.effects.append(ForgetUser(turn.party.key))
    return outcome


def refuse_button(ctx: Context, turn: Turn) -> Outcome:
    """A button that is not (or no longer) valid: refused, audited, the question again."""
    outcome = Outcome(turn.conversation, [Audit(turn.party.key, "button_refused", {})])
    if turn.conversation.flow is None and turn.case is not None:  # nothing to show: the case
        ctx.say(outcome, turn, "core.stale_button_case",
                 who=ctx.who(turn.case.route, turn.conversation.lang))
        return outcome
    if turn.conversation.flow is None:  # no current question to show again
        ctx.say(outcome, turn, "core.idle_button")
        return outcome
    ctx.say(outcome, turn, "core.stale_button")
    ctx.reprompt(outcome, turn.conversation)
    return outcome


def unknown_command(ctx: Context, turn: Turn) -> Outcome:
    """A command nobody declared (for students): explained, and the question shown again."""
    outcome = Outcome(turn.conversation)
    ctx.say(outcome, turn, "core.unknown_command")
    ctx.reprompt(outcome, turn.conversation)
    return outcome


def _value(handler):
    """A ``g:NAME:VALUE`` button's handler, given the value."""
    return lambda ctx, turn: handler(ctx, turn, button_parts(turn.data)[2])


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
        ButtonRoute("g:", lambda ctx, turn: refuse_button(ctx, turn)),  # no such g: button
    ),
    fallbacks=(Fallback(STUDENT, (Kind.COMMAND,), unknown_command),),
)
