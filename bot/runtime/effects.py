"""Perform the core's effects inside the event's transaction."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.core.effects import (
    Audit,
    CancelTimer,
    CaseMessage,
    Effect,
    ForgetUser,
    OpenCase,
    Send,
    SetLanguage,
    StartTimer,
)
from bot.core.keys import RoleTarget
from bot.store import audit, cases, outbox, timers, users


class EffectError(Exception):
    """An effect could not be applied (e.g. a recipient that does not exist)."""


async def apply_effects(db: aiosqlite.Connection, effects: list[Effect], now: dt.datetime) -> int:
    """Apply effects in order; returns how many outbox rows were queued."""
    queued = 0
    for effect in effects:
        match effect:
            case Send(to=RoleTarget(role=role)):
                for staff in await users.with_role(db, role):
                    await outbox.enqueue(db, staff.channel, staff.key.value, staff.address,
                                         effect.text, effect.buttons, effect.priority, now)
                    queued += 1
            case Send(to=to):
                user = await users.get(db, to)
                if user is None:
                    raise EffectError("send to an unknown user")
                await outbox.enqueue(db, user.channel, user.key.value, user.address, effect.text,
                                     effect.buttons, effect.priority, now)
                queued += 1
            case OpenCase():
                student = await users.get(db, effect.student)
                if student is None:
                    raise EffectError("case for an unknown student")
                await cases.create(db, effect.student, student.code, effect.route, effect.topic,
                                   effect.weight, effect.vars, now)
            case CaseMessage():
                await cases.add_message(db, effect.case_id, effect.sender, effect.text, now)
            case SetLanguage():
                await users.set_lang(db, effect.user, effect.lang)
            case StartTimer():
                await timers.start(db, effect.owner, effect.kind, effect.due, effect.payload)
            case CancelTimer():
                await timers.cancel(db, effect.owner, effect.kind)
            case Audit():
                actor = effect.actor.value if effect.actor else None
                await audit.record(db, actor, effect.action, effect.detail, now)
            case ForgetUser():
                await cases.delete_for_student(db, effect.user)
                await timers.cancel(db, effect.user)
                await outbox.forget_sent(db, effect.user.value)
                await users.delete(db, effect.user)
    return queued
