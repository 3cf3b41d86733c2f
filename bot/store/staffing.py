"""Staff removal: demote, and give their open cases back to the queue (with a prompt timer)."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.core.keys import UserKey
from bot.store import timers
from bot.store.db import fetch_all

OFFER_TIMER = "offer"


async def remove(db: aiosqlite.Connection, key: UserKey, now: dt.datetime) -> int:
    """Returns how many active cases went back to waiting."""
    held = await fetch_all(
        db,
        "SELECT id, student_key, route FROM cases WHERE assignee_key = ? AND status = 'active'",
        (key.value,),
    )
    for row in held:
        await db.execute(
            "UPDATE cases SET status = 'waiting', assignee_key = NULL WHERE id = ?", (row["id"],)
        )
        await db.execute(
            "INSERT OR IGNORE INTO case_excluded_peers (case_id, peer_key) VALUES (?, ?)",
            (row["id"], key.value),
        )
        await timers.start(
            db, UserKey(row["student_key"]), OFFER_TIMER, now, {"round": 0, "requeued": True}
        )
    await db.execute(
        "UPDATE offers SET status = 'closed' WHERE peer_key = ? AND status = 'open'", (key.value,)
    )
    await db.execute(
        "UPDATE users SET role = 'student', display_name = NULL, pseudonym = NULL, "
        "duty = 'auto' WHERE key = ?",
        (key.value,),
    )
    return len(held)
