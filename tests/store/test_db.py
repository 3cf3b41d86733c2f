"""The SQLite store: migrations from an empty file, PRAGMAs, all-or-nothing transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.db import Store, migrations

TABLES = {"inbox", "users", "conversations", "cases", "case_messages", "outbox", "timers",
          "audit"}


async def test_migrates_an_empty_file_to_the_latest_version(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "new" / "s.sqlite3")
    try:
        assert await store.schema_version() == migrations()[-1][0]
        async with store.transaction() as db:
            rows = await (await db.execute("SELECT name FROM sqlite_master WHERE type='table'"))\
                .fetchall()
        assert {r[0] for r in rows} >= TABLES
    finally:
        await store.close()


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    await (await Store.open(path)).close()
    store = await Store.open(path)
    try:
        assert await store.migrate() == migrations()[-1][0]
    finally:
        await store.close()


async def test_wal_and_synchronous_normal(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.sqlite3")
    try:
        mode = await (await store.db.execute("PRAGMA journal_mode")).fetchone()
        sync = await (await store.db.execute("PRAGMA synchronous")).fetchone()
        fks = await (await store.db.execute("PRAGMA foreign_keys")).fetchone()
        assert (mode[0], sync[0], fks[0]) == ("wal", 1, 1)
    finally:
        await store.close()


async def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with store.transaction() as db:
                await db.execute("INSERT INTO audit (at, action) VALUES ('t', 'a')")
                raise RuntimeError("boom")
        async with store.transaction() as db:
            count = await (await db.execute("SELECT COUNT(*) FROM audit")).fetchone()
        assert count[0] == 0
    finally:
        await store.close()


def test_migration_files_are_numbered_without_gaps() -> None:
    numbers = [number for number, _, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


async def test_urgent_transactions_go_before_ordinary_waiters(tmp_path: Path) -> None:
    import asyncio

    store = await Store.open(tmp_path / "s.sqlite3")
    order: list[str] = []
    gate = asyncio.Event()

    async def work(name: str, urgent: bool = False) -> None:
        async with store.transaction(urgent=urgent):
            order.append(name)
            if name == "holder":
                await gate.wait()

    holder = asyncio.create_task(work("holder"))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(work(f"bulk{i}")) for i in range(3)]
    await asyncio.sleep(0)
    crisis = asyncio.create_task(work("crisis", urgent=True))
    cancelled = asyncio.create_task(work("gone"))
    await asyncio.sleep(0)
    cancelled.cancel()
    gate.set()
    await asyncio.gather(holder, *waiters, crisis, return_exceptions=True)
    assert order == ["holder", "crisis", "bulk0", "bulk1", "bulk2"]
    await store.close()


async def test_new_database_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "data" / "s.sqlite3"
    store = await Store.open(path)
    try:
        async with store.transaction() as db:
            await db.execute("INSERT INTO audit (at, action) VALUES ('x', 'y')")
    finally:
        await store.close()
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)  # loosened by hand: put back at the next start
    await (await Store.open(path)).close()
    assert path.stat().st_mode & 0o777 == 0o600


async def test_stories_written_before_sealing_are_sealed_by_the_migration(tmp_path: Path) -> None:
    import sqlite3

    from bot.core.identity import IdentityVault

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number <= 6:
            conn.executescript(sql)
    conn.executescript(
        "PRAGMA user_version = 6;"
        "INSERT INTO cases (id, student_key, code, route, topic, weight, intake, opened_at) "
        "VALUES (1, 'k', 'ABCD', 'peer', 'lainnya', 1, '{\"story\": \"cerita-lama-zq9\"}', 'x');"
        "INSERT INTO case_messages (case_id, sender, text, at) VALUES (1, 'student', "
        "'pesan-lama-zq9', 'x');")
    conn.commit()
    conn.close()
    vault = IdentityVault(b"k" * 32)
    store = await Store.open(path, vault)
    try:
        async with store.read() as db:
            raw = await db.execute_fetchall("SELECT typeof(text), unseal(text) FROM case_messages")
            story = await db.execute_fetchall("SELECT json_extract(unseal(intake), '$.story') "
                                              "FROM cases")
        assert tuple(raw[0]) == ("blob", "pesan-lama-zq9") and story[0][0] == "cerita-lama-zq9"
        await store.checkpoint()
    finally:
        await store.close()
    assert b"zq9" not in b"".join(p.read_bytes() for p in tmp_path.glob("old.sqlite3*"))


async def test_timer_payloads_are_sealed_and_older_ones_sealed_by_migration_015(
        tmp_path: Path) -> None:
    import sqlite3

    from bot.core.identity import IdentityVault
    from bot.core.keys import UserKey
    from bot.store import timers
    from bot.store.db import parse_ts

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.create_function("seal", 1, lambda value: value)  # 007 runs on no rows here
    for number, _name, sql in migrations():
        if number <= 12:
            conn.executescript(sql)
    conn.executescript(
        "PRAGMA user_version = 12;"
        "INSERT INTO timers (owner_key, kind, due_at, payload) VALUES ('k', 'crisis_ladder', "
        "'2026-01-01T00:00:00.000000Z', '{\"excerpt\": \"kata-lama-qx7\"}');")
    conn.commit()
    conn.close()
    store = await Store.open(path, IdentityVault(b"k" * 32))
    try:
        now = parse_ts("2026-01-01T00:00:00.000000Z")
        async with store.transaction() as db:
            await timers.start(db, UserKey("k2"), "crisis_ladder", now,
                               {"excerpt": "kata-baru-qx7"})
            kinds = await db.execute_fetchall("SELECT DISTINCT typeof(payload) FROM timers")
            due = await timers.due(db, now)
        assert [tuple(k) for k in kinds] == [("blob",)]
        assert sorted(t.payload["excerpt"] for t in due) == ["kata-baru-qx7", "kata-lama-qx7"]
        await store.checkpoint()
    finally:
        await store.close()
    assert b"qx7" not in b"".join(p.read_bytes() for p in tmp_path.glob("old.sqlite3*"))
