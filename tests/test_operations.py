"""Operator commands: backup while running, audit listing, doctor."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import operations
from tests.conftest import enrol
from tests.core.test_crisis import CRISIS
from tests.dialog import Dialog

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself


async def _scenario(dialog: Dialog) -> str:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", CRISIS)
    await dialog.press("bk", "Saya tangani")
    async with dialog.app.store.transaction() as db:
        return (await (await db.execute("SELECT code FROM cases")).fetchone())[0]


async def test_backup_is_a_consistent_copy_while_the_app_runs(dialog: Dialog, tmp_path) -> None:
    await _scenario(dialog)
    target = tmp_path / "backups" / "sebaya.sqlite3"
    size = operations.backup(dialog.app.config, target)
    assert size > 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 1
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not target.with_name(target.name + ".secret").exists()  # the secret stays apart


async def test_audit_lists_by_case_and_by_staff(dialog: Dialog) -> None:
    code = await _scenario(dialog)
    by_case = operations.audit_lines(dialog.app.config, case=f"#{code.lower()}")
    assert any("crisis_raised" in line and "system" in line for line in by_case)
    assert any("case_claimed" in line and "counselor Bu Rina" in line for line in by_case)
    by_staff = operations.audit_lines(dialog.app.config, staff="bu rina")
    assert by_staff and all("counselor Bu Rina" in line for line in by_staff)
    for line in by_case:  # ids and codes only: no message text
        assert "pengen mati" not in line


async def test_doctor_reports_problems_and_health(dialog: Dialog, monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", "x" * 20)
    await dialog.say("student", "halo")
    checks = {c.label: c for c in operations.doctor(dialog.app.config)}
    assert checks["database integrity"].ok and checks["database schema"].ok
    assert not checks["counselors enrolled"].ok  # nobody would get a crisis alert
    await _scenario(dialog)
    checks = {c.label: c for c in operations.doctor(dialog.app.config)}
    assert checks["counselors enrolled"].ok and checks["crises waiting for a counselor"].ok
    assert checks["safety invariants"].ok and checks["staff the bot can reach"].ok


async def test_doctor_lists_staff_who_blocked_the_bot(dialog: Dialog, monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", "x" * 20)
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    dialog.channel.blocked.add("bk")
    await dialog.say("student", "aku pengen mati aja")
    checks = {c.label: c for c in operations.doctor(dialog.app.config)}
    assert not checks["staff the bot can reach"].ok
    assert "Bu Rina (counselor) unreachable since" in checks["staff the bot can reach"].detail


def test_doctor_on_a_fresh_install(config, monkeypatch) -> None:
    monkeypatch.delenv("SEBAYA_SECRET", raising=False)
    checks = {c.label: c for c in operations.doctor(config)}
    assert checks["flows and texts"].ok
    assert not checks["database"].ok and "start the bot once" in checks["database"].detail


def test_cli_backup_audit_doctor(config, capsys, tmp_path: Path) -> None:
    from bot.cli import main

    path = str(config.base_dir / "config.yaml")
    assert main(["doctor", "--config", path]) == 1
    assert "[PROBLEM] database" in capsys.readouterr().out


async def test_a_different_secret_is_refused_at_start_and_doctor_says_so(
        dialog: Dialog, config, monkeypatch) -> None:
    from bot.app import App
    from bot.errors import SebayaError
    from tests.conftest import SECRET
    from tests.dialog import RecordingChannel

    await dialog.say("student", "halo")  # the database now holds a sealed address
    await dialog.app.stop()
    with pytest.raises(SebayaError, match="another installation secret"):
        await App.build(config, {"test": RecordingChannel()}, secret=b"another-secret-" * 3)
    monkeypatch.setenv("SEBAYA_SECRET", "a-different-but-long-and-random-secret-9f3k2")
    checks = {c.label: c for c in operations.doctor(config)}
    assert not checks["secret matches the database"].ok
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    checks = {c.label: c for c in operations.doctor(config)}
    assert checks["secret matches the database"].ok
    again = await App.build(config, {"test": RecordingChannel()}, secret=SECRET)
    await again.stop()  # the right secret still opens it


@pytest.mark.parametrize("value", ["x" * 40, "change-me-long-random", "kalimat acak yang panjang",
                                   "short"])
def test_doctor_refuses_weak_or_placeholder_secrets(value: str) -> None:
    assert operations.secret_problem(value) is not None


def test_doctor_accepts_a_random_secret() -> None:
    import secrets

    assert operations.secret_problem(secrets.token_urlsafe(48)) is None


async def test_doctor_tells_about_tppk_and_peers_awaiting_approval(dialog: Dialog,
                                                                   monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", "x" * 20)
    await dialog.say("student", "halo")
    checks = {c.label: c for c in operations.doctor(dialog.app.config)}
    assert checks["TPPK members"].ok and "none enrolled" in checks["TPPK members"].detail
    assert checks["peers trained, awaiting approval"].detail == "0"
    await enrol(dialog.app, "t1", "tppk", "Pak Joko")
    checks = {c.label: c for c in operations.doctor(dialog.app.config)}
    assert checks["TPPK members"].detail == "1"


async def test_backup_is_private_like_the_database(dialog: Dialog, tmp_path) -> None:
    await _scenario(dialog)
    folder = tmp_path / "new-backups" / "daily"
    target = folder / "sebaya.sqlite3"
    operations.backup(dialog.app.config, target)
    assert target.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700  # created by the command: not listable
    target.chmod(0o644)  # an existing file is overwritten and made private again
    operations.backup(dialog.app.config, target)
    assert target.stat().st_mode & 0o777 == 0o600
