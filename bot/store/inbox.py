"""Inbox: raw events persisted before they are acknowledged, replayed until handled."""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.store.db import fetch_all, fetch_one, ts

# A duplicate is either still in the inbox or was purged from it recently (inbox_seen keeps the
# keys of purged rows: platforms such as WhatsApp deliver the same message again for days).
_INSERT = (
    "INSERT INTO inbox (channel, external_id, user_key, payload, received_at) "
    "SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM inbox_seen "
    "WHERE channel = ?1 AND external_id = ?2) ON CONFLICT (channel, external_id) DO NOTHING"
)


async def insert(
    db: aiosqlite.Connection,
    channel: str,
    external_id: str,
    user_key: str,
    payload: bytes,
    now: dt.datetime,
) -> int | None:
    """Insert an event; None when (channel, external_id) was already received (a duplicate)."""
    cursor = await db.execute(_INSERT, (channel, external_id, user_key, payload, ts(now)))
    return cursor.lastrowid if cursor.rowcount == 1 else None


async def insert_many(
    db: aiosqlite.Connection, rows: list[tuple[str, str, str, bytes]], now: dt.datetime
) -> list[int | None]:
    """Insert a polled batch of (channel, external_id, user_key, payload) in three statements
    whatever its size (inside a write transaction: new rows are exactly those above the old
    maximum id); None for a duplicate."""
    if len(rows) == 1:
        return [await insert(db, *rows[0], now)]
    top = (await fetch_one(db, "SELECT COALESCE(MAX(id), 0) FROM inbox"))[0]
    await db.executemany(_INSERT, [(*row, ts(now)) for row in rows])
    new = {(r["channel"], r["external_id"]): r["id"] for r in await fetch_all(
        db, "SELECT id, channel, external_id FROM inbox WHERE id > ?", (top,))}
    out: list[int | None] = []
    for channel, external_id, _, _ in rows:
        out.append(new.pop((channel, external_id), None))  # a repeat inside the batch: None
    return out


async def get_pending(db: aiosqlite.Connection, row_id: int) -> aiosqlite.Row | None:
    return await fetch_one(
        db, "SELECT id, user_key, payload FROM inbox WHERE id = ? AND status = 'pending'", (row_id,)
    )


async def pending(db: aiosqlite.Connection) -> list[aiosqlite.Row]:
    """Unhandled events, oldest first (replayed at start)."""
    return list(
        await fetch_all(db, "SELECT id, user_key FROM inbox WHERE status = 'pending' ORDER BY id")
    )


async def claim(db: aiosqlite.Connection, row_id: int, now: dt.datetime) -> bool:
    """Mark a pending row handled (inside the transaction that handles it); False when it was
    handled already. The payload is wiped: the event is in memory."""
    cursor = await db.execute(
        "UPDATE inbox SET status = 'done', handled_at = ?, payload = NULL "
        "WHERE id = ? AND status = 'pending'",
        (ts(now), row_id),
    )
    return cursor.rowcount == 1


async def finish(
    db: aiosqlite.Connection, row_id: int, now: dt.datetime, status: str = "done"
) -> None:
    """Mark handled and wipe the sealed payload: it is no longer needed."""
    await db.execute(
        "UPDATE inbox SET status = ?, handled_at = ?, payload = NULL WHERE id = ?",
        (status, ts(now), row_id),
    )


async def older_pending(db: aiosqlite.Connection, user_key: str, row_id: int) -> int | None:
    """The oldest pending event of this person before ``row_id`` (several workers: it goes
    first), or None."""
    row = await fetch_one(
        db, "SELECT id FROM inbox WHERE user_key = ? AND status = 'pending' AND id < ? "
        "ORDER BY id LIMIT 1", (user_key, row_id))
    return row[0] if row else None


async def lease(db: aiosqlite.Connection, row_ids: list[int], worker: str,
                until: dt.datetime, inserted: list[int | None] | None = None) -> None:
    """PostgreSQL, several workers: these events are this worker's to handle until ``until``.
    When they are all the rows this transaction ``inserted``, the other workers' sweeps have
    nothing to take: no NOTIFY wakes them (with two workers, every event woke the other one's
    sweep for a transaction that found nothing)."""
    if row_ids:
        await db.execute(
            "UPDATE inbox SET leased_by = ?, lease_until = ? WHERE id IN "
            "(SELECT CAST(value AS INTEGER) FROM json_each(?))",
            (worker, ts(until), json.dumps(row_ids)))
    if inserted is not None and hasattr(db, "quiet") and \
            set(row_ids) >= {row for row in inserted if row is not None}:
        db.quiet("inbox")


async def claim_unleased(db: aiosqlite.Connection, worker: str, now: dt.datetime,
                         until: dt.datetime, limit: int = 100) -> list[aiosqlite.Row]:
    """PostgreSQL, several workers: lease to this worker the pending events nobody holds a
    live lease on, oldest first; rows another worker is claiming or handling right now are
    skipped (FOR UPDATE SKIP LOCKED), so each goes to one worker."""
    return await fetch_all(
        db, "UPDATE inbox SET leased_by = ?, lease_until = ? WHERE id IN (SELECT id FROM inbox "
        "WHERE status = 'pending' AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id "
        "LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id, user_key",
        (worker, ts(until), ts(now), limit))
