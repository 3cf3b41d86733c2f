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
