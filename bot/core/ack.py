"""Acknowledge a student who keeps typing once, then stay quiet.

A student waiting (for a button to be pressed, for a helper to answer) often writes several
messages in a row. Every one is kept (it joins the story or the case, as before), but only the
first gets a line back; after a long gap (``AGAIN_AFTER`` since the bot last said it) one gentle
line shows the bot is still listening. The mark lives in the conversation variable ``acked``:
``{"on": what was acknowledged, "at": when the bot last said so}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from bot.core.context import Context
from bot.core.conversation import CaseView, Conversation, Turn
from bot.core.effects import PRIORITY_CRISIS, Send, to_student

ACKED = "acked"
AGAIN_AFTER = dt.timedelta(minutes=15)

Say = Literal["first", "again", "quiet"]


def due(conv: Conversation, on: str, now: dt.datetime) -> tuple[Say, Conversation]:
    """What to say to one more message about ``on`` (a step or a case), and the conversation
    with the mark moved when something is said."""
    mark = conv.vars.get(ACKED)
    if not isinstance(mark, dict) or mark.get("on") != on:
        say: Say = "first"
    elif now - _at(mark) >= AGAIN_AFTER:
        say = "again"
    else:
        return "quiet", conv
    return say, conv.moved(vars={**conv.vars, ACKED: {"on": on, "at": now.isoformat()}})


def _at(mark: dict) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(mark.get("at")))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)


def step(conv: Conversation) -> str:
    """The name of a flow step as a mark."""
    return f"step:{conv.flow}:{conv.state}"


def _case(case_id: int) -> str:
    """The name of a waiting case as a mark."""
    return f"case:{case_id}"


def reply_again_key(turn: Turn) -> str:
    """What a student writing again in a waiting crisis is told: that guru BK has it, or,
    when no counselor can be alerted now, the truth and the hotlines (never a false promise)."""
    return "risk.reply_again" if turn.alertable else "risk.reply_again_nobody"


def waiting_case(ctx: Context, turn: Turn, case: CaseView, conv: Conversation
                 ) -> tuple[Conversation, list[Send]]:
    """A student writes into a case nobody holds yet (the words are kept on the case by the
    caller): told once that it is kept, then quiet, then a gentle line after a long gap. In a
    crisis the line says guru BK has it, or the truth and the hotlines when nobody can be
    alerted (reply_again_key); after a gap a crisis hears the ladder's follow-up with
    the hotlines (crisis.py), not a second line from here."""
    say, marked = due(conv, _case(case.id), turn.now)
    if say == "quiet" or (say == "again" and case.level == "crisis"):
        return conv, []  # a waiting crisis hears from the ladder's follow-ups instead
    if case.level == "crisis":
        return marked, [to_student(case.code, turn.party.key, ctx.text(
            reply_again_key(turn), conv.lang), priority=PRIORITY_CRISIS)]
    conv = marked
    key = "core.case_waiting" if say == "first" else "core.case_waiting_again"
    return conv, [Send(turn.party.key, ctx.text(key, conv.lang,
                                                 who=ctx.who(case.route, conv.lang)))]
