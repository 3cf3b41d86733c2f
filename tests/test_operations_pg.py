"""`sebaya doctor` and `backup` when the database is PostgreSQL (bot/operations_pg.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import operations
from bot.app import App
from bot.config import Config
from bot.errors import SebayaError
from tests.conftest import SECRET
from tests.dialog import RecordingChannel


@pytest.fixture
def pg_config(config: Config, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("SEBAYA_DATABASE_URL", pg_url)
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    return config


async def test_doctor_checks_the_postgresql_database(pg_config: Config) -> None:
    app = await App.build(pg_config, {"test": RecordingChannel()}, secret=SECRET)
    await app.stop()
    checks = {c.label: c for c in await asyncio.to_thread(operations.doctor, pg_config)}
    assert checks["database schema (PostgreSQL)"].ok
    assert checks["safety invariants"].ok and checks["safety invariants"].detail == "hold"
    assert not checks["counselors enrolled"].ok  # nobody enrolled yet: said plainly


async def test_doctor_names_another_secret(pg_config: Config,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app = await App.build(pg_config, {"test": RecordingChannel()}, secret=SECRET)
    await app.stop()
    monkeypatch.setenv("SEBAYA_SECRET", "another-long-secret-value-xyz")
    checks = await asyncio.to_thread(operations.doctor, pg_config)
    assert any(c.label == "secret matches the database" and not c.ok for c in checks)


def test_doctor_changes_nothing_in_an_empty_database(pg_config: Config) -> None:
    checks = operations.doctor(pg_config)
    assert any(c.label == "database" and "start the bot once" in c.detail for c in checks)
    assert any(c.label == "database" and "start the bot once" in c.detail
               for c in operations.doctor(pg_config))  # still empty: nothing was migrated


def test_backup_on_postgresql_says_to_use_pg_dump(pg_config: Config, tmp_path: Path) -> None:
    with pytest.raises(SebayaError, match="pg_dump"):
        operations.backup(pg_config, tmp_path / "copy.sqlite3")
