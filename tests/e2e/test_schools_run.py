"""Two schools in one ``sebaya run`` (issue #19): each school's own bot token, polled by the
one process, against two fake Bot API servers; nothing of one school reaches the other."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import staffcli
from bot.schools import registry
from bot.schools.config import load_school_config
from tests.conftest import ROOT, SECRET
from tests.fakebot import FakeBotApi

BK, STUDENT = 9001, 5001  # the same Telegram ids at both schools' bots


@pytest.fixture
async def fake2() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(token="654321:SECOND")
    await server.start()
    yield server
    await server.stop()


async def test_two_schools_in_one_run_each_on_its_own_bot(fake: FakeBotApi, fake2: FakeBotApi,
                                                          project: Path, config,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    path = project / "config.yaml"
    codes = {}
    for school, name in (("smpn1", "SMP Negeri 1"), ("smpn2", "SMP Negeri 2")):
        registry.add(path, school, name)
        codes[school] = await staffcli.invite(load_school_config(path, school), "counselor",
                                              "Bu Rina", days=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_BOT_TOKEN_SMPN1=fake.token, TELEGRAM_API_BASE_URL_SMPN1=fake.base_url,
               TELEGRAM_BOT_TOKEN_SMPN2=fake2.token, TELEGRAM_API_BASE_URL_SMPN2=fake2.base_url,
               SEBAYA_SECRET=SECRET.decode(), SEBAYA_WEB_PORT="0", PYTHONUNBUFFERED="1")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(path), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        fake.say(BK, f"/join {codes['smpn1']}")
        fake2.say(BK, f"/join {codes['smpn2']}")
        await fake.wait_text(BK, "terdaftar sebagai", timeout=60)
        await fake2.wait_text(BK, "terdaftar sebagai", timeout=30)
        # one school's invite is no code at the other
        fake.say(BK + 1, f"/join {codes['smpn2']}")
        await fake.wait_text(BK + 1, "Kode itu tidak dikenal", timeout=30)

        fake2.say(STUDENT, "aku pengen mati aja, rahasia-dua")
        fake.say(STUDENT, "halo")
        alert = await fake2.wait_text(BK, "BUTUH GURU BK SEKARANG", timeout=30)
        await fake.wait_text(STUDENT, "Hai, aku Sebaya", timeout=30)
        await fake2.wait_text(STUDENT, "kamu nggak sendirian", timeout=30)
        assert not any("BUTUH GURU BK" in t for t in fake.to(BK))
        assert all("rahasia-dua" not in s.text for s in fake.sent)
        code = alert.text.split("#")[1][:4]
        fake.say(BK, f"/lihat {code}")  # school 1's counselor asks for school 2's student
        refused = await fake.wait_text(BK, f"Tidak ada kasus dengan kode {code}", timeout=30)
        assert "rahasia-dua" not in refused.text
    finally:
        bot.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(bot.wait(), 30)
        stderr = (await bot.stderr.read()).decode(errors="replace")
    assert rc == 0, stderr[-3000:]
    assert "serving 2 school(s): smpn1, smpn2" in stderr
    assert fake.token not in stderr and fake2.token not in stderr
