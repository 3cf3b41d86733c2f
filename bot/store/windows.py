"""Reply windows: when each person last wrote on a channel that only allows free-form messages
for a while after that (WhatsApp: 24 hours). Messages held for a person whose window was
closed are released the moment they write again."""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.store.db import ts

HELD = "held"  # outbox.last_error of a row waiting for its recipient to write


async def opened(db: aiosqlite.Connection, seen: list[tuple[str, dt.datetime]],
                 now: dt.datetime) -> int:
    """Record that these people wrote (user key, when), then release what was held for them;
    returns how many held messages are due again. A late re-delivery never moves a window
    back (the later time wins)."""
    if not seen:
        return 0
    await db.executemany(
        "INSERT INTO reply_windows (user_key, last_inbound_at) VALUES (?, ?) "
        "ON CONFLICT (user_key) DO UPDATE SET last_inbound_at = excluded.last_inbound_at "
        "WHERE excluded.last_inbound_at > reply_windows.last_inbound_at",
        [(key, ts(at)) for key, at in seen])
    cursor = await db.execute(
        "UPDATE outbox SET not_before = ?, last_error = NULL WHERE status = 'pending' "
        "AND last_error = ? AND recipient_key IN (SELECT value FROM json_each(?))",
        (ts(now), HELD, json.dumps([key for key, _ in seen])))
    return cursor.rowcount


async def closed(db: aiosqlite.Connection, user_key: str, now: dt.datetime) -> None:
    """The platform said this person's window is closed (WhatsApp 131047)."""
    await db.execute(
        "INSERT INTO reply_windows (user_key, last_inbound_at, closed_at) VALUES (?, ?, ?) "
        "ON CONFLICT (user_key) DO UPDATE SET closed_at = excluded.closed_at",
        (user_key, ts(now - dt.timedelta(days=2)), ts(now)))


async def forget(db: aiosqlite.Connection, user_key: str) -> None:
    await db.execute("DELETE FROM reply_windows WHERE user_key = ?", (user_key,))

