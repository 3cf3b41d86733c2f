"""`sebaya run` serving WhatsApp (webhook) and Telegram (polling) at once, SIGKILLed during a
burst of WhatsApp messages that Meta keeps re-delivering: every message handled exactly once,
every crisis alerted to the counselor on Telegram."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest

from bot import staffcli
from bot.store.invariants import violations_sync
from tests.conftest import ROOT, SECRET
from tests.fakebot import FakeBotApi
from tests.fakewa import FakeWhatsApp

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself

BK = 9001
STUDENTS = [f"62812000{n:05d}" for n in range(1, 21)]
CRISIS = set(STUDENTS[:5])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(fake: FakeBotApi, wa: FakeWhatsApp, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "WHATSAPP_", "SEBAYA_"))}
    env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_BASE_URL=fake.base_url,
               WHATSAPP_ACCESS_TOKEN=wa.token, WHATSAPP_PHONE_NUMBER_ID=wa.phone_number_id,
               WHATSAPP_APP_SECRET=wa.app_secret, WHATSAPP_VERIFY_TOKEN=wa.verify_token,
               WHATSAPP_API_BASE_URL=wa.base_url, SEBAYA_WEBHOOK_HOST="127.0.0.1",
               SEBAYA_WEBHOOK_PORT=str(port), SEBAYA_SECRET=SECRET.decode(),
               PYTHONUNBUFFERED="1")
    return env


async def _start(config_path: Path, env: dict[str, str], url: str,
                 wa: FakeWhatsApp) -> asyncio.subprocess.Process:
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config_path), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    params = {"hub.mode": "subscribe", "hub.verify_token": wa.verify_token,
              "hub.challenge": "ok"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120  # a cold start took over 30 s on the shared 2-core machine
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:  # the webhook answers Meta's check once it listens
            try:
                async with session.get(url, params=params) as response:
                    if response.status == 200:
                        return bot
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the bot never listened")


async def _until(check, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


async def test_kill_9_during_a_whatsapp_burst_with_redeliveries(fake: FakeBotApi, project: Path,
                                                                config, monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    wa = FakeWhatsApp()
    await wa.start()
    port = _free_port()
    wa.webhook_url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    wa.duplicate_every = 2  # Meta delivers some messages twice
    env, config_path, db = _env(fake, wa, port), project / "config.yaml", config.database_path
    code = await staffcli.invite(config, "counselor", "Bu Rina", days=1)
    bot = await _start(config_path, env, wa.webhook_url, wa)
    try:
        fake.say(BK, f"/join {code}")
        await _until(lambda: any("terdaftar sebagai guru BK" in t for t in fake.to(BK)))
        bodies = []
        for student in STUDENTS:  # a burst: everybody writes at once
            _, body = wa.message(student, "text", {
                "body": "aku pengen mati aja" if student in CRISIS else "halo"})
            wa.last_inbound[student] = wa.clock()
            wa.pushed += 1
            wa.deliver(body, student)
            bodies.append((student, body))
        await _until(lambda: len(wa.sent) >= 8)  # mid-burst
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        sent_before_kill = len(wa.sent)
        for student in STUDENTS[5:10]:  # more arrive while the bot is down (Meta retries)
            _, body = wa.message(student, "text", {"body": "/help"})
            wa.pushed += 1
            wa.deliver(body, student)
            bodies.append((student, body))
        await asyncio.sleep(0.5)
        bot = await _start(config_path, env, wa.webhook_url, wa)
        await wa.settled(timeout=40)
        for student, body in bodies[::3]:  # late re-deliveries of the same messages
            wa.deliver(body, student)
        await wa.settled(timeout=20)
        expected_wa = len(bodies)

        def settled() -> bool:
            done = _rows(db, "SELECT COUNT(*) FROM inbox WHERE status = 'done' "
                             "AND channel = 'whatsapp'")[0][0]
            pending = _rows(db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0]
            return done == expected_wa and pending == 0

        await _until(settled, timeout=40)
        # Exactly once: one inbox row per message however often it came, each handled once.
        assert _rows(db, "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM inbox "
                         "WHERE channel = 'whatsapp'") == [(expected_wa, expected_wa)]
        assert _rows(db, "SELECT COUNT(*) FROM inbox WHERE status != 'done'") == [(0,)]
        assert wa.webhook_answers.count(200) > expected_wa  # duplicates were answered too
        assert 0 in wa.webhook_answers  # deliveries failed while the bot was down
        # Every crisis reached guru BK on Telegram (at least once).
        alerts = [t for t in fake.to(BK) if "BUTUH GURU BK SEKARANG" in t]
        assert len(_rows(db, "SELECT id FROM cases WHERE level = 'crisis'")) == len(CRISIS)
        assert len({t.split("#")[1][:4] for t in alerts}) == len(CRISIS)
        for student in STUDENTS:
            texts = wa.to(student)
            if student in CRISIS:
                assert any("kamu nggak sendirian" in t for t in texts), student
            else:
                assert any("Hai, aku Sebaya" in t for t in texts), student
        for student in STUDENTS[5:10]:
            assert any("/hapus" in t for t in wa.to(student)), student
        assert sent_before_kill < len(wa.sent)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            assert violations_sync(conn) == []
        phones = [s.encode() for s in STUDENTS]
        raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")
                       if not p.name.endswith(".secret"))
        assert not [p for p in phones if p in raw]  # no phone number in the database
        assert not wa.refused, json.dumps(wa.refused[:2])[:300]
    finally:
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 15) == 0  # a clean stop on SIGTERM
        await wa.stop()
