"""The tests' own PostgreSQL (tests/pgserver.py): loopback only, fsync off, fresh databases."""

from __future__ import annotations

import asyncpg
import pytest

from tests import pgserver


async def test_a_fresh_database_answers_on_loopback_with_fsync_off(pg_url: str) -> None:
    con = await asyncpg.connect(pg_url)
    try:
        assert await con.fetchval("SHOW fsync") == "off"
        assert await con.fetchval("SHOW listen_addresses") == "127.0.0.1"
        assert await con.fetchval("SELECT count(*) FROM pg_class WHERE relname = 'inbox'") == 0
    finally:
        await con.close()


def test_ci_makes_a_missing_postgresql_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert pgserver.in_ci()
    monkeypatch.setenv("CI", "")
    assert not pgserver.in_ci()


def test_missing_binaries_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgserver, "BIN_DIRS", ("/nonexistent",))
    monkeypatch.setattr(pgserver.shutil, "which", lambda _: None)
    with pytest.raises(pgserver.Unavailable, match="apt-get install postgresql"):
        pgserver.find_bin()


async def test_the_migrated_database_comes_back_empty_at_the_latest_schema(pg_server) -> None:
    from bot.store.pg.store import migrations

    url = pg_server.migrated_database()
    con = await asyncpg.connect(url)
    try:
        assert await con.fetchval("SELECT version FROM sebaya_schema") == migrations()[-1][0]
        await con.execute("SELECT set_config('sebaya.school', 'default', false)")
        await con.execute("INSERT INTO meta (key, value) VALUES ('secret_fingerprint', 'x')")
        first = await con.fetchval("INSERT INTO audit (at, action, detail) VALUES "
                                   "('t', 'test', '{}') RETURNING id")
        held = await asyncpg.connect(url)  # a connection the test forgot, holding a lock
        await held.execute("SELECT pg_advisory_lock(42)")
    finally:
        await con.close()
    pg_server.release(url)
    assert pg_server.migrated_database() == url  # kept and emptied, not made again
    con = await asyncpg.connect(url)
    try:
        await con.execute("SELECT set_config('sebaya.school', 'default', false)")
        assert held.is_closed() or await _closed(held)
        assert await con.fetchval("SELECT count(*) FROM meta") == 0
        again = await con.fetchval("INSERT INTO audit (at, action, detail) VALUES "
                                   "('t', 'test', '{}') RETURNING id")
        assert again == first  # identities restart as in a new database
        assert await con.fetchval("SELECT pg_try_advisory_lock(42)")  # the lock went with it
    finally:
        await con.close()
        await held.close()
    pg_server.release(url)


async def _closed(con: asyncpg.Connection) -> bool:
    try:
        await con.fetchval("SELECT 1")
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError, OSError):
        return True
    return False


async def test_a_test_that_changed_the_schema_gets_a_new_database_next_time(pg_server) -> None:
    url = pg_server.migrated_database()
    con = await asyncpg.connect(pgserver.owner_url(url))
    try:
        await con.execute("ALTER TABLE audit ADD COLUMN extra text")
    finally:
        await con.close()
    pg_server.release(url)
    fresh = pg_server.migrated_database()
    assert fresh != url
    con = await asyncpg.connect(fresh)
    try:
        assert await con.fetchval("SELECT count(*) FROM information_schema.columns "
                                  "WHERE table_name = 'audit' AND column_name = 'extra'") == 0
    finally:
        await con.close()
    pg_server.release(fresh)
    with pytest.raises(asyncpg.InvalidCatalogNameError):  # the changed one was dropped
        await asyncpg.connect(url)
