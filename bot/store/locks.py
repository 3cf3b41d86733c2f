"""Locks a query module takes inside a transaction, so that what it reads cannot change
before the transaction commits (PostgreSQL, several workers). SQLite runs one writer
transaction at a time: nothing to take there.
"""

from __future__ import annotations

from typing import Any

from bot.store.port import is_postgres


async def hold_person(db: Any, key: str) -> None:
    """Hold a person (the lock every event and timer of theirs takes: ``lock_person``) until
    the transaction ends. Staff events take it for the student whose case or appointment they
    act on: staff lock themselves first, then the student; a student's events lock only the
    student, so no cycle."""
    if is_postgres(db):
        from bot.store.pg.store import PERSON_SPACE, lock_key, scoped

        await db.advisory_xact_lock(*lock_key(PERSON_SPACE, scoped(db.school, key)))
