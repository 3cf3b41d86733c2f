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
    monkeypatch.setenv("SEBAYA_MIGRATE_DATABASE_URL", pg_url)  # its owner migrates it
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


@pytest.fixture
async def pg_dialog(pg_config: Config):
    from tests.dialog import Dialog

    channel = RecordingChannel()
    app = await App.build(pg_config, {channel.name: channel}, secret=SECRET)
    yield Dialog(app, channel)
    await app.stop()


async def _crisis_taken(dialog) -> str:
    from tests.conftest import enrol

    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku pengen mati aja")
    await dialog.press("bk", "Saya tangani")
    async with dialog.app.store.read() as db:
        return (await db.execute_fetchall("SELECT code FROM cases"))[0][0]


async def test_audit_on_postgresql_lists_by_case_and_by_staff(pg_dialog,
                                                             pg_config: Config) -> None:
    code = await _crisis_taken(pg_dialog)
    by_case = await asyncio.to_thread(operations.audit_lines, pg_config, f"#{code.lower()}")
    assert any("crisis_raised" in line and "system" in line for line in by_case)
    assert any("case_claimed" in line and "counselor Bu Rina" in line for line in by_case)
    by_staff = await asyncio.to_thread(operations.audit_lines, pg_config, None, "bu rina")
    assert by_staff and all("counselor Bu Rina" in line for line in by_staff)
    assert not any("pengen mati" in line for line in by_case)  # ids and codes, no words
    with pytest.raises(SebayaError, match="no staff member"):
        await asyncio.to_thread(operations.audit_lines, pg_config, None, "nobody")


async def test_doctor_on_postgresql_names_staff_the_bot_cannot_reach(pg_dialog,
                                                                     pg_config: Config) -> None:
    from tests.conftest import enrol

    await enrol(pg_dialog.app, "bk", "counselor", "Bu Rina")
    pg_dialog.channel.blocked.add("bk")
    await pg_dialog.say("student", "aku pengen mati aja")
    checks = {c.label: c for c in await asyncio.to_thread(operations.doctor, pg_config)}
    assert not checks["staff the bot can reach"].ok
    assert "Bu Rina (counselor) unreachable since" in checks["staff the bot can reach"].detail
    assert checks["secret matches the database"].ok
    assert checks["counselors not switched off"].ok


async def test_doctor_on_postgresql_checks_whatsapp_like_sqlite(pg_config: Config,
                                                               monkeypatch) -> None:
    app = await App.build(pg_config, {"test": RecordingChannel()}, secret=SECRET)
    await app.stop()
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "123")
    checks = {c.label: c for c in await asyncio.to_thread(operations.doctor, pg_config)}
    assert checks["whatsapp errors for the operator (7 days)"].detail == "none"
    assert checks["whatsapp webhook signatures (7 days)"].ok


async def test_cli_staff_audit_doctor_and_report_on_postgresql(pg_dialog, pg_config: Config,
                                                               capsys, tmp_path: Path) -> None:
    from bot.cli import main

    path = str(pg_config.base_dir / "config.yaml")
    await _crisis_taken(pg_dialog)

    def run(*argv: str) -> tuple[int, str]:
        code = main([*argv, "--config", path])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = await asyncio.to_thread(run, "staff", "invite", "--role", "peer", "--name",
                                        "Kak Sari")
    assert code == 0 and "/join" in out
    code, out = await asyncio.to_thread(run, "staff", "list")
    assert code == 0 and "Bu Rina" in out
    code, out = await asyncio.to_thread(run, "audit", "--staff", "Bu Rina")
    assert code == 0 and "case_claimed" in out
    code, out = await asyncio.to_thread(run, "doctor")
    assert "[ok] database schema (PostgreSQL)" in out and "[ok] safety invariants" in out
    code, out = await asyncio.to_thread(run, "report", "--format", "md", "--out",
                                        str(tmp_path / "r"))
    assert code == 0 and list((tmp_path / "r").glob("*.md"))
    code, out = await asyncio.to_thread(run, "backup", str(tmp_path / "x.sqlite3"))
    assert code != 0 and "pg_dump" in out
    code, out = await asyncio.to_thread(run, "staff", "remove", "Bu Rina")
    assert code != 0 and "LAST counselor" in out  # the same guard as on SQLite
