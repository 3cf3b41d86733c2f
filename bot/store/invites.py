"""Staff invites: single-use, expiring, stored only as a keyed hash."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.store.db import fetch_one, parse_ts, ts
from bot.store.port import is_postgres


@dataclass(frozen=True)
class InviteRow:
    id: int
    role: str
    name: str | None
    expires_at: dt.datetime
    used: bool


async def create(
    db: aiosqlite.Connection,
    code_hash: str,
    role: str,
    name: str | None,
    now: dt.datetime,
    valid: dt.timedelta,
) -> None:
    await db.execute(
        "INSERT INTO invites (code_hash, role, name, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (code_hash, role, name, ts(now), ts(now + valid)),
    )


async def find(db: aiosqlite.Connection, code_hash: str) -> InviteRow | None:
    row = await fetch_one(  # several workers: a second /join of this code waits for the first
        db, "SELECT * FROM invites WHERE code_hash = ?" + (" FOR UPDATE" if is_postgres(db)
                                                           else ""), (code_hash,))
    if row is None:
        return None
    return InviteRow(
        row["id"], row["role"], row["name"], parse_ts(row["expires_at"]), row["used_at"] is not None
    )


async def redeem(db: aiosqlite.Connection, invite_id: int, user_key: str, now: dt.datetime) -> bool:
    cursor = await db.execute(
        "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL "
        "AND expires_at > ?",
        (ts(now), user_key, invite_id, ts(now)),
    )
    return cursor.rowcount == 1
