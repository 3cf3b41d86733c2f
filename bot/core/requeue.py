"""A case whose helper is gone (removed from the roster, or unreachable) goes back to the queue
and starts again from the first step: a peer case is offered again, a case for guru BK alerts
again from the first level of its ladder. Nobody is left waiting on somebody who cannot come.

``sebaya staff remove`` runs in another process: it only puts the case back to waiting and sets
a ``requeued`` timer due now; the core decides here what that means.
"""

from __future__ import annotations

import datetime as dt

from bot.core import crisis, handoff
from bot.core.context import Context
from bot.core.conversation import CaseView, Party
from bot.core.effects import PRIORITY_CRISIS, Audit, StartTimer, to_student
from bot.core.feature import Feature, Read, TimerKind
from bot.core.reads import AnyoneAlertable

REQUEUED_TIMER = "requeued"


def alert_excerpt(ctx: Context, case: CaseView) -> str:
    """What a restarted ladder quotes: the message that raised the crisis (the oldest of the
    case's messages the screen calls a crisis; the dispatcher loads them all, unrelayed, once
    the case has lost its helper), then the latest when the student wrote more since. Without
    one (a self-report), the latest message or the story."""
    messages = case.unrelayed
    trigger = next((m for m in messages if ctx.risk is not None
                    and ctx.risk.screen(m).level == "crisis"), None)
    if trigger is None:
        return crisis.risky_excerpt(ctx, messages[-1]) if messages else (
            crisis.risky_excerpt(ctx, case.story) if case.story
            else ctx.text("risk.no_story", ctx.catalog.default_lang))
    quote = crisis.risky_excerpt(ctx, trigger)
    if messages[-1] != trigger:
        quote += "\n… " + crisis.risky_excerpt(ctx, messages[-1])
    return quote


def raised_at(case: CaseView) -> dt.datetime | None:
    """When the student raised the crisis (the case's own record), None when unknown: a
    restarted ladder shows how long they have really waited, not since the requeue."""
    for stamp in (case.crisis_at, case.opened_at):
        try:
            return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)
        except (TypeError, ValueError):
            continue
    return None


def resume(ctx: Context, case: CaseView | None, payload: dict, now: dt.datetime,
           alertable: bool = True) -> list:
    """The case is waiting again: restart what brings it to a human. ``alertable``: somebody
    can receive guru BK's alerts (else the student is told to call the hotlines)."""
    if case is None or case.status != "waiting":
        return []
    lang = case.lang or ctx.catalog.default_lang
    reason = str(payload.get("reason", "requeued"))
    audit = Audit(None, "case_requeued", {"code": case.code, "reason": reason})
    if case.route == "peer":
        return [StartTimer(case.student, handoff.OFFER_TIMER, now,
                           {"round": 0, "requeued": True}), audit]
    if case.level == "crisis":
        student = Party(case.student, "student", case.alias, case.code)
        return [*crisis.start_ladder(ctx, student, case.category or "SI",
                                     alert_excerpt(ctx, case), now, teams=False,
                                     since=raised_at(case)),
                to_student(case.code, case.student, ctx.text(
                    "risk.requeued" if alertable else "risk.reply_nobody", lang),
                    priority=PRIORITY_CRISIS), audit]
    return [crisis.counselor_notice(ctx, case.code, case.alias, case.topic, case.weight,
                                    case.story),
            crisis.light_ladder(ctx, case.student, now),
            to_student(case.code, case.student, ctx.text("core.requeued_counselor", lang)),
            audit]


FEATURE = Feature("requeue", timers=(TimerKind(
    REQUEUED_TIMER, lambda ctx, t: resume(ctx, t.case, dict(t.payload), t.now, t.alertable),
    reads=(Read("alertable", lambda ask: AnyoneAlertable()),), context="queue"),))
