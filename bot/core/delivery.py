"""A message that cannot be delivered (blocked the bot, chat deleted, a permanent error) is an
event, not a log line: the outbox sets an ``undeliverable:<audience>`` timer due now for the
case's student, and the core decides here.

- An alert or offer to staff failed: a waiting crisis climbs to its next ladder level at once
  (never its full timeout); a waiting peer case moves to its next offer round at once.
- The helper holding a case cannot be reached: the case goes back to the queue and starts
  again from the first step (bot/core/requeue.py), without them.
- The student cannot be reached: the helper is told, and a note joins the case.
"""

from __future__ import annotations

import datetime as dt

from bot.core import crisis, handoff
from bot.core.context import Context
from bot.core.conversation import CaseView
from bot.core.effects import (
    PRIORITY_CRISIS,
    Audit,
    CaseMessage,
    DueNow,
    RequeueCase,
    Send,
    StartTimer,
    to_student,
)
from bot.core.feature import Feature, Read, TimerKind
from bot.core.keys import UserKey
from bot.core.localized import staff_text
from bot.core.reads import AnyoneAlertable
from bot.core.requeue import REQUEUED_TIMER

UNDELIVERABLE = "undeliverable"  # timer kind prefix: undeliverable:staff|helper|student


def failed(ctx: Context, case: CaseView | None, audience: str, payload: dict,
           now: dt.datetime, alertable: bool = True) -> list:
    """What a permanent delivery failure of a case's message means for that case.
    ``alertable``: somebody can still receive guru BK's alerts (else a student in crisis is
    told the truth, with the hotlines)."""
    if case is None:
        return []
    recipient = UserKey(str(payload.get("recipient", "")))
    audit = Audit(None, "delivery_failed", {"code": case.code, "audience": audience})
    if audience == "staff" and case.status == "waiting":
        if case.route == "counselor" and case.level == "crisis":
            effects: list = [DueNow(case.student, crisis.LADDER_TIMER), audit]
            if not alertable:  # no counselor or backup can be reached at all
                effects.append(to_student(case.code, case.student, ctx.text(
                    "risk.reply_nobody", case.lang or ctx.catalog.default_lang),
                    priority=PRIORITY_CRISIS))
            return effects
        if case.route == "peer":
            return [DueNow(case.student, handoff.OFFER_TIMER), audit]
        return [audit]
    if audience == "helper" and case.status == "active" and case.assignee == recipient:
        return [RequeueCase(case.id, exclude=recipient),
                StartTimer(case.student, REQUEUED_TIMER, now, {"reason": "helper_unreachable"}),
                audit]
    if audience == "student" and case.assignee is not None:
        return [Send(case.assignee, staff_text(ctx, "staff.student_unreachable",
                                               code=case.code)),
                CaseMessage(case.id, "system", ctx.text("staff.student_unreachable_note",
                                                         ctx.catalog.default_lang)),
                audit]
    return [audit]


FEATURE = Feature("delivery", timers=(TimerKind(
    UNDELIVERABLE, lambda ctx, t: failed(ctx, t.case, t.kind.partition(":")[2],
                                          dict(t.payload), t.now, t.alertable),
    family=True, reads=(Read("alertable", lambda ask: AnyoneAlertable()),)),))
