"""Audit log: who did what to which case. Ids and codes only, never message text."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import aiosqlite

from bot.core.keys import UserKey
from bot.store.db import fetch_all, fetch_one, ts


async def record(
    db: aiosqlite.Connection,
    actor_key: str | None,
    action: str,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    await db.execute(
        "INSERT INTO audit (at, actor_key, action, detail) VALUES (?, ?, ?, ?)",
        (ts(now), actor_key, action, json.dumps(detail, ensure_ascii=False)),
    )


async def count_since(
    db: aiosqlite.Connection, actor_key: str, action: str, since: dt.datetime
) -> int:
    return (
        await fetch_one(
            db,
            "SELECT COUNT(*) FROM audit WHERE actor_key = ? AND action = ? AND at >= ?",
            (actor_key, action, ts(since)),
        )
    )[0]


async def rows(db: aiosqlite.Connection, action: str | None = None) -> list[dict[str, Any]]:
    sql, args = "SELECT * FROM audit", ()
    if action:
        sql, args = sql + " WHERE action = ?", (action,)
    return [
        dict(r) | {"detail": json.loads(r["detail"])}
        for r in await fetch_all(db, sql + " ORDER BY id", args)
    ]


async def last_of(db: aiosqlite.Connection, actor: UserKey,
                  actions: tuple[str, ...]) -> dict[str, Any] | None:
    """The detail of ``actor``'s latest audit row of one of ``actions`` (None: none)."""
    row = await fetch_one(
        db, "SELECT detail FROM audit WHERE actor_key = ? AND action IN "
        "(SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT 1",
        (actor.value, json.dumps(list(actions))))
    return json.loads(row["detail"]) if row else None
