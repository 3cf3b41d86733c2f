"""A staff member's kept messages and commands (written with several cases and no clear one:
bot/core/choice.py keeps them and asks) that may no longer go.

A kept item goes only to the case chosen with a button of its own question and only while
fresh: after ``choice.HOLD_FOR`` (the timer says so unasked), once the cases the staff member
holds have changed, or when they type a command first, it is dropped and they are told plainly
that it was NOT sent, with its preview, so nothing reaches a child at a moment it no longer
fits and nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core import choice
from bot.core.context import Context
from bot.core.conversation import CaseView, Conversation, Outcome, Turn
from bot.core.effects import CancelTimer, Send, StartTimer
from bot.core.events import Kind
from bot.core.feature import Feature, Read, TimerKind, TimerTurn
from bot.core.keys import UserKey
from bot.core.reads import HeldCases

TIMER = "held_expiry"  # the first kept item's ``HOLD_FOR`` is over
_QUESTIONS = {"send": "staff.which_case_send", "focus": "staff.which_case_focus",
              "selesai": "staff.which_case_close"}


def sweep(ctx: Context, turn: Turn) -> tuple[Turn, list]:
    """Before a staff turn is routed: drop the kept items that may no longer go (all of them
    when the turn is a command), with a notice for each; the turn goes on without them."""
    items = choice.waiting(turn.conversation)
    if not items:
        return turn, []
    command = turn.kind is Kind.COMMAND
    whys = ["command" if command else choice.expired_why(item, turn) for item in items]
    if not any(whys):
        return turn, []
    keep = [item for item, why in zip(items, whys, strict=True) if not why]
    conv = choice.drop(turn.conversation, keep)
    effects = [notice for item, why in zip(items, whys, strict=True) if why
               for notice in _notice(ctx, conv.lang, turn.party.key, item, why)]
    if keep and not command:  # the next kept item becomes the question
        effects += ask_first(ctx, conv, turn.party.key, turn.held)
    elif not keep:
        effects.append(CancelTimer(turn.party.key, TIMER))
    return replace(turn, conversation=conv), effects


def ask_first(ctx: Context, conv: Conversation, key: UserKey,
              held: tuple[CaseView, ...]) -> list:
    """The question about the first kept item (its own buttons), and its expiry timer."""
    first = choice.first_waiting(conv)
    if first is None:
        return [CancelTimer(key, TIMER)]
    question = ("staff.which_case_gone" if first.get("gone") else
                _QUESTIONS.get(str(first.get("do")), "staff.which_case"))
    text = ctx.text(question, conv.lang, n=len(held), preview=choice.preview(first),
                    command=f"/{first.get('do')}", gone=str(first.get("gone", "")))
    effects: list = [Send(key, text, choice.buttons_for(held, first))]
    due = choice.expires_at(first)
    if due is not None:
        effects.append(StartTimer(key, TIMER, due))
    return effects


def _notice(ctx: Context, lang: str, key: UserKey, item: dict, why: str) -> list:
    do = str(item.get("do", ""))
    if do == "focus":  # a /ke question: nothing was written, nothing is lost
        return []
    reason = ctx.text(f"staff.held_why_{why}", lang,
                      minutes=int(choice.HOLD_FOR.total_seconds() // 60))
    if do == "send":
        return [Send(key, ctx.text("staff.held_dropped", lang, preview=choice.preview(item),
                                   why=reason))]
    return [Send(key, ctx.text("staff.held_dropped_command", lang, command=f"/{do}",
                               why=reason))]


def expire(ctx: Context, timer: TimerTurn) -> Outcome:
    """The expiry timer: the kept items past ``HOLD_FOR`` (or kept under other cases) go, with
    their notices; the next one, if any, is asked about."""
    held = tuple(timer.reads.get("held") or ())
    turn = Turn(timer.party, Kind.TEXT, "", "", timer.now, timer.conversation, held=held)
    swept, effects = sweep(ctx, turn)
    if not effects:  # nothing due yet (an item answered meanwhile): check again when due
        first = choice.first_waiting(swept.conversation)
        due = choice.expires_at(first) if first is not None else None
        return Outcome(timer.conversation,
                       [StartTimer(timer.party.key, TIMER, due)] if due is not None else [])
    return Outcome(swept.conversation, effects)


FEATURE = Feature("held", timers=(
    TimerKind(TIMER, expire, reads=(Read("held", lambda ask: HeldCases()),)),))
