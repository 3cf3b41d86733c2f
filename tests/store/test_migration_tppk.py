"""Migration 013 rebuilds users and invites (``-- @widen``) to allow the role tppk: nothing is
lost, not even a column another migration added, and the conversations that reference users
survive (foreign keys are off during the rebuild and checked after)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import db as db_module
from bot.store.db import MigrationError, Store, migrations

ALL = migrations()


async def opened_at(path: Path, version: int, monkeypatch) -> Store:
    """A database created by the migrations up to ``version`` only (then all are shipped)."""
    monkeypatch.setattr(db_module, "migrations", lambda: [m for m in ALL if m[0] <= version])
    store = await Store.open(path)
    monkeypatch.setattr(db_module, "migrations", lambda: ALL)
    return store


async def test_rebuild_keeps_every_column_row_index_and_reference(tmp_path: Path,
                                                                   monkeypatch) -> None:
    store = await opened_at(tmp_path / "s.sqlite3", 10, monkeypatch)
    try:
        async with store.transaction() as db:
            await db.execute("ALTER TABLE users ADD COLUMN extra TEXT")  # another branch's
            await db.execute(
                "INSERT INTO users (key, channel, role, alias, code, address, created_at, "
                "last_seen_at, duty, pseudonym, extra) VALUES ('k1', 'test', 'peer', 'Kucing', "
                "'K7Q2', x'00', 't', 't', 'on', 'Bintang', 'kept')")
            await db.execute("INSERT INTO conversations (user_key, vars, version, updated_at) "
                             "VALUES ('k1', '{\"a\": 1}', 3, 't')")
            await db.execute("INSERT INTO invites (code_hash, role, created_at, expires_at) "
                             "VALUES ('h', 'counselor', 't', 't')")
        assert await store.migrate() == ALL[-1][0]
        async with store.transaction() as db:
            user = await (await db.execute(
                "SELECT role, duty, pseudonym, extra FROM users")).fetchone()
            conv = await (await db.execute("SELECT vars, version FROM conversations"))\
                .fetchone()
            invite = await (await db.execute("SELECT role FROM invites")).fetchone()
            indexes = await (await db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'"))\
                .fetchall()
            fk_on = await (await db.execute("PRAGMA foreign_keys")).fetchone()
            await db.execute("UPDATE users SET role = 'tppk' WHERE key = 'k1'")
            await db.execute("INSERT INTO invites (code_hash, role, created_at, expires_at) "
                             "VALUES ('h2', 'tppk', 't', 't')")
        assert tuple(user) == ("peer", "on", "Bintang", "kept")
        assert tuple(conv) == ('{"a": 1}', 3) and tuple(invite) == ("counselor",)
        assert "users_role" in {r[0] for r in indexes} and fk_on[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            async with store.transaction() as db:
                await db.execute("UPDATE users SET role = 'janitor'")
        async with store.transaction() as db:  # the cascade still works after the rebuild
            await db.execute("DELETE FROM users WHERE key = 'k1'")
            assert not await (await db.execute("SELECT 1 FROM conversations")).fetchall()
    finally:
        await store.close()


async def test_a_widen_that_does_not_fit_is_an_error(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.sqlite3")
    try:
        with pytest.raises(MigrationError, match="not in its definition"):
            await db_module._widened(store.db, "-- @widen users: CHECK (nothing) -> CHECK (x)")
        script, rebuilds = await db_module._widened(  # already widened: left alone
            store.db, "-- @widen invites: CHECK (role IN ('peer')) -> 'tppk'")
        assert not rebuilds and "@widen" not in script
    finally:
        await store.close()
