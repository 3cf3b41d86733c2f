"""``sebaya run`` for a district in webhook mode: one server, a path and a secret per school."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.schools import registry
from bot.schools.config import load_school_config
from bot.schools.serve import serve
from tests.conftest import SECRET, place_migrated
from tests.fakebot import FakeBotApi


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def fakes() -> AsyncIterator[dict[str, FakeBotApi]]:
    found = {"smpn1": FakeBotApi("111:ONE"), "smpn2": FakeBotApi("222:TWO")}
    for fake in found.values():
        await fake.start()
    yield found
    for fake in found.values():
        await fake.stop()


async def test_each_school_has_its_own_webhook_path_and_secret(
        fakes, project: Path, config, sqlite_template, monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())
    path = project / "config.yaml"
    configs = []
    for school in fakes:
        registry.add(path, school, school.upper())
        configs.append(load_school_config(path, school))
        place_migrated(configs[-1], sqlite_template)
    port = _free_port()
    env = {"SEBAYA_SECRET": SECRET.decode(), "TELEGRAM_WEBHOOK_URL": "https://dinas.example",
           "SEBAYA_WEBHOOK_PORT": str(port)}
    for school, fake in fakes.items():
        env[f"TELEGRAM_BOT_TOKEN_{school.upper()}"] = fake.token
        env[f"TELEGRAM_API_BASE_URL_{school.upper()}"] = fake.base_url
    stopping = asyncio.Event()
    running = asyncio.create_task(serve(configs, env, stopping))
    try:
        for school, fake in fakes.items():
            await fake.wait_for(lambda _, f=fake: bool(f.webhook), timeout=30)
            assert fake.webhook["url"] == f"https://dinas.example/telegram/{school}"
        one, two = fakes["smpn1"].webhook, fakes["smpn2"].webhook
        assert one["secret_token"] != two["secret_token"]
        fakes["smpn1"].say(5001, "halo")
        update = fakes["smpn1"].updates[-1]
        url = f"http://127.0.0.1:{port}/telegram/smpn1"
        async with aiohttp.ClientSession() as session:
            header = "X-Telegram-Bot-Api-Secret-Token"
            async with session.post(url, json=update,
                                    headers={header: two["secret_token"]}) as wrong:
                assert wrong.status == 403  # another school's secret opens nothing here
            async with session.post(url, json=update,
                                    headers={header: one["secret_token"]}) as right:
                assert right.status == 200
        await fakes["smpn1"].wait_text(5001, "Hai, aku Sebaya", timeout=15)
        assert fakes["smpn2"].to(5001) == []
    finally:
        stopping.set()
        assert await asyncio.wait_for(running, 30) == 0
