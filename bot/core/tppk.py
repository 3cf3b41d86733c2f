"""TPPK (Tim Pencegahan dan Penanganan Kekerasan, Permendikbudristek 46/2023): abuse, sexual
violence and serious bullying are the school's violence team's to know about, besides guru BK.

The crisis ladder stays guru BK's (bot/core/crisis.py); when it starts for a category that
``escalation.categories`` maps to a team, each member of that staff role gets one notice with
the same anonymity as guru BK's alert (case code and alias, never a name or id), and an audit
row. Members are enrolled like counselors (``sebaya staff invite --role tppk``).
"""

from __future__ import annotations

import datetime as dt

from bot.core.context import Context
from bot.core.conversation import CaseView, Conversation
from bot.core.effects import Audit, Send
from bot.core.keys import RoleTarget
from bot.core.localized import staff_text
from bot.core.quote import quoted

TOLD = "_tppk_told"  # the student's conversation: the case whose later risk TPPK was told of
AUDIENCE = None  # a team notice is of the case (its code) but for nobody the case waits on:
# a failed one marks the member unreachable and climbs no ladder


def notify(ctx: Context, code: str, alias: str, category: str, excerpt: str,
           since: dt.datetime) -> list:
    """The notices to the teams configured for ``category`` (none for other categories)."""
    effects: list = []
    for team in ctx.policy.teams.get(category, ()):
        text = staff_text(ctx, f"{team}.notice", code=code, alias=alias,
                          excerpt=quoted(excerpt),
                          category=staff_text(ctx, f"risk.cat.{category}"),
                          time=since.astimezone(ctx.policy.tz).strftime("%H:%M"))
        effects += [Send(RoleTarget(team), text, case=code, audience=AUDIENCE),
                    Audit(None, f"{team}_notified", {"code": code, "category": category})]
    return effects


def newly_concerned(ctx: Context, case: CaseView, category: str, conv: Conversation) -> bool:
    """More risk in an open crisis case, of a category a team must know, while the case's own
    category is not theirs (so its ladder did not tell them) and they were not told since."""
    return (bool(ctx.policy.teams.get(category)) and not ctx.policy.teams.get(case.category or "")
            and conv.vars.get(TOLD) != case.id)
