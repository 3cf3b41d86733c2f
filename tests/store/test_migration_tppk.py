"""Migration 011 rebuilds users and invites to allow the role tppk: nothing is lost, and the
conversations that reference users survive (foreign keys stay on throughout)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store.db import Store, migrations


async def test_rebuild_keeps_users_conversations_and_invites(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = await Store.open(path)
    try:
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO users (key, channel, role, alias, code, address, created_at, "
                "last_seen_at, duty, pseudonym) VALUES ('k1', 'test', 'peer', 'Kucing', 'K7Q2', "
                "x'00', 't', 't', 'on', 'Bintang')")
            await db.execute("INSERT INTO conversations (user_key, vars, version, updated_at) "
                             "VALUES ('k1', '{\"a\": 1}', 3, 't')")
            await db.execute("INSERT INTO invites (code_hash, role, created_at, expires_at) "
                             "VALUES ('h', 'counselor', 't', 't')")
        await store.db.execute("PRAGMA user_version = 10")
        assert await store.migrate() == migrations()[-1][0]
        async with store.transaction() as db:
            user = await (await db.execute("SELECT role, duty, pseudonym FROM users")).fetchone()
            conv = await (await db.execute("SELECT vars, version FROM conversations"))\
                .fetchone()
            invite = await (await db.execute("SELECT role FROM invites")).fetchone()
            await db.execute("UPDATE users SET role = 'tppk' WHERE key = 'k1'")
            await db.execute("INSERT INTO invites (code_hash, role, created_at, expires_at) "
                             "VALUES ('h2', 'tppk', 't', 't')")
            fk = await (await db.execute("PRAGMA foreign_key_check")).fetchall()
        assert tuple(user) == ("peer", "on", "Bintang")
        assert tuple(conv) == ('{"a": 1}', 3) and tuple(invite) == ("counselor",) and not fk
        with pytest.raises(sqlite3.IntegrityError):
            async with store.transaction() as db:
                await db.execute("UPDATE users SET role = 'janitor'")
        async with store.transaction() as db:  # the cascade still works after the rebuild
            await db.execute("DELETE FROM users WHERE key = 'k1'")
            assert not await (await db.execute("SELECT 1 FROM conversations")).fetchall()
    finally:
        await store.close()
