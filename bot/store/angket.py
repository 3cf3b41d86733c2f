"""The angket's rows: open periods, anonymous answers, and marks that refuse a second response.

An answer is stored as (angket, item, answer) under a random key and nothing else: no student,
no case, no time. The mark is a keyed hash of (angket, student) made by the caller
(IdentityVault), kept only so one student answers once.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter
from collections.abc import Mapping

import aiosqlite

from bot.core.angket import RunView
from bot.store.db import fetch_all, fetch_one, parse_ts, ts


def _run(row) -> RunView:
    return RunView(row["angket_id"], parse_ts(row["opened_at"]), parse_ts(row["closes_at"]),
                   parse_ts(row["closed_at"]) if row["closed_at"] else None, int(row["n"]))


async def open_run(db: aiosqlite.Connection, angket_id: str, now: dt.datetime,
                   closes_at: dt.datetime, by: str | None) -> None:
    """Open (or reopen, keeping its answers) an angket until ``closes_at``."""
    await db.execute(
        "INSERT INTO angket_runs (angket_id, opened_at, closes_at, closed_at, opened_by) "
        "VALUES (?, ?, ?, NULL, ?) ON CONFLICT (angket_id) DO UPDATE SET "
        "opened_at = excluded.opened_at, closes_at = excluded.closes_at, closed_at = NULL, "
        "opened_by = excluded.opened_by",
        (angket_id, ts(now), ts(closes_at), by))


async def close_run(db: aiosqlite.Connection, angket_id: str, now: dt.datetime) -> bool:
    """Close an open angket now; False when it was not open."""
    cursor = await db.execute(
        "UPDATE angket_runs SET closed_at = ? WHERE angket_id = ? AND closed_at IS NULL "
        "AND closes_at > ?", (ts(now), angket_id, ts(now)))
    return cursor.rowcount == 1


async def runs(db: aiosqlite.Connection) -> dict[str, RunView]:
    """Every angket that was ever opened, by id, with how many students answered it."""
    rows = await fetch_all(
        db, "SELECT r.*, (SELECT COUNT(*) FROM angket_done AS d WHERE d.angket_id = r.angket_id) "
            "AS n FROM angket_runs AS r ORDER BY r.opened_at, r.angket_id")
    return {row["angket_id"]: _run(row) for row in rows}


async def begun(db: aiosqlite.Connection, marks: Mapping[str, str]) -> frozenset[str]:
    """Of the angkets in ``marks`` (id -> this student's mark), those the student began."""
    if not marks:
        return frozenset()
    rows = await fetch_all(
        db, "SELECT angket_id, mark FROM angket_done WHERE mark IN "
            "(SELECT value FROM json_each(?))", (json.dumps(list(marks.values())),))
    return frozenset(r["angket_id"] for r in rows if marks.get(r["angket_id"]) == r["mark"])


async def record(db: aiosqlite.Connection, angket_id: str, mark: str, item_id: str,
                 answer: str) -> None:
    """One answer, counted anonymously; the first one also marks the student as answering."""
    await db.execute("INSERT OR IGNORE INTO angket_done (angket_id, mark) VALUES (?, ?)",
                     (angket_id, mark))
    await db.execute(
        "INSERT INTO angket_answers (token, angket_id, item_id, answer) VALUES (?, ?, ?, ?)",
        (secrets.token_hex(16), angket_id, item_id, answer))


async def counts(db: aiosqlite.Connection, angket_id: str
                 ) -> tuple[int, Counter[tuple[str, str]]]:
    """How many students answered, and ``(item, answer) -> count``."""
    row = await fetch_one(db, "SELECT COUNT(*) AS n FROM angket_done WHERE angket_id = ?",
                          (angket_id,))
    rows = await fetch_all(
        db, "SELECT item_id, answer, COUNT(*) AS n FROM angket_answers WHERE angket_id = ? "
            "GROUP BY item_id, answer", (angket_id,))
    return (int(row["n"]) if row else 0,
            Counter({(r["item_id"], r["answer"]): int(r["n"]) for r in rows}))
