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
    purpose: str = ""  # alert | notice | reminder | queue (see runtime/effects.purpose_of)
    created_at: dt.datetime | None = None
    last_inbound_at: dt.datetime | None = None  # the recipient's reply window (windows.py)
    window_closed_at: dt.datetime | None = None
    held: bool = False  # it was waiting for the recipient to write (released, or expired)


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
    purpose: str = "",
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
        "created_at, retract_key, case_code, audience, purpose) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (channel, recipient_key, address, seal(payload), priority, ts(now), ts(now),
         retract_key, case_code, audience, purpose or None),
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
    behind ordinary traffic. A row held until its recipient writes again (a closed reply
    window) holds nothing back: a reminder a template can carry still goes. ``skip``:
    recipients a drain is serving right now.
    """
    rows = await fetch_all(
        db,
        "SELECT o.*, w.last_inbound_at AS w_last, w.closed_at AS w_closed FROM outbox AS o "
        "LEFT JOIN reply_windows AS w ON w.user_key = o.recipient_key "
        "WHERE o.status = 'pending' AND o.not_before <= :now "
        "AND o.priority >= :min_priority "
        "AND o.recipient_key NOT IN (SELECT value FROM json_each(:skip)) "
        "AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.recipient_key = o.recipient_key "
        "AND p.status = 'pending' AND p.id < o.id AND p.priority >= o.priority "
        "AND p.not_before > :now AND p.last_error IS NOT 'held') "
        "ORDER BY o.priority DESC, o.id LIMIT :limit",
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
                row["purpose"] or "",
                parse_ts(row["created_at"]),
                parse_ts(row["w_last"]) if row["w_last"] else None,
                parse_ts(row["w_closed"]) if row["w_closed"] else None,
                row["last_error"] == "held",
            )
        )
    return out


async def next_due_at(db: aiosqlite.Connection) -> dt.datetime | None:
    row = await fetch_one(db, "SELECT MIN(not_before) FROM outbox WHERE status = 'pending'")
    return parse_ts(row[0]) if row and row[0] else None


async def mark_sent_many(db: aiosqlite.Connection, row_ids: list[int], now: dt.datetime,
                         keep: frozenset[int] = frozenset()) -> None:
    """Delivered: the words are no longer needed here (secure_delete overwrites them), except
    for rows in ``keep``: their channel reports delivery later and may still fail them (a
    WhatsApp message is wiped when its delivered status comes, see ``record_delivery``)."""
    if row_ids:
        await db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL, delivery = NULL, delivery_error = NULL, "  # a send starts anew
            "payload = CASE WHEN ? THEN payload ELSE X'' END WHERE id = ?",
            [(ts(now), row_id in keep, row_id) for row_id in row_ids],
        )


async def hold(db: aiosqlite.Connection, row_id: int, until: dt.datetime, ref: str = "") -> None:
    """Keep a row until its recipient writes again (windows.opened releases it) or ``until``
    (then it is dropped with a record). ``ref``: a template sent meanwhile (a knock), whose
    delivery reports and replies belong to this row."""
    await db.execute(
        "UPDATE outbox SET not_before = ?, last_error = 'held', "
        "platform_ref = COALESCE(NULLIF(?, ''), platform_ref) WHERE id = ?",
        (ts(until), ref, row_id))


_RANK = ("CASE COALESCE(delivery, '') WHEN 'sent' THEN 1 WHEN 'failed' THEN 2 "
         "WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 0 END")
DELIVERY_RANK = {"sent": 1, "failed": 2, "delivered": 3, "read": 4}


@dataclass(frozen=True)
class SentRow:
    """A message found by the platform's id (a delivery report about it)."""

    id: int
    channel: str
    recipient_key: str
    status: str
    delivery: str
    case_code: str | None
    audience: str | None
    purpose: str
    has_payload: bool
    attempts: int
    priority: int


async def by_ref(db: aiosqlite.Connection, channel: str, ref: str) -> SentRow | None:
    row = await fetch_one(
        db, "SELECT id, channel, recipient_key, status, delivery, case_code, audience, purpose, "
        "length(payload) > 0 AS has_payload, attempts, priority FROM outbox "
        "WHERE channel = ? AND platform_ref = ? ORDER BY id DESC LIMIT 1", (channel, ref))
    if row is None:
        return None
    return SentRow(row["id"], row["channel"], row["recipient_key"], row["status"],
                   row["delivery"] or "", row["case_code"], row["audience"],
                   row["purpose"] or "", bool(row["has_payload"]), row["attempts"],
                   row["priority"])


async def record_delivery(db: aiosqlite.Connection, row_id: int, state: str,
                          error: str = "") -> bool:
    """Record a delivery report monotonically (sent < failed < delivered < read: a late
    "sent" never hides a failure, nothing downgrades "read"); True when it advanced. Once
    delivered, the words are wiped like any sent message's."""
    cursor = await db.execute(
        f"UPDATE outbox SET delivery = ?, delivery_error = NULLIF(?, ''), "
        f"payload = CASE WHEN ? AND status = 'sent' THEN X'' ELSE payload END "
        f"WHERE id = ? AND {_RANK} < ?",
        (state, error[:200], state in ("delivered", "read"), row_id, DELIVERY_RANK[state]))
    return cursor.rowcount == 1


async def record_deliveries(db: aiosqlite.Connection, channel: str,
                            reports: list[tuple[str, str]]) -> int:
    """Record sent/delivered/read reports by the platform's message id, monotonically, in one
    statement; returns how many advanced a record."""
    if not reports:
        return 0
    cursor = await db.executemany(
        f"UPDATE outbox SET delivery = :state, delivery_error = NULL, "
        f"payload = CASE WHEN :state IN ('delivered', 'read') AND status = 'sent' THEN X'' "
        f"ELSE payload END WHERE channel = :channel AND platform_ref = :ref "
        f"AND {_RANK} < :rank",
        [{"state": state, "channel": channel, "ref": ref, "rank": DELIVERY_RANK[state]}
         for ref, state in reports if state in DELIVERY_RANK])
    return max(cursor.rowcount, 0)


async def reopen(db: aiosqlite.Connection, row_id: int, when: dt.datetime, error: str) -> None:
    """A sent message failed after all (a delivery report): back to pending, due ``when``."""
    await db.execute(
        "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?, "
        "attempts = attempts + 1, sent_at = NULL, delivery = NULL WHERE id = ?",
        (ts(when), error[:200], row_id))  # its next send starts a new delivery record


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


async def still_pending(db: aiosqlite.Connection, row_ids: list[int]) -> set[int]:
    """Which of these rows are still pending (several workers: after a recipient's lock)."""
    if not row_ids:
        return set()
    rows = await fetch_all(
        db, "SELECT id FROM outbox WHERE status = 'pending' AND id IN (SELECT CAST(value "
        "AS INTEGER) FROM json_each(?))", (json.dumps(row_ids),))
    return {row[0] for row in rows}
