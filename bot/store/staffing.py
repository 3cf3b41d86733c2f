"""Staff removal: demote, and give their open cases back to the queue. A ``requeued`` timer due
now lets the running bot decide what that means (offers again, or guru BK's ladder from its first
level: bot/core/requeue.py)."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.core.keys import UserKey
from bot.core.requeue import REQUEUED_TIMER
from bot.store import cases, timers
from bot.store.db import fetch_all, ts


async def remove(db: aiosqlite.Connection, key: UserKey, now: dt.datetime) -> int:
    """Returns how many active cases went back to waiting."""
    held = await fetch_all(
        db,
        "SELECT id, student_key, route FROM cases WHERE assignee_key = ? AND status = 'active'",
        (key.value,),
    )
    for row in held:
        await cases.requeue(db, row["id"], key, None)
        await timers.start(db, UserKey(row["student_key"]), REQUEUED_TIMER, now,
                           {"reason": "staff_removed"})
    await db.execute(
        "UPDATE offers SET status = 'closed' WHERE peer_key = ? AND status = 'open'", (key.value,)
    )
    await db.execute(  # their name stays, for the record (audit, /lihat, reports): it is
        # a staff name, never shown to students, and find_staff skips removed people
        "UPDATE users SET former_role = role, removed_at = ?, role = 'student', "
        "duty = 'auto' WHERE key = ? AND role != 'student'",
        (ts(now), key.value),
    )
    return len(held)
