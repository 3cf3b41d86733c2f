"""``sebaya school ...`` and ``--school`` on every operator command (both stores)."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.identity import IdentityVault
from bot.schools.config import load_school_config
from bot.store import invites
from bot.store.port import open_store
from tests.conftest import SECRET


@pytest.fixture
def district(project: Path, config, monkeypatch) -> Path:
    """Two schools beside the shipped config.yaml (on PostgreSQL: one database, two views)."""
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    path = project / "config.yaml"
    assert main(["school", "add", "smpn1", "--name", "SMP Negeri 1", "--config", str(path)]) == 0
    assert main(["school", "add", "smpn2", "--name", "SMP Negeri 2", "--config", str(path)]) == 0
    return path


async def _invite_exists(config_path: Path, school: str, code: str) -> bool:
    config = load_school_config(config_path, school)
    vault = IdentityVault(SECRET, school)
    store = await open_store(config.database_path, config.database_url(), vault,
                             **config.store_options())
    try:
        async with store.read() as db:
            return await invites.find(db, vault.token_hash(code)) is not None
    finally:
        await store.close()


def test_school_add_list_show_disable(district: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["school", "list", "--config", str(district)]) == 0
    out = capsys.readouterr().out
    assert "smpn1" in out and "SMP Negeri 2" in out and "DISABLED" not in out
    assert main(["school", "show", "smpn1", "--config", str(district)]) == 0
    out = capsys.readouterr().out
    assert "TELEGRAM_BOT_TOKEN_SMPN1 (NOT SET)" in out and "/telegram/smpn1" in out
    assert main(["school", "disable", "smpn2", "--config", str(district)]) == 0
    assert main(["school", "list", "--config", str(district)]) == 0
    assert re.search(r"smpn2\s+DISABLED", capsys.readouterr().out)
    assert main(["school", "add", "smpn1", "--name", "x", "--config", str(district)]) == 2
    assert "exists already" in capsys.readouterr().err


def test_an_operator_command_in_a_district_must_name_its_school(district: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["staff", "list", "--config", str(district)]) == 2
    assert "--school ID" in capsys.readouterr().err
    assert main(["staff", "list", "--config", str(district), "--school", "nope"]) == 2
    assert "no school 'nope'" in capsys.readouterr().err


def test_an_invite_of_one_school_is_no_invite_of_another(district: Path, capsys) -> None:
    assert main(["staff", "invite", "--role", "counselor", "--name", "Bu Rina",
                 "--school", "smpn1", "--config", str(district)]) == 0
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert asyncio.run(_invite_exists(district, "smpn1", code))
    assert not asyncio.run(_invite_exists(district, "smpn2", code))


def test_onboard_prints_the_token_slot_webhook_and_a_working_first_invite(
        district: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.dinas.example")
    capsys.readouterr()
    assert main(["school", "onboard", "smpn2", "--config", str(district)]) == 0
    out = capsys.readouterr().out
    assert "TELEGRAM_BOT_TOKEN_SMPN2" in out
    assert "https://bot.dinas.example/telegram/smpn2" in out
    code = re.search(r"/join (\S+)", out).group(1)
    assert asyncio.run(_invite_exists(district, "smpn2", code))
    assert not asyncio.run(_invite_exists(district, "smpn1", code))


def test_the_single_school_deployment_needs_no_school(project: Path, config, capsys) -> None:
    assert main(["staff", "list", "--config", str(project / "config.yaml")]) == 0
    assert main(["report", "--district", "--config", str(project / "config.yaml")]) == 2
    assert "needs schools" in capsys.readouterr().err


def test_migrate_in_a_district_migrates_every_school(district: Path, capsys) -> None:
    assert main(["migrate", "--config", str(district)]) == 0
    out = capsys.readouterr().out
    assert "school smpn1:" in out and "school smpn2:" in out


def test_audit_doctor_and_backup_take_the_school(district: Path, tmp_path: Path,
                                                 capsys) -> None:
    assert main(["staff", "invite", "--role", "peer", "--school", "smpn1",
                 "--config", str(district)]) == 0
    capsys.readouterr()
    assert main(["audit", "--school", "smpn1", "--config", str(district)]) == 0
    assert "invite_created" in capsys.readouterr().out
    assert main(["audit", "--school", "smpn2", "--config", str(district)]) == 0
    assert "invite_created" not in capsys.readouterr().out  # school 2 invited nobody
    main(["doctor", "--school", "smpn1", "--config", str(district)])
    out = capsys.readouterr().out
    assert "secret matches the database: yes" in out


@pytest.mark.sqlite_only
def test_backup_of_a_school_is_its_own_file(district: Path, tmp_path: Path, capsys) -> None:
    import sqlite3

    assert main(["staff", "invite", "--role", "peer", "--school", "smpn2",
                 "--config", str(district)]) == 0
    target = tmp_path / "smpn2.sqlite3"
    assert main(["backup", "--school", "smpn2", str(target), "--config", str(district)]) == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM invites").fetchone() == (1,)
    assert (district.parent / "data" / "schools" / "smpn2.sqlite3").exists()


def test_run_in_a_district_without_any_token_says_which_variables(district: Path, capsys,
                                                                  monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "WHATSAPP_")):
            monkeypatch.delenv(name)
    assert main(["run", "--config", str(district)]) == 2
    assert "TELEGRAM_BOT_TOKEN_<ID>" in capsys.readouterr().err
    assert main(["run", "--school", "smpn1", "--config", str(district)]) == 2
    assert main(["school", "disable", "smpn1", "--config", str(district)]) == 0
    assert main(["school", "disable", "smpn2", "--config", str(district)]) == 0
    capsys.readouterr()
    assert main(["run", "--config", str(district)]) == 2
    assert "every school is disabled" in capsys.readouterr().err
