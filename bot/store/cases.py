"""Cases: a student's story handed to humans, and the messages that join it."""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.core.conversation import CaseView
from bot.core.keys import UserKey
from bot.store.db import ts


async def open_for(db: aiosqlite.Connection, student: UserKey) -> CaseView | None:
    """The student's case that is not closed yet, if any."""
    async with db.execute(
        "SELECT id, code, route, status, level FROM cases WHERE student_key = ? "
        "AND status != 'closed' ORDER BY id DESC LIMIT 1", (student.value,)
    ) as cursor:
        row = await cursor.fetchone()
    return CaseView(row["id"], row["code"], row["route"], row["status"], row["level"]) if row \
        else None


async def create(db: aiosqlite.Connection, student: UserKey, code: str, route: str, topic: str,
                 weight: int, intake: dict, now: dt.datetime) -> int:
    cursor = await db.execute(
        "INSERT INTO cases (student_key, code, route, topic, weight, intake, opened_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (student.value, code, route, topic, weight, json.dumps(intake, ensure_ascii=False),
         ts(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def add_message(db: aiosqlite.Connection, case_id: int, sender: str, text: str,
                      now: dt.datetime) -> None:
    await db.execute("INSERT INTO case_messages (case_id, sender, text, at) VALUES (?, ?, ?, ?)",
                     (case_id, sender, text, ts(now)))


async def delete_for_student(db: aiosqlite.Connection, student: UserKey) -> int:
    """Delete a student's cases except open crisis records (kept for their safety)."""
    cursor = await db.execute(
        "DELETE FROM cases WHERE student_key = ? AND NOT (level = 'crisis' AND status != 'closed')",
        (student.value,),
    )
    return cursor.rowcount
