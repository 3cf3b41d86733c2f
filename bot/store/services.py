"""Appointments and group sessions (BK services beyond intake)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import aiosqlite

from bot.core.conversation import AppointmentView, GroupSessionView
from bot.core.keys import UserKey
from bot.store.db import Overtaken, fetch_all, fetch_one, parse_ts, ts
from bot.store.locks import hold_person
from bot.store.port import is_postgres

ACTIVE = ("requested", "declined", "confirmed")
_APPT = (
    "SELECT a.*, COALESCE(a.ref, u.code) AS ref, u.lang AS lang, "
    "s.display_name AS staff_name, "
    "s.pseudonym AS staff_pseudonym FROM appointments AS a "
    "JOIN users AS u ON u.key = a.student_key "
    "LEFT JOIN users AS s ON s.key = a.confirmed_by "
)


def _appointment(row: aiosqlite.Row) -> AppointmentView:
    return AppointmentView(
        row["id"], row["ref"], UserKey(row["student_key"]), parse_ts(row["slot"]),
        row["topic"], row["status"], lang=row["lang"] or "id",
        confirmed_by=UserKey(row["confirmed_by"]) if row["confirmed_by"] else None,
        confirmed_name=row["staff_pseudonym"] or row["staff_name"],
        pending_slot=parse_ts(row["pending_slot"]) if row["pending_slot"] else None,
        pending_from=row["pending_from"] or "",
        pending_by=UserKey(row["pending_by"]) if row["pending_by"] else None,
    )


async def active_for(db: aiosqlite.Connection, student: UserKey) -> AppointmentView | None:
    row = await fetch_one(db, _APPT + "WHERE a.student_key = ? AND a.status IN "
                          "('requested', 'declined', 'confirmed') ORDER BY a.id DESC LIMIT 1",
                          (student.value,))
    return _appointment(row) if row else None


async def active_by_ref(db: aiosqlite.Connection, ref: str) -> AppointmentView | None:
    """The active appointment with this code (a staff button names it). On PostgreSQL its
    student is held first (``hold_person``): two counselors answering it on two workers are
    decided one after the other, and a move by the student cannot slip in between."""
    if is_postgres(db):
        owner = await fetch_one(db, "SELECT a.student_key FROM appointments AS a "
                                "JOIN users AS u ON u.key = a.student_key "
                                "WHERE COALESCE(a.ref, u.code) = ? AND a.status IN "
                                "('requested', 'declined', 'confirmed') "
                                "ORDER BY a.id DESC LIMIT 1", (ref.strip().upper(),))
        if owner is None:
            return None
        await hold_person(db, owner["student_key"])
    row = await fetch_one(db, _APPT + "WHERE COALESCE(a.ref, u.code) = ? AND a.status IN "
                          "('requested', 'declined', 'confirmed') ORDER BY a.id DESC LIMIT 1",
                          (ref.strip().upper(),))
    return _appointment(row) if row else None


HOLDING = ("requested", "confirmed")  # the statuses whose slot is held (slot_hold)


def _slot_taken(exc: BaseException) -> bool:
    """A second active booking of one slot (the unique slot_hold index, either database)."""
    return isinstance(exc, sqlite3.IntegrityError) or type(exc).__name__ == \
        "UniqueViolationError"


async def _held(db: aiosqlite.Connection, sql: str, args: tuple) -> aiosqlite.Cursor:
    """Run a statement that may hold a slot; another booking of it is ``Overtaken``."""
    try:
        return await db.execute(sql, args)
    except Exception as exc:
        if _slot_taken(exc):
            raise Overtaken("that slot was booked meanwhile") from exc  # decided afresh
        raise


async def request(db: aiosqlite.Connection, student: UserKey, slot: dt.datetime, topic: str,
                  identity: bytes | None, now: dt.datetime, ref: str | None = None) -> int:
    """A new request, or the active one moved to ``slot`` (waiting for confirmation again).
    The slot is held in the store: another student's booking of it is ``Overtaken``."""
    current = await active_for(db, student)
    if current is not None:
        await _held(
            db,
            "UPDATE appointments SET slot = ?, slot_hold = ?, status = 'requested', "
            "confirmed_by = NULL, pending_slot = NULL, pending_from = NULL, pending_by = NULL, "
            "updated_at = ? WHERE id = ?", (ts(slot), ts(slot), ts(now), current.id))
        return current.id
    cursor = await _held(
        db,
        "INSERT INTO appointments (student_key, slot, slot_hold, topic, status, identity, "
        "consent_at, created_at, updated_at, ref) VALUES (?, ?, ?, ?, 'requested', ?, ?, ?, ?, ?)",
        (student.value, ts(slot), ts(slot), topic, identity, ts(now) if identity else None,
         ts(now), ts(now), ref))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def set_status(db: aiosqlite.Connection, appointment_id: int, status: str,
                     staff: UserKey | None, now: dt.datetime,
                     slot: dt.datetime | None = None) -> None:
    """A new status (and time, when given); a time that waited for an answer is settled; a
    cancelled, declined or past appointment lets its slot go."""
    await _held(
        db,
        "UPDATE appointments SET status = ?, confirmed_by = COALESCE(?, confirmed_by), "
        "slot = COALESCE(?, slot), slot_hold = CASE WHEN ? THEN COALESCE(?, slot) END, "
        "pending_slot = NULL, pending_from = NULL, pending_by = NULL, updated_at = ? "
        "WHERE id = ?",
        (status, staff.value if staff else None, ts(slot) if slot else None,
         status in HOLDING, ts(slot) if slot else None, ts(now), appointment_id))


async def taken_slots(db: aiosqlite.Connection, student: UserKey,
                      now: dt.datetime) -> tuple[dt.datetime, ...]:
    """The coming slots other students' requested or confirmed appointments hold."""
    rows = await fetch_all(
        db, "SELECT slot FROM appointments WHERE status IN ('requested', 'confirmed') "
        "AND slot >= ? AND student_key != ?", (ts(now), student.value))
    return tuple(parse_ts(r["slot"]) for r in rows)


async def propose(db: aiosqlite.Connection, appointment_id: int, slot: dt.datetime, by: str,
                  staff: UserKey | None, now: dt.datetime) -> None:
    """Another time, asked by the student or proposed by guru BK, waiting for the other side;
    the appointment's slot and status stay as they are."""
    await db.execute(
        "UPDATE appointments SET pending_slot = ?, pending_from = ?, pending_by = ?, "
        "updated_at = ? WHERE id = ?",
        (ts(slot), by, staff.value if staff else None, ts(now), appointment_id))


async def delete_for_student(db: aiosqlite.Connection, student: UserKey) -> None:
    await db.execute("DELETE FROM appointments WHERE student_key = ?", (student.value,))
    await db.execute("DELETE FROM group_signups WHERE student_key = ?", (student.value,))


async def create_session(db: aiosqlite.Connection, topic: str, starts_at: dt.datetime,
                         place: str, seats: int, created_by: UserKey, now: dt.datetime) -> int:
    cursor = await db.execute(
        "INSERT INTO group_sessions (topic, starts_at, place, seats, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (topic, ts(starts_at), place, seats, created_by.value, ts(now)))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def upcoming_sessions(db: aiosqlite.Connection, now: dt.datetime,
                            student: UserKey | None = None) -> tuple[GroupSessionView, ...]:
    rows = await fetch_all(
        db,
        "SELECT g.*, (SELECT COUNT(*) FROM group_signups AS s WHERE s.session_id = g.id) AS n, "
        "EXISTS (SELECT 1 FROM group_signups AS s WHERE s.session_id = g.id "
        "AND s.student_key = ?) AS mine FROM group_sessions AS g WHERE g.starts_at > ? "
        "ORDER BY g.starts_at LIMIT 8",
        (student.value if student else "", ts(now)))
    return tuple(GroupSessionView(r["id"], r["topic"], parse_ts(r["starts_at"]), r["place"],
                                  r["seats"], r["n"], bool(r["mine"])) for r in rows)


async def sign_up(db: aiosqlite.Connection, session_id: int, student: UserKey,
                  now: dt.datetime) -> bool:
    """Join unless the session is full (checked in the same statement); True when the
    student has a seat now (joined, or had joined before). On PostgreSQL the
    session's row is locked first, so two workers filling its last seat count one after the
    other (READ COMMITTED: the count after the lock sees the other's committed sign-up)."""
    if is_postgres(db):
        await db.execute("SELECT id FROM group_sessions WHERE id = ? FOR UPDATE",
                         (session_id,))
    cursor = await db.execute(
        "INSERT OR IGNORE INTO group_signups (session_id, student_key, at) "
        "SELECT ?, ?, ? WHERE (SELECT COUNT(*) FROM group_signups WHERE session_id = ?) < "
        "(SELECT seats FROM group_sessions WHERE id = ?)",
        (session_id, student.value, ts(now), session_id, session_id))
    if cursor.rowcount == 1:
        return True
    return await fetch_one(db, "SELECT 1 FROM group_signups WHERE session_id = ? "
                           "AND student_key = ?", (session_id, student.value)) is not None


async def leave(db: aiosqlite.Connection, session_id: int, student: UserKey) -> None:
    await db.execute("DELETE FROM group_signups WHERE session_id = ? AND student_key = ?",
                     (session_id, student.value))
