"""kill -9 of the bot process during a burst, then restart: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot import staffcli
from tests.conftest import ROOT, SECRET
from tests.fakebot import FakeBotApi

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself

BK = 9001
STUDENTS = list(range(5001, 5021))
CRISIS = set(STUDENTS[:5])


def _env(fake: FakeBotApi) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(SEBAYA_WEB_PORT="0")  # the web view on a free port, never a fixed one
    env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
               SEBAYA_SECRET=SECRET.decode(), PYTHONUNBUFFERED="1")
    return env


async def _start(config_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config_path), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def _until(check, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


async def test_kill_9_during_a_burst_loses_nothing(fake: FakeBotApi, project: Path, config,
                                                   monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    code = await staffcli.invite(config, "counselor", "Bu Rina", days=1)
    env, config_path = _env(fake), project / "config.yaml"
    db = config.database_path

    bot = await _start(config_path, env)
    fake.say(BK, f"/join {code}")
    await _until(lambda: any("terdaftar sebagai guru BK" in t for t in fake.to(BK)))

    pushed = 0
    for student in STUDENTS:  # a burst: every student writes at once
        fake.say(student, "aku pengen mati aja" if student in CRISIS else "halo")
        pushed += 1
    await _until(lambda: len(fake.sent) >= 12)  # mid-burst
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    sent_before_kill = len(fake.sent)
    for student in STUDENTS[5:10]:  # more arrive while the bot is down
        fake.say(student, "/help")
        pushed += 1

    bot = await _start(config_path, env)
    try:
        expected = pushed + 1  # + the counselor's /join

        def settled() -> bool:
            done = _rows(db, "SELECT COUNT(*) FROM inbox WHERE status = 'done'")[0][0]
            pending = _rows(db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0]
            return done == expected and pending == 0

        await _until(settled, timeout=40)
        # Exactly once: one inbox row per update, each handled once, none failed.
        assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM inbox") == [
            (expected, expected)]
        assert _rows(db, "SELECT COUNT(*) FROM inbox WHERE status != 'done'") == [(0,)]
        # Every crisis reached guru BK (at least once; a kill between send and commit may repeat).
        alerts = [t for t in fake.to(BK) if "BUTUH GURU BK SEKARANG" in t]
        assert len(_rows(db, "SELECT id FROM cases WHERE level = 'crisis'")) == len(CRISIS)
        assert len({t.split("#")[1][:4] for t in alerts}) == len(CRISIS)
        for student in STUDENTS:
            texts = fake.to(student)
            if student in CRISIS:
                assert any("kamu nggak sendirian" in t for t in texts)
            else:
                assert any("Hai, aku Sebaya" in t for t in texts)
        # Conversations resume where they were: a button from before the crash still works.
        survivor = STUDENTS[-1]
        fake.press(survivor, "Oke, lanjut")
        await _until(lambda: any("Soal apa" in t for t in fake.to(survivor)))
        assert sent_before_kill < len(fake.sent)
        # The restart set guru BK's own command menu (enrolled before it).
        assert any(c.get("scope", {}).get("chat_id") == BK for c in fake.commands)
    finally:
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 15) == 0  # a clean stop on SIGTERM
