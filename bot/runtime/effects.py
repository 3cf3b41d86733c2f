"""Perform the core's effects inside the event's transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiosqlite

from bot.core.angket import AnswerAngket, CloseAngket, OpenAngket
from bot.core.appointments import ANSWER_PREFIX as APPOINTMENT_ANSWER
from bot.core.crisis import TAKE_PREFIX
from bot.core.effects import (
    PRIORITY_CRISIS,
    AddNote,
    AllDueNow,
    Audit,
    CancelTimer,
    CaseMessage,
    ClaimCase,
    CloseCase,
    CreateGroupSession,
    DueNow,
    Effect,
    EndWebSessions,
    EnrolStaff,
    EscalateCase,
    FlagCase,
    ForgetUser,
    GroupSignup,
    IssueWebLink,
    MarkRelayed,
    OfferCase,
    OfferWaiting,
    OpenCase,
    ProposeAppointment,
    Purge,
    RecordSurvey,
    RequestAppointment,
    RequeueCase,
    RetractButtons,
    Send,
    SetAppointment,
    SetLanguage,
    SetReachable,
    StartTimer,
    TakeOver,
    UpdateStaff,
)
from bot.core.handoff import ACCEPT_PREFIX
from bot.core.keys import RoleTarget, UserKey
from bot.core.localized import for_recipient
from bot.store import (
    angket,
    audit,
    cases,
    conversations,
    invites,
    outbox,
    retention,
    services,
    timers,
    users,
    web,
    windows,
)
from bot.store.db import Overtaken
from bot.store.users import UserRow

log = logging.getLogger("sebaya.effects")

# Where a staff group falls back when nobody is in it: an alert never goes to nobody.
_GROUPS: dict[str, tuple[tuple[str, bool], ...]] = {
    "on_duty_counselors": (("counselor", True), ("counselor", False), ("backup", False)),
    "all_counselors": (("counselor", False), ("backup", False)),
    "counselor": (("counselor", False), ("backup", False)),
    "crisis_team": (),  # counselors and backup together, no fallback (see _UNIONS)
    "backup": (("backup", False), ("counselor", False)),
    "peer": (("peer", False),),
}


class EffectError(Exception):
    """An effect could not be applied (e.g. a recipient that does not exist)."""


_UNIONS = {"crisis_team": ("counselor", "backup")}


async def recipients(db: aiosqlite.Connection, target: RoleTarget,
                     on_shift: bool = True) -> list[UserRow]:
    """Who a staff group means now. Staff the bot cannot reach (they blocked it) are skipped
    while anybody reachable is left in the group's fallbacks; if nobody is, they get it anyway
    (they may have come back)."""
    if target.role in _UNIONS:
        found = [u for role in _UNIONS[target.role] for u in await users.with_role(db, role)]
        return [u for u in found if u.key != target.exclude]
    chain = [[u for u in await users.with_role(db, role, on_duty_only, on_shift)
              if u.key != target.exclude]
             for role, on_duty_only in _GROUPS.get(target.role, ((target.role, False),))]
    for group in chain:
        reachable = [u for u in group if not u.unreachable_since]
        if reachable:
            return reachable
    return next((group for group in chain if group), [])


def _retract_key(effect: Send) -> str | None:
    """Offers, alerts and appointment requests lose their buttons once somebody answered
    (RetractButtons)."""
    data = effect.buttons[0].data if effect.buttons else ""
    return data if data.startswith((ACCEPT_PREFIX, TAKE_PREFIX, APPOINTMENT_ANSWER)) else None


async def _send(db: aiosqlite.Connection, effect: Send, now: dt.datetime,
                on_shift: bool, known: dict, seal: Callable[[str], bytes],
                context: str = "") -> int:
    if isinstance(effect.to, RoleTarget):
        staff = await recipients(db, effect.to, on_shift)
        if not staff and effect.priority >= PRIORITY_CRISIS:
            log.error("nobody to receive a crisis message for group %s", effect.to.role)
            await audit.record(db, None, "undeliverable", {"group": effect.to.role}, now)
        elif not staff:  # e.g. "taken by Bu Rina" to the others when she is the only one
            log.info("nobody else in group %s", effect.to.role)
        for person in staff:
            await _enqueue(db, person, effect, now, seal, context)
        return len(staff)
    user = known.get(effect.to) or await users.get(db, effect.to)
    if user is None:
        raise EffectError("send to an unknown user")
    known[effect.to] = user  # the next message to them needs no read
    await _enqueue(db, user, effect, now, seal, context)
    return 1


def purpose_of(user: UserRow, effect: Send, context: str = "") -> str:
    """What a template may stand in for when the recipient's reply window is closed
    (WhatsApp): ``alert`` for what staff must answer now (alerts, offers: messages of a case
    with a button, crisis priority), ``notice`` for other staff messages worth a ping (the
    student's words for the helper, requests with buttons), ``reminder``/``queue`` for a
    student's reminders and queue updates (``context``: set by the timer that sent them).
    Anything else waits until the person writes."""
    if context == "reminder" or (context == "queue" and user.role == "student"):
        return context
    if user.role == "student":
        return ""
    if effect.audience == "staff" and (effect.buttons or effect.priority >= PRIORITY_CRISIS):
        return "alert"
    if user.role == "tppk":  # a violence-team notice (bot/core/tppk.py)
        return "notice"
    return "notice" if effect.audience == "helper" or effect.buttons else ""


def _enqueue(db: aiosqlite.Connection, user: UserRow, effect: Send, now: dt.datetime,
             seal: Callable[[str], bytes], context: str = "") -> Coroutine[Any, Any, int]:
    text, buttons = for_recipient(effect.text, effect.buttons, user.lang)  # staff: their own
    return outbox.enqueue(db, user.channel, user.key.value, user.address, text,
                          buttons, effect.priority, now, seal, effect.chart,
                          retract_key=_retract_key(effect), case_code=effect.case,
                          audience=effect.audience, purpose=purpose_of(user, effect, context))


async def apply_effects(db: aiosqlite.Connection, effects: list[Effect], now: dt.datetime,
                        on_shift: bool = True, known: dict | None = None, *,
                        seal: Callable[[str], bytes], context: str = "") -> int:
    """Apply effects in order; returns how many outbox rows were queued. ``on_shift`` says
    whether the roster's shifts are running now (for "on duty" groups); ``known`` holds user
    rows already read in this transaction (the acting person); ``seal`` encrypts what must
    not be stored in clear (a name a student shared with consent); ``context`` names what
    sent the messages when a timer did (``reminder``, ``queue``: see ``purpose_of``)."""
    queued = 0
    known = {} if known is None else known
    batch: list[Coroutine[Any, Any, Any]] = []  # single statements, sent to the db together
    for effect in effects:
        if isinstance(effect, Send) and isinstance(effect.to, UserKey) and effect.to in known:
            batch.append(_enqueue(db, known[effect.to], effect, now, seal, context))
            queued += 1
            continue
        if isinstance(effect, StartTimer):
            batch.append(timers.start(db, effect.owner, effect.kind, effect.due, effect.payload))
            continue
        if isinstance(effect, Audit):
            actor = effect.actor.value if effect.actor else None
            batch.append(audit.record(db, actor, effect.action, effect.detail, now))
            continue
        if batch:  # anything else may read what those wrote: they go first, in order
            await asyncio.gather(*batch)
            batch = []
        match effect:
            case Send():
                queued += await _send(db, effect, now, on_shift, known, seal, context)
            case OpenCase():
                student = await users.get(db, effect.student)
                if student is None:
                    raise EffectError("case for an unknown student")
                level = effect.level
                flags = tuple(effect.vars.get("risk_flags", ())) + effect.rules
                if level == "normal" and flags:
                    level = "concern"
                case_id = await cases.create(db, effect.student, student.code, effect.route,
                                             effect.topic, effect.weight, effect.vars, now,
                                             level, effect.category, flags)
                if effect.first_message:  # nobody holds the new case yet
                    await cases.add_message(db, case_id, "student", effect.first_message, now,
                                            relayed=False)
            case EscalateCase():
                await cases.escalate(db, effect.case_id, effect.category, effect.rules, now)
            case FlagCase():
                await cases.flag(db, effect.case_id, effect.rules)
            case ClaimCase():
                if not await cases.claim(db, effect.case_id, effect.staff, now):
                    raise EffectError("claim of a case that was not waiting")  # core checked
            case CloseCase():
                await cases.close(db, effect.case_id, effect.staff, effect.note, now)
            case OfferCase():
                await cases.offer(db, effect.case_id, effect.peers, effect.round, now)
            case RequeueCase():
                await cases.requeue(db, effect.case_id, effect.exclude, effect.route)
            case RecordSurvey():
                await cases.record_survey(db, effect.case_id, effect.score, effect.comment, now)
            case TakeOver():
                await cases.take_over(db, effect.case_id, effect.staff, now)
            case AddNote():
                await cases.add_note(db, effect.case_id, effect.author, effect.text, now)
            case CaseMessage():
                await cases.add_message(db, effect.case_id, effect.sender, effect.text, now,
                                        effect.relayed)
            case MarkRelayed():
                await cases.mark_relayed(db, effect.case_id)
            case SetReachable():
                await users.set_unreachable(db, effect.user, effect.since)
                known.pop(effect.user, None)
            case SetLanguage():
                await users.set_lang(db, effect.user, effect.lang)
                known.pop(effect.user, None)
            case CancelTimer():
                await timers.cancel(db, effect.owner, effect.kind)
            case DueNow():
                await timers.due_now(db, effect.owner, effect.kind, now)
            case AllDueNow():
                await timers.due_all_now(db, effect.kind, now)
            case EnrolStaff():
                if not await invites.redeem(db, effect.invite_id, effect.user.value, now):
                    raise EffectError("invite no longer valid")  # the core checked it
                await users.set_role(db, effect.user, effect.role, effect.name)
            case UpdateStaff():
                if effect.pseudonym is not None:
                    await users.set_pseudonym(db, effect.user, effect.pseudonym)
                if effect.duty is not None:
                    await users.set_duty(db, effect.user, effect.duty)
                if effect.trained or effect.approved_by is not None:
                    await users.set_training(db, effect.user, now, effect.trained,
                                             effect.approved_by)
            case RequestAppointment():
                sealed = seal(effect.identity) if effect.identity is not None else None
                await services.request(db, effect.student, effect.slot, effect.topic, sealed,
                                       now, effect.ref)
            case SetAppointment():
                await services.set_status(db, effect.appointment_id, effect.status,
                                          effect.staff, now, effect.slot)
            case ProposeAppointment():
                await services.propose(db, effect.appointment_id, effect.slot, effect.by,
                                       effect.staff, now)
            case CreateGroupSession():
                await services.create_session(db, effect.topic, effect.starts_at, effect.place,
                                              effect.seats, effect.created_by, now)
            case GroupSignup():
                if effect.join and not await services.sign_up(db, effect.session_id,
                                                              effect.student, now):
                    raise Overtaken("the last seat went meanwhile")  # decided afresh
                elif not effect.join:
                    await services.leave(db, effect.session_id, effect.student)
            case IssueWebLink():
                await web.add_link(db, effect.token_hash, effect.staff, now, effect.expires)
            case EndWebSessions():
                await web.end_all(db, effect.staff)
            case AnswerAngket():
                await angket.record(db, effect.angket_id, effect.mark, effect.item_id,
                                    effect.answer)
            case OpenAngket():
                await angket.open_run(db, effect.angket_id, now, effect.closes_at, effect.by)
            case CloseAngket():
                await angket.close_run(db, effect.angket_id, now)
            case RetractButtons():
                for row in await outbox.take_retractable(db, effect.data):
                    if row["status"] == "sent" and row["platform_ref"]:
                        await outbox.enqueue(db, row["channel"], row["recipient_key"],
                                             row["address"], "", (), row["priority"], now,
                                             seal, edit_ref=row["platform_ref"])
                        queued += 1
            case OfferWaiting():
                waiting = await cases.oldest_unoffered(db)
                if waiting is not None:
                    await timers.start(db, waiting, effect.timer_kind, now, {"round": 0})
            case Purge():
                counts = await retention.purge(
                    db, effect.light_before, effect.crisis_before, effect.processed_before,
                    seen_before=now - dt.timedelta(days=retention.DEDUP_DAYS))
                await audit.record(db, None, "retention_purge", counts, now)
            case ForgetUser():
                known.pop(effect.user, None)
                await cases.delete_for_student(db, effect.user)
                await services.delete_for_student(db, effect.user)
                await outbox.forget_sent(db, effect.user.value)
                if await cases.has_open_crisis(db, effect.user):
                    # guru BK must still be able to reach a student in crisis: keep the address
                    await conversations.delete(db, effect.user)
                    await timers.cancel(db, effect.user, "flow_idle")
                else:
                    await timers.cancel(db, effect.user)
                    await users.delete(db, effect.user)
                    await windows.forget(db, effect.user.value)
    if batch:
        await asyncio.gather(*batch)
    return queued
