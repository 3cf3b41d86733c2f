"""Retention: delete closed cases and processed rows older than the school's policy."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.store.db import ts

DEDUP_DAYS = 14  # Meta re-delivers a webhook for up to 7 days; keys are kept twice as long


async def purge(db: aiosqlite.Connection, light_before: dt.datetime,
                crisis_before: dt.datetime, processed_before: dt.datetime,
                seen_before: dt.datetime | None = None) -> dict[str, int]:
    """Returns how many rows of each kind went. Transcripts, offers and notes go with their
    case (foreign keys); a survey keeps its score for the reports but loses its comment.
    A purged inbox row leaves its dedup key (channel, external id) in ``inbox_seen`` until
    ``seen_before`` (at least DEDUP_DAYS after it arrived), so a late re-delivery of the
    same message is still recognised."""
    seen_before = seen_before or processed_before - dt.timedelta(days=DEDUP_DAYS)
    counts: dict[str, int] = {}
    expired = ("status = 'closed' AND ((level != 'crisis' AND closed_at < ?) "
               "OR (level = 'crisis' AND closed_at < ?))")
    args = (ts(light_before), ts(crisis_before))
    await db.execute(f"UPDATE surveys SET comment = NULL WHERE case_id IN "
                     f"(SELECT id FROM cases WHERE {expired})", args)
    cursor = await db.execute(f"DELETE FROM cases WHERE {expired}", args)
    counts["cases"] = cursor.rowcount
    await db.execute("INSERT OR IGNORE INTO inbox_seen (channel, external_id, received_at) "
                     "SELECT channel, external_id, received_at FROM inbox "
                     "WHERE status != 'pending' AND handled_at < ? AND received_at >= ?",
                     (ts(processed_before), ts(seen_before)))
    cursor = await db.execute("DELETE FROM inbox WHERE status != 'pending' AND handled_at < ?",
                              (ts(processed_before),))
    counts["inbox"] = cursor.rowcount
    cursor = await db.execute("DELETE FROM inbox_seen WHERE received_at < ?",
                              (ts(seen_before),))
    counts["inbox_seen"] = cursor.rowcount
    # A reply window older than its 24 hours is closed whether or not the row exists.
    await db.execute("DELETE FROM reply_windows WHERE last_inbound_at < ?",
                     (ts(processed_before),))
    await db.execute("DELETE FROM wa_menus WHERE sent_at < ?", (ts(processed_before),))
    cursor = await db.execute("DELETE FROM outbox WHERE status != 'pending' AND created_at < ?",
                              (ts(processed_before),))
    counts["outbox"] = cursor.rowcount
    # Appointments (a name may be sealed in one) and group sessions are kept like light cases,
    # counted from their time; open appointment requests in the future are never touched.
    cursor = await db.execute("DELETE FROM appointments WHERE slot < ?", (ts(light_before),))
    counts["appointments"] = cursor.rowcount
    cursor = await db.execute("DELETE FROM group_sessions WHERE starts_at < ?",
                              (ts(light_before),))
    counts["group_sessions"] = cursor.rowcount
    # Who held which shift (pseudonymous staff records, the report's coverage) the same.
    await db.execute("DELETE FROM shift_holds WHERE starts_at < ?", (ts(light_before),))
    await db.execute("DELETE FROM shift_swaps WHERE starts_at < ?", (ts(light_before),))
    return counts
