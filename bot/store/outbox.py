"""Outbox: messages to send, highest priority first, in order per recipient."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from bot.core.events import Button
from bot.store.db import fetch_all, fetch_one, parse_ts, ts


@dataclass(frozen=True)
class OutboxRow:
    id: int
    channel: str
    recipient_key: str
    address: bytes
    text: str
    buttons: tuple[Button, ...]
    priority: int
    attempts: int
    chart: dict | None = None
    edit_ref: str = ""
    keeps_ref: bool = False  # keep the platform's message id once sent (a retraction later,
    # or a staff member replying to it to answer that case)
    case_code: str | None = None
    audience: str | None = None


async def enqueue(
    db: aiosqlite.Connection,
    channel: str,
    recipient_key: str,
    address: bytes,
    text: str,
    buttons: tuple[Button, ...],
    priority: int,
    now: dt.datetime,
    seal: Callable[[str], bytes],
    chart: dict | None = None,
    edit_ref: str = "",
    retract_key: str | None = None,
    case_code: str | None = None,
    audience: str | None = None,
) -> int:
    """Queue a message. Its words are sealed at rest like the address (they are often a
    student's words relayed to staff, or a name shared with consent)."""
    payload = json.dumps(
        {"text": text, "buttons": [[b.label, b.data] for b in buttons], "chart": chart,
         "edit": edit_ref},
        ensure_ascii=False,
    )
    cursor = await db.execute(
        "INSERT INTO outbox (channel, recipient_key, address, payload, priority, not_before, "
        "created_at, retract_key, case_code, audience) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (channel, recipient_key, address, seal(payload), priority, ts(now), ts(now),
         retract_key, case_code, audience),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def due(
    db: aiosqlite.Connection,
    now: dt.datetime,
    open_: Callable[[bytes], str],
    limit: int = 48,
    min_priority: int = 0,
    skip: list[str] | None = None,
) -> list[OutboxRow]:
    """Pending rows whose time has come: crisis priority first, then oldest first.

    A row waits while an older pending row to the same recipient, of the same or higher
    priority, is backing off: per-chat order holds across passes, yet an alert is never stuck
    behind ordinary traffic. ``skip``: recipients a drain is serving right now.
    """
    rows = await fetch_all(
        db,
        "SELECT * FROM outbox AS o WHERE o.status = 'pending' AND o.not_before <= :now "
        "AND o.priority >= :min_priority "
        "AND o.recipient_key NOT IN (SELECT value FROM json_each(:skip)) "
        "AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.recipient_key = o.recipient_key "
        "AND p.status = 'pending' AND p.id < o.id AND p.priority >= o.priority "
        "AND p.not_before > :now) ORDER BY o.priority DESC, o.id LIMIT :limit",
        {"now": ts(now), "limit": limit, "min_priority": min_priority,
         "skip": json.dumps(skip or [])},
    )
    out = []
    for row in rows:
        payload = json.loads(open_(row["payload"]))
        buttons = tuple(Button(label, data) for label, data in payload["buttons"])
        out.append(
            OutboxRow(
                row["id"],
                row["channel"],
                row["recipient_key"],
                row["address"],
                payload["text"],
                buttons,
                row["priority"],
                row["attempts"],
                payload.get("chart"),
                payload.get("edit") or "",
                row["retract_key"] is not None or row["audience"] in ("helper", "staff"),
                row["case_code"],
                row["audience"],
            )
        )
    return out


async def next_due_at(db: aiosqlite.Connection) -> dt.datetime | None:
    row = await fetch_one(db, "SELECT MIN(not_before) FROM outbox WHERE status = 'pending'")
    return parse_ts(row[0]) if row and row[0] else None


async def mark_sent_many(db: aiosqlite.Connection, row_ids: list[int], now: dt.datetime) -> None:
    if row_ids:
        await db.executemany(
            # Delivered: the words are no longer needed here (secure_delete overwrites them).
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "payload = X'' WHERE id = ?",
            [(ts(now), row_id) for row_id in row_ids],
        )


async def remember_refs(db: aiosqlite.Connection, refs: list[tuple[str, int]]) -> None:
    """Keep the platform's message id of sent messages that have buttons (for a retraction)
    or belong to a case a staff member may answer by replying to them."""
    if refs:
        await db.executemany("UPDATE outbox SET platform_ref = ? WHERE id = ?", refs)


async def failed_before(db: aiosqlite.Connection, recipient_key: str, case_code: str,
                        row_id: int) -> bool:
    """Whether an earlier message of this case to this person dead-lettered too."""
    return await fetch_one(
        db, "SELECT 1 FROM outbox WHERE recipient_key = ? AND case_code = ? AND status = 'dead' "
        "AND id < ? LIMIT 1", (recipient_key, case_code, row_id)) is not None


async def case_replied_to(db: aiosqlite.Connection, recipient_key: str, ref: str) -> str | None:
    """The case code of the message this person replied to (a platform message id)."""
    row = await fetch_one(
        db, "SELECT case_code FROM outbox WHERE recipient_key = ? AND platform_ref = ? "
        "AND case_code IS NOT NULL ORDER BY id DESC LIMIT 1", (recipient_key, ref))
    return row[0] if row else None


async def take_retractable(db: aiosqlite.Connection, key: str) -> list[aiosqlite.Row]:
    """Sent messages carrying buttons with this data (each returned once)."""
    rows = await fetch_all(
        db, "SELECT id, channel, recipient_key, address, priority, platform_ref, status "
        "FROM outbox WHERE retract_key = ?", (key,))
    if rows:
        await db.execute("UPDATE outbox SET retract_key = NULL WHERE retract_key = ?", (key,))
    return rows


async def retry_later(
    db: aiosqlite.Connection, row_id: int, when: dt.datetime, error: str, attempt: bool = True
) -> None:
    await db.execute(
        "UPDATE outbox SET attempts = attempts + ?, not_before = ?, last_error = ? WHERE id = ?",
        (int(attempt), ts(when), error[:200], row_id),
    )


async def mark_dead(db: aiosqlite.Connection, row_id: int, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?",
        (error[:200], row_id),
    )


async def forget_sent(db: aiosqlite.Connection, recipient_key: str) -> None:
    """Delete delivered copies for a person who asked to be forgotten (pending ones still go)."""
    await db.execute(
        "DELETE FROM outbox WHERE recipient_key = ? AND status != 'pending'", (recipient_key,)
    )
