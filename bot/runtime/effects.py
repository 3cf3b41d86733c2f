"""Perform the core's effects inside the event's transaction: a registry, effect type -> the
store operation that applies it (one small function each; ``tests/runtime/test_effects_
registry.py`` fails when an effect type has none). The store operations are the query modules
of ``bot/store``, which run the same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.core.angket import AnswerAngket, CloseAngket, OpenAngket
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
from bot.core.features import standard_registry
from bot.core.keys import RoleTarget, UserKey
from bot.core.localized import for_recipient
from bot.core.shifts import AskSwap, LapseSwap, LeaveShift, MarkShift, TakeShift, TakeSwap
from bot.store import (
    angket,
    audit,
    cases,
    conversations,
    invites,
    outbox,
    retention,
    services,
    shifts,
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
    "counselors_only": (("counselor", False),),  # a notice for counselors, never passed on
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


STANDARD_RETRACTABLE = standard_registry().retractable()


@dataclass
class Applying:
    """What an effect's store operation may use: the transaction, the moment, the roster's
    state, user rows already read, the sealer, what sent the messages (a timer's context) and
    the button prefixes whose messages lose their keyboard once answered."""

    db: Any
    now: dt.datetime
    on_shift: bool = True
    known: dict = field(default_factory=dict)
    seal: Callable[[str], bytes] = bytes
    context: str = ""
    retractable: tuple[str, ...] = STANDARD_RETRACTABLE


def _retract_key(effect: Send, retractable: tuple[str, ...]) -> str | None:
    """Offers, alerts and appointment requests lose their buttons once somebody answered
    (RetractButtons): the features declare which first buttons make a message so."""
    data = effect.buttons[0].data if effect.buttons else ""
    return data if retractable and data.startswith(retractable) else None


async def _send(ap: Applying, effect: Send) -> int:
    db, now, known = ap.db, ap.now, ap.known
    if isinstance(effect.to, RoleTarget):
        staff = await recipients(db, effect.to, ap.on_shift)
        if not staff and effect.priority >= PRIORITY_CRISIS:
            log.error("nobody to receive a crisis message for group %s", effect.to.role)
            await audit.record(db, None, "undeliverable", {"group": effect.to.role}, now)
        elif not staff:  # e.g. "taken by Bu Rina" to the others when she is the only one
            log.info("nobody else in group %s", effect.to.role)
        for person in staff:
            await _enqueue(ap, person, effect)
        return len(staff)
    user = known.get(effect.to) or await users.get(db, effect.to)
    if user is None:
        raise EffectError("send to an unknown user")
    known[effect.to] = user  # the next message to them needs no read
    await _enqueue(ap, user, effect)
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


def _enqueue(ap: Applying, user: UserRow, effect: Send) -> Coroutine[Any, Any, int]:
    text, buttons = for_recipient(effect.text, effect.buttons, user.lang)  # staff: their own
    return outbox.enqueue(ap.db, user.channel, user.key.value, user.address, text,
                          buttons, effect.priority, ap.now, ap.seal, effect.chart,
                          retract_key=_retract_key(effect, ap.retractable),
                          case_code=effect.case, audience=effect.audience,
                          purpose=purpose_of(user, effect, ap.context))


# -- one store operation per effect type --------------------------------------------------


async def _open_case(ap: Applying, effect: OpenCase) -> None:
    student = await users.get(ap.db, effect.student)
    if student is None:
        raise EffectError("case for an unknown student")
    level = effect.level
    flags = tuple(effect.vars.get("risk_flags", ())) + effect.rules
    if level == "normal" and flags:
        level = "concern"
    case_id = await cases.create(ap.db, effect.student, student.code, effect.route,
                                 effect.topic, effect.weight, effect.vars, ap.now, level,
                                 effect.category, flags)
    if effect.first_message:  # nobody holds the new case yet
        await cases.add_message(ap.db, case_id, "student", effect.first_message, ap.now,
                                relayed=False)


async def _claim(ap: Applying, effect: ClaimCase) -> None:
    if not await cases.claim(ap.db, effect.case_id, effect.staff, ap.now):
        raise EffectError("claim of a case that was not waiting")  # the core checked


async def _set_reachable(ap: Applying, effect: SetReachable) -> None:
    await users.set_unreachable(ap.db, effect.user, effect.since)
    ap.known.pop(effect.user, None)


async def _set_language(ap: Applying, effect: SetLanguage) -> None:
    await users.set_lang(ap.db, effect.user, effect.lang)
    ap.known.pop(effect.user, None)


async def _enrol(ap: Applying, effect: EnrolStaff) -> None:
    if not await invites.redeem(ap.db, effect.invite_id, effect.user.value, ap.now):
        raise EffectError("invite no longer valid")  # the core checked it
    await users.set_role(ap.db, effect.user, effect.role, effect.name)


async def _update_staff(ap: Applying, effect: UpdateStaff) -> None:
    if effect.pseudonym is not None:
        await users.set_pseudonym(ap.db, effect.user, effect.pseudonym)
    if effect.duty is not None:
        await users.set_duty(ap.db, effect.user, effect.duty)
    if effect.trained or effect.approved_by is not None:
        await users.set_training(ap.db, effect.user, ap.now, effect.trained,
                                 effect.approved_by)


async def _request_appointment(ap: Applying, effect: RequestAppointment) -> None:
    sealed = ap.seal(effect.identity) if effect.identity is not None else None
    await services.request(ap.db, effect.student, effect.slot, effect.topic, sealed, ap.now,
                           effect.ref)


async def _group_signup(ap: Applying, effect: GroupSignup) -> None:
    if effect.join and not await services.sign_up(ap.db, effect.session_id, effect.student,
                                                  ap.now):
        raise Overtaken("the last seat went meanwhile")  # decided afresh
    if not effect.join:
        await services.leave(ap.db, effect.session_id, effect.student)


async def _retract(ap: Applying, effect: RetractButtons) -> int:
    queued = 0
    for row in await outbox.take_retractable(ap.db, effect.data):
        if row["status"] == "sent" and row["platform_ref"]:
            await outbox.enqueue(ap.db, row["channel"], row["recipient_key"], row["address"],
                                 "", (), row["priority"], ap.now, ap.seal,
                                 edit_ref=row["platform_ref"])
            queued += 1
    return queued


async def _offer_waiting(ap: Applying, effect: OfferWaiting) -> None:
    waiting = await cases.oldest_unoffered(ap.db)
    if waiting is not None:
        await timers.start(ap.db, waiting, effect.timer_kind, ap.now, {"round": 0})


async def _purge(ap: Applying, effect: Purge) -> None:
    counts = await retention.purge(
        ap.db, effect.light_before, effect.crisis_before, effect.processed_before,
        seen_before=ap.now - dt.timedelta(days=retention.DEDUP_DAYS))
    await audit.record(ap.db, None, "retention_purge", counts, ap.now)


async def _forget(ap: Applying, effect: ForgetUser) -> None:
    db, user = ap.db, effect.user
    ap.known.pop(user, None)
    await cases.delete_for_student(db, user)
    await services.delete_for_student(db, user)
    await outbox.forget_sent(db, user.value)
    if await cases.has_open_crisis(db, user):
        # guru BK must still be able to reach a student in crisis: keep the address
        await conversations.delete(db, user)
        await timers.cancel(db, user, "flow_idle")
    else:
        await timers.cancel(db, user)
        await users.delete(db, user)
        await windows.forget(db, user.value)


def _audit(ap: Applying, effect: Audit) -> Awaitable[Any]:
    return audit.record(ap.db, effect.actor.value if effect.actor else None, effect.action,
                        effect.detail, ap.now)


APPLY: Mapping[type, Callable[[Applying, Any], Awaitable[int | None]]] = {
    Send: _send,
    OpenCase: _open_case,
    EscalateCase: lambda ap, e: cases.escalate(ap.db, e.case_id, e.category, e.rules, ap.now),
    FlagCase: lambda ap, e: cases.flag(ap.db, e.case_id, e.rules),
    ClaimCase: _claim,
    CloseCase: lambda ap, e: cases.close(ap.db, e.case_id, e.staff, e.note, ap.now),
    OfferCase: lambda ap, e: cases.offer(ap.db, e.case_id, e.peers, e.round, ap.now),
    RequeueCase: lambda ap, e: cases.requeue(ap.db, e.case_id, e.exclude, e.route),
    RecordSurvey: lambda ap, e: cases.record_survey(ap.db, e.case_id, e.score, e.comment,
                                                    ap.now),
    TakeOver: lambda ap, e: cases.take_over(ap.db, e.case_id, e.staff, ap.now),
    AddNote: lambda ap, e: cases.add_note(ap.db, e.case_id, e.author, e.text, ap.now),
    CaseMessage: lambda ap, e: cases.add_message(ap.db, e.case_id, e.sender, e.text, ap.now,
                                                 e.relayed),
    MarkRelayed: lambda ap, e: cases.mark_relayed(ap.db, e.case_id),
    SetReachable: _set_reachable,
    SetLanguage: _set_language,
    StartTimer: lambda ap, e: timers.start(ap.db, e.owner, e.kind, e.due, e.payload),
    CancelTimer: lambda ap, e: timers.cancel(ap.db, e.owner, e.kind),
    DueNow: lambda ap, e: timers.due_now(ap.db, e.owner, e.kind, ap.now),
    AllDueNow: lambda ap, e: timers.due_all_now(ap.db, e.kind, ap.now),
    Audit: _audit,
    EnrolStaff: _enrol,
    UpdateStaff: _update_staff,
    RequestAppointment: _request_appointment,
    SetAppointment: lambda ap, e: services.set_status(ap.db, e.appointment_id, e.status,
                                                      e.staff, ap.now, e.slot),
    ProposeAppointment: lambda ap, e: services.propose(ap.db, e.appointment_id, e.slot, e.by,
                                                       e.staff, ap.now),
    CreateGroupSession: lambda ap, e: services.create_session(
        ap.db, e.topic, e.starts_at, e.place, e.seats, e.created_by, ap.now),
    GroupSignup: _group_signup,
    IssueWebLink: lambda ap, e: web.add_link(ap.db, e.token_hash, e.staff, ap.now, e.expires),
    EndWebSessions: lambda ap, e: web.end_all(ap.db, e.staff),
    RetractButtons: _retract,
    OfferWaiting: _offer_waiting,
    Purge: _purge,
    ForgetUser: _forget,
    AnswerAngket: lambda ap, e: angket.record(ap.db, e.angket_id, e.mark, e.item_id, e.answer),
    OpenAngket: lambda ap, e: angket.open_run(ap.db, e.angket_id, ap.now, e.closes_at, e.by),
    CloseAngket: lambda ap, e: angket.close_run(ap.db, e.angket_id, ap.now),
    TakeShift: lambda ap, e: shifts.take(ap.db, e.peer, e.starts_at, e.ends_at, e.capacity,
                                         ap.now),
    LeaveShift: lambda ap, e: shifts.leave(ap.db, e.peer, e.starts_at, ap.now),
    MarkShift: lambda ap, e: shifts.mark(ap.db, e.peer, e.starts_at, e.mark, e.at),
    AskSwap: lambda ap, e: shifts.ask_swap(ap.db, e.token, e.peer, e.starts_at, ap.now),
    TakeSwap: lambda ap, e: shifts.take_swap(ap.db, e.token, e.taker, e.requester,
                                             e.starts_at, ap.now),
    LapseSwap: lambda ap, e: shifts.lapse_swap(ap.db, e.token, ap.now),
}
COUNTS = frozenset({Send, RetractButtons})  # what they return is how many rows they queued
BATCHED = (StartTimer, Audit)  # single statements reading nothing: they go to the db together


async def apply_effects(db: aiosqlite.Connection, effects: list[Effect], now: dt.datetime,
                        on_shift: bool = True, known: dict | None = None, *,
                        seal: Callable[[str], bytes], context: str = "",
                        retractable: tuple[str, ...] | None = None) -> int:
    """Apply effects in order; returns how many outbox rows were queued. ``on_shift`` says
    whether the roster's shifts are running now (for "on duty" groups); ``known`` holds user
    rows already read in this transaction (the acting person); ``seal`` encrypts what must
    not be stored in clear (a name a student shared with consent); ``context`` names what
    sent the messages when a timer did (``reminder``, ``queue``: see ``purpose_of``);
    ``retractable``: the features' retractable button prefixes (default: the standard
    features')."""
    ap = Applying(db, now, on_shift, {} if known is None else known, seal, context,
                  STANDARD_RETRACTABLE if retractable is None else retractable)
    queued = 0
    batch: list[Awaitable[Any]] = []  # single statements, sent to the db together
    for effect in effects:
        if isinstance(effect, Send) and isinstance(effect.to, UserKey) and effect.to in ap.known:
            batch.append(_enqueue(ap, ap.known[effect.to], effect))
            queued += 1
            continue
        if isinstance(effect, BATCHED):
            batch.append(APPLY[type(effect)](ap, effect))
            continue
        if batch:  # anything else may read what those wrote: they go first, in order
            await asyncio.gather(*batch)
            batch = []
        done = await APPLY[type(effect)](ap, effect)
        if type(effect) in COUNTS:
            queued += done or 0
    if batch:
        await asyncio.gather(*batch)
    return queued
