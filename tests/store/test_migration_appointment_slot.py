"""Migration 021 holds each active appointment's slot (one booking per slot from now on): where
two active bookings already share a slot, the earliest keeps the hold, nothing is lost, and
a cancelled one holds nothing."""

from __future__ import annotations

from pathlib import Path

from bot.store.db import migrations
from tests.store.test_migration_tppk import ALL, opened_at


async def test_existing_bookings_hold_their_slot_and_a_shared_one_is_kept(
        tmp_path: Path, monkeypatch) -> None:
    before = max(n for n, _, _ in migrations() if n < 21)
    store = await opened_at(tmp_path / "s.sqlite3", before, monkeypatch)
    try:
        async with store.transaction() as db:
            for key, slot, status in (("a", "2026-11-24T02:00", "confirmed"),
                                      ("b", "2026-11-24T02:00", "requested"),
                                      ("c", "2026-11-24T04:00", "requested"),
                                      ("d", "2026-11-24T04:00", "cancelled")):
                await db.execute(
                    "INSERT INTO appointments (student_key, slot, topic, status, created_at, "
                    "updated_at) VALUES (?, ?, 'x', ?, 't', 't')", (key, slot, status))
        assert await store.migrate() == ALL[-1][0]
        async with store.transaction() as db:
            rows = await db.execute_fetchall(
                "SELECT student_key, slot_hold FROM appointments ORDER BY student_key")
        assert [tuple(r) for r in rows] == [("a", "2026-11-24T02:00"), ("b", None),
                                            ("c", "2026-11-24T04:00"), ("d", None)]
    finally:
        await store.close()
