"""A short wellbeing check-in for a peer after a heavy case (issue #17 item 3).

A case is heavy when it carried risk flags (concern or crisis), was escalated or taken over
by guru BK, or ran ``roster.long_case_minutes``. A little after it ends for the peer
(``roster.checkin_minutes``; two hours after an escalation) the durable timer
``peer_checkin`` asks how they are, with three buttons: fine, a bit heavy, or "I'd like to
talk to guru BK", which tells guru BK the peer's pseudonym and nothing of the case. Only the
counts of the answers are kept (audit rows with no actor and no case).
"""

from __future__ import annotations

import datetime as dt

from bot.core.context import Context
from bot.core.conversation import CaseView, Outcome, Turn
from bot.core.effects import Audit, Send, StartTimer
from bot.core.events import Button
from bot.core.feature import STAFF, ButtonRoute, Feature, TimerKind, TimerTurn
from bot.core.keys import RoleTarget, UserKey
from bot.core.localized import staff_text

CHECKIN_TIMER = "peer_checkin"
PREFIX = "wb:"  # wb:ok, wb:heavy, wb:talk
ANSWERS = ("ok", "heavy", "talk")
PENDING = "_wellbeing"  # the peer's conversation: a check-in waits for an answer
AFTER_ESCALATION = dt.timedelta(hours=2)
TEXTS = tuple(f"wellbeing.{k}" for k in (  # checked at start (bot/app.py)
    "ask", "ok", "heavy", "talk", "talk_bk", *(f"{a}_button" for a in ANSWERS)))


def _opened(stored: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def heavy(ctx: Context, case: CaseView, now: dt.datetime) -> bool:
    """Risk flags, a crisis, or a case that ran long."""
    if case.level in ("concern", "crisis") or case.flags:
        return True
    opened = _opened(case.opened_at)
    return opened is not None and now - opened >= ctx.policy.shifts.long_case


def after_case(ctx: Context, case: CaseView, peer: UserKey | None, now: dt.datetime,
               escalated: bool = False) -> list:
    """A peer's case ended for them (closed, escalated, taken over): the check-in, if it was
    heavy. Nothing for a counselor's case."""
    if peer is None or case.route != "peer" or not (escalated or heavy(ctx, case, now)):
        return []
    delay = AFTER_ESCALATION if escalated else ctx.policy.shifts.checkin
    return [StartTimer(peer, CHECKIN_TIMER, now + delay, {})]


def _buttons(ctx: Context, lang: str, *answers: str) -> tuple[Button, ...]:
    return tuple(Button(ctx.text(f"wellbeing.{a}_button", lang), PREFIX + a) for a in answers)


def ask(ctx: Context, t: TimerTurn) -> Outcome:
    """The timer fired: how are you? (only to someone still a peer)."""
    conv = t.conversation
    if t.party.role != "peer":
        return Outcome(conv)
    name = t.party.pseudonym or t.party.alias
    return Outcome(conv.moved(vars={**conv.vars, PENDING: t.now.isoformat()}), [
        Send(t.party.key, ctx.text("wellbeing.ask", conv.lang, name=name),
             _buttons(ctx, conv.lang, *ANSWERS))])


def answer(ctx: Context, turn: Turn) -> Outcome:
    """A check-in button: a warm reply; "talk" tells guru BK (the pseudonym only). Counted,
    never linked to the peer or a case."""
    conv, lang = turn.conversation, turn.conversation.lang
    choice = turn.data.removeprefix(PREFIX)
    if not conv.vars.get(PENDING) or choice not in ANSWERS:
        return Outcome(conv, [Send(turn.party.key, ctx.text("core.stale_button", lang))])
    keep = choice == "heavy"  # "would you like to talk?" stays open
    conv = conv.moved(vars={**conv.vars, PENDING: conv.vars[PENDING] if keep else None})
    effects: list = [Send(turn.party.key, ctx.text(f"wellbeing.{choice}", lang),
                          _buttons(ctx, lang, "talk") if keep else ()),
                     Audit(None, "peer_checkin", {"answer": choice})]
    if choice == "talk":
        effects.append(Send(RoleTarget("counselor"), staff_text(
            ctx, "wellbeing.talk_bk", name=turn.party.pseudonym or turn.party.alias)))
    return Outcome(conv, effects)


FEATURE = Feature(
    "wellbeing",
    buttons=(ButtonRoute(PREFIX, answer, STAFF),),
    timers=(TimerKind(CHECKIN_TIMER, ask),),
)
