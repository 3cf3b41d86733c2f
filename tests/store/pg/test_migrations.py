"""PostgreSQL's own migrations: a database made before SQLite's 011-017 is brought to them."""

from __future__ import annotations

import datetime as dt
import json

import asyncpg
import pytest

from bot.core.identity import IdentityVault
from bot.store import timers
from bot.store.db import SealingUnavailable, parse_ts
from bot.store.pg.store import PgStore, migrations, sealed_by

VAULT = IdentityVault(b"migration-secret-0123456789")
NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


async def _at_version_2(url: str) -> None:
    """What a pg database looked like before 003: its two migrations and some rows."""
    con = await asyncpg.connect(url)
    try:
        await con.execute("CREATE TABLE sebaya_schema (version integer NOT NULL)")
        for number, _name, sql in migrations():
            if number <= 2:
                await con.execute(sql)
        await con.execute("INSERT INTO sebaya_schema VALUES (2)")
        for key, role, code in (("p1", "peer", "P1"), ("s1", "student", "S1")):
            await con.execute(
                "INSERT INTO users (key, channel, role, alias, code, address, created_at, "
                "last_seen_at) VALUES ($1, 'test', $2, $3, $3, '\\x00'::bytea, "
                "'2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z')", key, role, code)
        await con.execute(
            "INSERT INTO timers (owner_key, kind, due_at, payload) VALUES "
            "('s1', 'crisis_ladder', '2026-11-01T00:00:00.000000Z', '{\"excerpt\": \"takut\"}'),"
            "('system', 'retention', '2026-11-01T00:00:00.000000Z', DEFAULT)")
    finally:
        await con.close()


def test_only_the_timer_payloads_are_sealed_by_a_migration() -> None:
    assert [(n, sealed_by(sql)) for n, _, sql in migrations() if sealed_by(sql)] == [
        (3, [("timers", "payload")])]


async def test_003_seals_timer_payloads_approves_peers_and_widens_roles(pg_url: str) -> None:
    await _at_version_2(pg_url)
    store = await PgStore.open(pg_url, VAULT)
    try:
        assert await store.schema_version() == migrations()[-1][0]
        async with store.raw() as con:  # rows as stored, the school's
            raw = {r["kind"]: bytes(r["payload"]) for r in await con.fetch(
                "SELECT kind, payload FROM timers")}
            assert b"takut" not in raw["crisis_ladder"]  # sealed, not plaintext bytes
            assert VAULT.open(raw["retention"]) == "{}"
            peer = await con.fetchrow("SELECT * FROM users WHERE key = 'p1'")
            assert peer["approved_by"] == "migration"
            assert parse_ts(peer["trained_at"]) == parse_ts(peer["approved_at"])
            student = await con.fetchrow("SELECT * FROM users WHERE key = 's1'")
            assert student["approved_at"] is None and student["former_role"] is None
            audit = await con.fetch("SELECT * FROM audit WHERE action = 'peer_approved'")
            assert [json.loads(a["detail"]) for a in audit] == [
                {"code": "P1", "by": "migration", "reason": "enrolled before the gate"}]
            assert parse_ts(audit[0]["at"]) > NOW - dt.timedelta(days=3650)
            for role in ("tppk", "principal"):
                await con.execute("UPDATE users SET role = $1 WHERE key = 's1'", role)
                await con.execute(
                    "INSERT INTO invites (code_hash, role, created_at, expires_at) "
                    "VALUES ($1, $2, 't', 't')", f"h-{role}", role)
            with pytest.raises(asyncpg.CheckViolationError):
                async with con.transaction():  # a savepoint: the rest goes on
                    await con.execute("UPDATE users SET role = 'janitor' WHERE key = 's1'")
            await con.execute("INSERT INTO web_links (token_hash, user_key, created_at, "
                              "expires_at) VALUES ('t', 's1', 'a', 'b')")
            await con.execute("INSERT INTO web_sessions (token_hash, user_key, created_at, "
                              "expires_at) VALUES ('t', 's1', 'a', 'b')")
            await con.execute("UPDATE appointments SET pending_slot = NULL, "
                              "pending_from = NULL, pending_by = NULL")
        async with store.transaction() as db:
            due = {t.kind: t.payload for t in await timers.due(db, NOW)}
        assert due == {"crisis_ladder": {"excerpt": "takut"}, "retention": {}}
    finally:
        await store.close()


async def test_sealing_a_migrated_column_needs_the_secret(pg_url: str) -> None:
    await _at_version_2(pg_url)
    with pytest.raises(SealingUnavailable):
        await PgStore.open(pg_url, None)
    store = await PgStore.open(pg_url, VAULT)  # nothing half-done: 003 rolled back whole
    try:
        assert await store.schema_version() == migrations()[-1][0]
    finally:
        await store.close()


async def test_008_keeps_a_single_schools_data_as_default_and_readable(
        pg_url: str, pg_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database of one school from before schools: after 008 all of it is the implicit
    school's, readable as before with the same keys; a new school sees none of it."""
    from bot.core.keys import UserKey
    from bot.store import cases, users
    from bot.store.pg import store as pg_module

    every = migrations()
    monkeypatch.setattr(pg_module, "migrations", lambda: [m for m in every if m[0] < 8])
    student = UserKey("s" * 32)
    before = IdentityVault(b"migration-secret-0123456789")
    store = await PgStore.open(pg_url, before)
    try:
        assert await store.schema_version() < 8
        async with store.transaction() as db:
            await users.touch(db, student, "telegram", lambda: before.seal("chat-9"), "id", NOW)
            case = await cases.create(db, student, "K7Q2", "counselor", "teman", 2,
                                      {"story": "cerita-lama"}, NOW)
            await cases.add_message(db, case, "student", "pesan-lama", NOW)
            await timers.start(db, student, "crisis_ladder", NOW, {"excerpt": "takut-lama"})
    finally:
        await store.close()
    monkeypatch.setattr(pg_module, "migrations", lambda: every)
    after = IdentityVault(b"migration-secret-0123456789")
    store = await PgStore.open(pg_url, after)  # applies 008
    try:
        assert await store.schema_version() == every[-1][0] and store.school == "default"
        assert after.user_key("telegram", "9") == before.user_key("telegram", "9")
        async with store.transaction() as db:
            found = await cases.open_by_code(db, "K7Q2")
            assert found is not None and found.id == case and found.student == student
            recent = (await cases.by_id(db, case, with_recent=5)).recent
            assert recent[-1] == ("student", "pesan-lama")
            assert after.open((await users.get(db, student)).address) == "chat-9"
            due = {t.kind: t.payload for t in await timers.due(db, NOW)}
            assert due == {"crisis_ladder": {"excerpt": "takut-lama"}}
    finally:
        await store.close()
    con = await asyncpg.connect(pg_server.admin_url(pg_url))  # the superuser sees every row
    try:
        for table in ("users", "cases", "case_messages", "timers", "meta", "keyring"):
            assert await con.fetchval(f"SELECT count(*) FROM {table}") > 0, table
            assert await con.fetchval(
                f"SELECT count(*) FROM {table} WHERE school <> 'default'") == 0, table
    finally:
        await con.close()
    other = await PgStore.open(pg_url, IdentityVault(b"migration-secret-0123456789"),
                               school="smpn2")
    try:
        async with other.transaction() as db:
            assert await cases.open_by_code(db, "K7Q2") is None
            assert await users.get(db, student) is None
    finally:
        await other.close()


async def test_a_migration_after_008_changes_every_schools_rows(
        pg_url: str, pg_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data migration runs as the owner past the policies (inside its own transaction),
    whichever school's view applies it; the tables are forced again at its commit."""
    from bot.store.pg import store as pg_module

    stores = [await PgStore.open(pg_url, IdentityVault(b"migration-secret-0123456789"),
                                 school=school) for school in ("smpn1", "smpn2")]
    try:
        for store in stores:
            async with store.transaction() as db:
                await db.execute("INSERT INTO meta (key, value) VALUES ('marker', 'x')")
    finally:
        for store in stores:
            await store.close()
    every = migrations()
    later = (every[-1][0] + 1, "999_later.sql",
             "UPDATE meta SET value = value || '!' WHERE key = 'marker'")
    monkeypatch.setattr(pg_module, "migrations", lambda: [*every, later])
    store = await PgStore.open(pg_url, IdentityVault(b"migration-secret-0123456789"),
                               school="smpn1")
    await store.close()
    con = await asyncpg.connect(pg_server.admin_url(pg_url))
    try:
        assert sorted(tuple(r) for r in await con.fetch(
            "SELECT school, value FROM meta WHERE key = 'marker'")) == [
            ("smpn1", "x!"), ("smpn2", "x!")]
        assert await con.fetchval("SELECT bool_and(relforcerowsecurity) FROM pg_class WHERE "
                                  "relnamespace = 'public'::regnamespace AND relkind = 'r' "
                                  "AND relname <> 'sebaya_schema'")
    finally:
        await con.close()
