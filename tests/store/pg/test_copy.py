"""`sebaya migrate-from-sqlite`: a school's SQLite data moved into PostgreSQL, still sealed."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from bot.cli import main
from bot.config import Config
from bot.core.identity import IdentityVault
from bot.errors import SebayaError
from bot.store import cases, conversations, inbox, users
from bot.store.pg.copy import copy_sqlite
from bot.store.pg.store import PgStore, migrations
from tests.conftest import SECRET
from tests.dialog import Dialog

pytestmark = pytest.mark.sqlite_only  # the source of the copy is the SQLite file


async def _school(dialog: Dialog) -> None:
    await dialog.app.enrol_local_staff("test", "bk", "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati aja")
    await dialog.press("bk", "Saya tangani")
    await dialog.say("student", "rahasia-unik-q9 aku takut")


async def test_copy_keeps_rows_ids_and_sealing(dialog: Dialog, config: Config,
                                               pg_url: str) -> None:
    await _school(dialog)
    student = dialog.app.vault.user_key("test", "student")
    await dialog.app.stop()
    vault = IdentityVault(SECRET)
    copied = {c.table: c.rows for c in await copy_sqlite(config.database_path, pg_url, vault)}
    with sqlite3.connect(config.database_path) as db:
        for table, rows in copied.items():
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == rows, table
        sqlite_texts = sorted(bytes(r[0]) for r in db.execute("SELECT text FROM case_messages"))
    assert copied["cases"] == 1 and copied["case_messages"] >= 2
    con = await asyncpg.connect(pg_url)
    await con.execute("SELECT set_config('sebaya.school', 'default', false)")  # RLS: its rows
    try:  # stored byte for byte as SQLite stored it: sealed, no plaintext
        pg_texts = sorted(bytes(r[0]) for r in await con.fetch("SELECT text FROM case_messages"))
        assert pg_texts == sqlite_texts
        assert not await con.fetchval("SELECT COUNT(*) FROM case_messages "
                                      "WHERE position('rahasia' in encode(text, 'escape')) > 0")
    finally:
        await con.close()
    store = await PgStore.open(pg_url, vault)
    try:
        async with store.transaction() as db:
            user = await users.get(db, student)
            case = await cases.open_for(db, student)
            conv = await conversations.load(db, student, "id")
            new = await inbox.insert(db, "test", "after-copy", student.value, b"x",
                                     dialog.app.clock.now())
            top = (await db.execute_fetchall("SELECT MAX(id) FROM inbox WHERE id < ?",
                                             (new,)))[0][0]
        assert user is not None and case is not None and case.level == "crisis"
        assert case.assignee_name == "Bu Rina" and conv.user == student
        assert new == top + 1  # the identity continues after the copied ids
    finally:
        await store.close()


async def test_copy_refuses_a_database_that_holds_data(dialog: Dialog, config: Config,
                                                       pg_url: str) -> None:
    await _school(dialog)
    await dialog.app.stop()
    vault = IdentityVault(SECRET)
    await copy_sqlite(config.database_path, pg_url, vault)
    with pytest.raises(SebayaError, match="already holds data"):
        await copy_sqlite(config.database_path, pg_url, vault)


async def test_two_schools_files_go_into_one_database_side_by_side(
        dialog: Dialog, config: Config, pg_url: str) -> None:
    """The same ids, codes and keys in two schools (here: one file copied twice) collide
    with nothing, and each school's view reads its own copy."""
    await _school(dialog)
    student = dialog.app.vault.user_key("test", "student")
    await dialog.app.stop()
    vault = IdentityVault(SECRET)
    first = await copy_sqlite(config.database_path, pg_url, vault)
    second = await copy_sqlite(config.database_path, pg_url, IdentityVault(SECRET),
                               school="smpn2")
    assert [(c.table, c.rows) for c in first] == [(c.table, c.rows) for c in second]
    with pytest.raises(SebayaError, match=r"school smpn2 .* already holds data"):
        await copy_sqlite(config.database_path, pg_url, IdentityVault(SECRET), school="smpn2")
    for school in ("default", "smpn2"):
        store = await PgStore.open(pg_url, IdentityVault(SECRET), school=school)
        try:
            async with store.transaction() as db:
                case = await cases.open_for(db, student)
                assert case is not None and case.assignee_name == "Bu Rina", school
                new = await inbox.insert(db, "test", f"after-{school}", student.value, b"x",
                                         dialog.app.clock.now())
                ids = [r[0] for r in await db.execute_fetchall("SELECT id FROM inbox")]
            assert new == max(ids)  # the shared identity went past both schools' ids
        finally:
            await store.close()


def test_the_command_copies_and_prints_the_counts(config: Config, pg_url: str, capsys,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(config.base_dir / "config.yaml")
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    assert main(["migrate", "--config", path]) == 0  # makes the (empty) SQLite database
    assert "sqlite database at schema version" in capsys.readouterr().out
    monkeypatch.setenv("SEBAYA_DATABASE_URL", pg_url)
    assert main(["migrate-from-sqlite", str(config.database_path), "--config", path]) == 0
    out = capsys.readouterr().out
    assert "row counts checked" in out and "users" in out
    assert main(["migrate-from-sqlite", str(config.database_path), "--config", path,
                 "--school", "smpn2"]) == 0  # another school of the same database
    assert "row counts checked" in capsys.readouterr().out
    assert main(["migrate", "--config", path]) == 0
    assert f"postgres database at schema version {migrations()[-1][0]}" in \
        capsys.readouterr().out



async def test_the_copy_names_every_table_of_the_sqlite_schema(tmp_path) -> None:
    """A table added by a migration but missing from the copy would be left behind silently."""
    from bot.store.pg.copy import TABLES
    from bot.store.port import open_store

    store = await open_store(tmp_path / "schema.sqlite3", None, IdentityVault(SECRET))
    try:
        async with store.read() as db:
            rows = await db.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'")
    finally:
        await store.close()
    assert {row[0] for row in rows} == set(TABLES)
