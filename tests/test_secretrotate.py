"""`sebaya secret rotate`: after a rotation the bot starts with the new secret and everyone is
who they were; the old secret is refused; an interrupted rotation leaves a working secret;
weak secrets, secrets on the command line and a running bot are refused. Both stores (the
`config` fixture is PostgreSQL with SEBAYA_TEST_DATABASE=postgres)."""

from __future__ import annotations

import asyncio
import itertools
import os
import stat

import pytest

from bot.app import App
from bot.cli import main
from bot.clock import ManualClock
from bot.config import Config
from bot.core.keys import UserKey
from bot.secretrotate import RotateError, next_steps, rotate, secret_file
from bot.store import audit, cases, keyring, users
from bot.store.db import SecretMismatch, fetch_one
from tests.conftest import SECRET
from tests.dialog import Dialog, RecordingChannel, to

NEW = "Vb7dQ2xN9pLk4mR8tZc6wHf3sJ1yGe5uAo0iXq"
CRISIS = "aku pengen mati aja, udah ga kuat"


_EVENTS = itertools.count(1, 1000)


async def _build(config: Config, clock: ManualClock, secret: bytes) -> tuple[App, Dialog]:
    channel = RecordingChannel()
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=secret)
    dialog = Dialog(app, channel)
    dialog._ids = itertools.count(next(_EVENTS))  # a new id per event: the inbox deduplicates
    return app, dialog


async def _school(config: Config, clock: ManualClock) -> dict:
    """A crisis waiting for guru BK (a sealed story, a sealed ladder payload), the secret kept
    in the .secret file beside the database."""
    app, dialog = await _build(config, clock, SECRET)
    try:
        await app.enrol_local_staff("test", "bk", "bk", "counselor", "Bu Rina")
        await dialog.say("student", CRISIS)
        key = app.vault.user_key("test", "student")
        async with app.store.read() as db:
            user = await users.get(db, key)
            case = await cases.open_for(db, key)
    finally:
        await app.stop()
    path = secret_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SECRET.decode())
    path.chmod(0o600)
    return {"key": key, "alias": user.alias, "code": user.code, "case": case.code}


async def _opens(config: Config, clock: ManualClock, secret: bytes) -> None:
    app, _ = await _build(config, clock, secret)
    await app.stop()


async def _sealed(app: App, key: UserKey) -> tuple[str, str]:
    async with app.store.read() as db:
        text = await fetch_one(db, "SELECT unseal(text) AS text FROM case_messages")
        payload = await fetch_one(db, "SELECT unseal(payload) AS payload FROM timers "
                                      "WHERE kind = 'crisis_ladder' AND owner_key = ?",
                                  (key.value,))
    return text[0], payload[0]


async def test_after_rotation_the_bot_starts_with_the_new_secret_and_everyone_is_the_same(
        config: Config, clock: ManualClock) -> None:
    before = await _school(config, clock)
    rotation = await rotate(config, NEW, env={})
    assert rotation.kept_in == "file" and rotation.origin == "random"
    path = secret_file(config)
    assert path.read_text() == NEW and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name(path.name + ".new").exists()
    app, dialog = await _build(config, clock, NEW.encode())
    try:
        key = app.vault.user_key("test", "student")
        assert key == before["key"]  # the same student is the same person
        async with app.store.read() as db:
            user = await users.get(db, key)
            case = await cases.open_for(db, key)
            row = await keyring.read(db)
            rotated = await audit.rows(db, "secret_rotated")
        assert (user.alias, user.code, case.code) == (before["alias"], before["code"],
                                                      before["case"])
        text, payload = await _sealed(app, key)
        assert text == CRISIS and "ga kuat" in payload  # the story and the ladder's excerpt
        assert row.rotated_at is not None and len(rotated) == 1
        assert rotated[0]["detail"]["kept_in"] == "file"  # and no secret in the audit
        assert NEW not in str(rotated) and SECRET.decode() not in str(rotated)
        sent = await dialog.tick(minutes=30)  # the ladder climbs: guru BK's address opens
        assert to(sent, "bk")
        sent = await dialog.press("bk", "Saya tangani")
        assert to(sent, "student")  # and the student's
    finally:
        await app.stop()
    app, _ = await _build(config, clock, NEW.encode())
    await app.start()  # the whole start: replay, loops, the running mark
    await app.stop()
    with pytest.raises(SecretMismatch, match="another installation secret"):
        await _build(config, clock, SECRET)


async def test_a_secret_kept_in_the_environment_is_not_written_and_the_unit_is_named(
        config: Config, clock: ManualClock) -> None:
    await _school(config, clock)
    secret_file(config).unlink()
    rotation = await rotate(config, NEW, env={"SEBAYA_SECRET": SECRET.decode()})
    assert rotation.kept_in == "environment" and not secret_file(config).exists()
    steps = "\n".join(next_steps(rotation, "sebaya backup FILE"))
    assert "SEBAYA_SECRET" in steps and "systemd" in steps and "rahasia LAMA" in steps
    assert NEW not in steps and SECRET.decode() not in steps
    app, _ = await _build(config, clock, NEW.encode())
    await app.stop()


async def test_a_rotation_interrupted_before_commit_leaves_the_old_secret_working(
        config: Config, clock: ManualClock) -> None:
    before = await _school(config, clock)

    async def cut() -> None:
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        await rotate(config, NEW, env={}, before_commit=cut)
    path = secret_file(config)
    assert path.read_text() == SECRET.decode()
    assert not path.with_name(path.name + ".new").exists()
    app, _ = await _build(config, clock, SECRET)
    try:
        assert app.vault.user_key("test", "student") == before["key"]
        async with app.store.read() as db:
            assert await audit.rows(db, "secret_rotated") == []
    finally:
        await app.stop()
    with pytest.raises(SecretMismatch):
        await _build(config, clock, NEW.encode())


async def test_a_rotation_cut_after_commit_is_finished_by_running_it_again(
        config: Config, clock: ManualClock, monkeypatch) -> None:
    before = await _school(config, clock)
    from bot import secretrotate

    def crash(*_args) -> None:
        raise OSError("killed before the rename")

    install = secretrotate._install
    monkeypatch.setattr(secretrotate, "_install", crash)
    with pytest.raises(OSError):
        await rotate(config, NEW, env={})
    with pytest.raises(SecretMismatch):  # the file still holds the old secret: refused
        await _build(config, clock, SECRET)
    monkeypatch.setattr(secretrotate, "_install", install)
    rotation = await rotate(config, NEW, env={})
    assert rotation.finished_earlier and secret_file(config).read_text() == NEW
    app, _ = await _build(config, clock, NEW.encode())
    try:
        assert app.vault.user_key("test", "student") == before["key"]
    finally:
        await app.stop()


@pytest.mark.parametrize("weak", ["change-me-long-random", "pendek-sekali-16",
                                  "a" * 48, "abcdefghij" * 2 + "abc"])
async def test_a_weak_new_secret_is_refused_and_nothing_changes(
        config: Config, clock: ManualClock, weak: str) -> None:
    before = await _school(config, clock)
    with pytest.raises(RotateError, match="ditolak"):
        await rotate(config, weak, env={})
    assert secret_file(config).read_text() == SECRET.decode()
    app, _ = await _build(config, clock, SECRET)
    try:
        assert app.vault.user_key("test", "student") == before["key"]
    finally:
        await app.stop()


async def test_the_same_secret_again_is_refused(config: Config, clock: ManualClock) -> None:
    await _school(config, clock)
    with pytest.raises(RotateError, match="sama dengan yang lama"):
        await rotate(config, SECRET.decode(), env={})


def test_a_new_secret_on_the_command_line_is_not_accepted(
        config: Config, clock: ManualClock, capsys, monkeypatch) -> None:
    asyncio.run(_school(config, clock))
    monkeypatch.delenv("SEBAYA_NEW_SECRET", raising=False)
    monkeypatch.delenv("SEBAYA_SECRET", raising=False)
    cfg = str(config.base_dir / "config.yaml")
    with pytest.raises(SystemExit) as exc:  # no such option, not even as an abbreviation
        main(["secret", "rotate", "--config", cfg, "--new-secret", NEW])
    assert exc.value.code == 2
    assert main(["secret", "rotate", "--config", cfg, "--new-secret-file", NEW]) == 2
    assert "berkas rahasia baru tidak ada" in capsys.readouterr().err
    assert main(["secret", "rotate", "--config", cfg]) == 2  # nothing given
    assert "rahasia baru belum diberikan" in capsys.readouterr().err
    assert secret_file(config).read_text() == SECRET.decode()
    asyncio.run(_opens(config, clock, SECRET))


def test_the_command_takes_the_new_secret_from_a_file_or_the_environment(
        config: Config, clock: ManualClock, capsys, monkeypatch) -> None:
    asyncio.run(_school(config, clock))
    monkeypatch.delenv("SEBAYA_SECRET", raising=False)
    cfg = str(config.base_dir / "config.yaml")
    new_file = config.base_dir / "baru.txt"
    new_file.write_text(NEW + "\n")
    monkeypatch.setenv("SEBAYA_NEW_SECRET", "Xy" + NEW)
    assert main(["secret", "rotate", "--config", cfg, "--new-secret-file", str(new_file)]) == 2
    assert "bukan keduanya" in capsys.readouterr().err
    monkeypatch.delenv("SEBAYA_NEW_SECRET")
    assert main(["secret", "rotate", "--config", cfg, "--new-secret-file", str(new_file)]) == 0
    out = capsys.readouterr().out
    assert "Rahasia instalasi sudah diganti" in out and "rahasia LAMA" in out
    assert NEW not in out
    monkeypatch.setenv("SEBAYA_NEW_SECRET", "Xy" + NEW)
    assert main(["secret", "rotate", "--config", cfg]) == 0
    asyncio.run(_opens(config, clock, ("Xy" + NEW).encode()))


async def test_rotation_is_refused_while_the_bot_runs(config: Config, clock: ManualClock
                                                      ) -> None:
    before = await _school(config, clock)
    app, _ = await _build(config, clock, SECRET)
    try:
        await app.start()
        with pytest.raises(RotateError, match="bot sedang berjalan"):
            await rotate(config, NEW, env={})
    finally:
        await app.stop()
    assert secret_file(config).read_text() == SECRET.decode()
    await rotate(config, NEW, env={})  # stopped: now it may
    app, _ = await _build(config, clock, NEW.encode())
    try:
        assert app.vault.user_key("test", "student") == before["key"]
    finally:
        await app.stop()


def test_doctor_names_the_secret_scheme_and_checks_the_new_secret(
        config: Config, clock: ManualClock, monkeypatch) -> None:
    from bot.operations import doctor

    asyncio.run(_school(config, clock))
    monkeypatch.delenv("SEBAYA_SECRET", raising=False)
    checks = {c.label: c for c in doctor(config)}
    assert "envelope-v1" in checks["secret scheme"].detail
    assert "never rotated" in checks["secret scheme"].detail
    assert checks["secret matches the database"].ok
    asyncio.run(rotate(config, NEW, env={}))
    checks = {c.label: c for c in doctor(config)}
    assert "last rotated" in checks["secret scheme"].detail
    assert checks["secret matches the database"].ok
    os.environ["SEBAYA_SECRET"] = SECRET.decode()
    try:
        checks = {c.label: c for c in doctor(config)}
    finally:
        del os.environ["SEBAYA_SECRET"]
    assert not checks["secret matches the database"].ok


async def test_a_database_made_before_envelope_keys_rotates_and_keeps_its_people(
        config: Config, clock: ManualClock, monkeypatch) -> None:
    from bot.core.identity import IdentityVault
    from bot.store import db as db_module
    from bot.store.pg import store as pg_module

    sqlite_all, pg_all = db_module.migrations(), pg_module.migrations()
    monkeypatch.setattr(db_module, "migrations", lambda: [m for m in sqlite_all if m[0] < 18])
    monkeypatch.setattr(pg_module, "migrations", lambda: [m for m in pg_all if m[0] < 4])
    before = await _school(config, clock)  # the schema before migration 018 (PostgreSQL 004)
    monkeypatch.setattr(db_module, "migrations", lambda: sqlite_all)
    monkeypatch.setattr(pg_module, "migrations", lambda: pg_all)
    legacy = IdentityVault(SECRET)
    legacy.use_legacy_root()
    assert before["key"] == legacy.user_key("test", "student")  # keyed as before #13
    rotation = await rotate(config, NEW, env={})
    assert rotation.origin == "legacy"
    assert "sebelum kunci amplop" in "\n".join(next_steps(rotation, "sebaya backup FILE"))
    app, _ = await _build(config, clock, NEW.encode())
    try:
        key = app.vault.user_key("test", "student")
        assert key == before["key"]
        text, payload = await _sealed(app, key)
        assert text == CRISIS and "ga kuat" in payload
    finally:
        await app.stop()
    with pytest.raises(SecretMismatch, match="another installation secret"):
        await _build(config, clock, SECRET)
