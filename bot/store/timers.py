"""Timers: durable rows, one per (owner, kind); fired by the timer loop when due.

Payloads are sealed at rest (``seal()``, bot/store/db.py): a crisis ladder's carries the
excerpt of the student's words its alerts quote."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.core.keys import UserKey
from bot.store.db import fetch_all, fetch_one, parse_ts, ts
from bot.store.port import is_postgres

_SELECT = "SELECT id, owner_key, kind, due_at, unseal(payload) AS payload FROM timers "
# Several workers: a timer another worker is firing right now is skipped, not waited for.
_DUE_PG = _SELECT + "WHERE due_at <= ? ORDER BY due_at, id LIMIT ? FOR UPDATE SKIP LOCKED"
_CLAIM_PG = ("DELETE FROM timers WHERE id = (SELECT id FROM timers WHERE id = ? AND "
             "due_at <= ? FOR UPDATE SKIP LOCKED) "
             "RETURNING id, owner_key, kind, due_at, unseal(payload) AS payload")


@dataclass(frozen=True)
class TimerRow:
    id: int
    owner: UserKey
    kind: str
    due: dt.datetime
    payload: dict[str, Any]


async def start(
    db: aiosqlite.Connection, owner: UserKey, kind: str, due: dt.datetime, payload: dict[str, Any]
) -> None:
    """Set (or reset) the owner's timer of this kind."""
    await db.execute(
        "INSERT INTO timers (owner_key, kind, due_at, payload) VALUES (?, ?, ?, seal(?)) "
        "ON CONFLICT (owner_key, kind) DO UPDATE SET due_at = excluded.due_at, "
        "payload = excluded.payload",
        (owner.value, kind, ts(due), json.dumps(payload)),
    )


async def ensure(db: aiosqlite.Connection, owner: UserKey, kind: str, due: dt.datetime) -> None:
    """Create the timer unless one of this kind is already pending."""
    await db.execute(
        "INSERT OR IGNORE INTO timers (owner_key, kind, due_at, payload) "
        "VALUES (?, ?, ?, seal(?))",
        (owner.value, kind, ts(due), "{}"),
    )


async def due_now(db: aiosqlite.Connection, owner: UserKey, kind: str, now: dt.datetime) -> None:
    """Bring the owner's pending timer of this kind forward to now."""
    await db.execute("UPDATE timers SET due_at = ? WHERE owner_key = ? AND kind = ? AND due_at > ?",
                     (ts(now), owner.value, kind, ts(now)))


async def due_all_now(db: aiosqlite.Connection, kind: str, now: dt.datetime) -> None:
    """Bring every pending timer of this kind forward to now."""
    await db.execute("UPDATE timers SET due_at = ? WHERE kind = ? AND due_at > ?",
                     (ts(now), kind, ts(now)))


async def cancel(db: aiosqlite.Connection, owner: UserKey, kind: str | None = None) -> None:
    if kind is None:
        await db.execute("DELETE FROM timers WHERE owner_key = ?", (owner.value,))
    else:
        await db.execute("DELETE FROM timers WHERE owner_key = ? AND kind = ?", (owner.value, kind))


def _row(row: aiosqlite.Row) -> TimerRow:
    return TimerRow(
        row["id"],
        UserKey(row["owner_key"]),
        row["kind"],
        parse_ts(row["due_at"]),
        json.loads(row["payload"]),  # unsealed by _SELECT
    )


async def due(db: aiosqlite.Connection, now: dt.datetime, limit: int = 100) -> list[TimerRow]:
    return [
        _row(r)
        for r in await fetch_all(
            db,
            _DUE_PG if is_postgres(db) else
            _SELECT + "WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
            (ts(now), limit),
        )
    ]


async def owner_of(db: aiosqlite.Connection, timer_id: int) -> UserKey | None:
    row = await fetch_one(db, "SELECT owner_key FROM timers WHERE id = ?", (timer_id,))
    return UserKey(row[0]) if row else None


async def claim(db: aiosqlite.Connection, timer_id: int, now: dt.datetime) -> TimerRow | None:
    """Take a due timer out of the table (inside the transaction that handles it). Ids are
    reused after a delete: a second pass holding the same id must not claim the next round's
    timer that took it (that sent every offer twice), so the timer must be due. On
    PostgreSQL the row is claimed with FOR UPDATE SKIP LOCKED: exactly one worker gets it."""
    if is_postgres(db):
        row = await fetch_one(db, _CLAIM_PG, (timer_id, ts(now)))
        return _row(row) if row else None
    row = await fetch_one(db, _SELECT + "WHERE id = ? AND due_at <= ?",
                          (timer_id, ts(now)))
    if row is None:
        return None
    await db.execute("DELETE FROM timers WHERE id = ?", (timer_id,))
    return _row(row)


async def next_due_at(db: aiosqlite.Connection) -> dt.datetime | None:
    row = await fetch_one(db, "SELECT MIN(due_at) FROM timers")
    return parse_ts(row[0]) if row and row[0] else None
