"""Where the web view listens, and `sebaya run` serving it beside the bot."""

from __future__ import annotations

import asyncio
import socket
import sys

import aiohttp
import pytest

from bot.web.settings import WebSettings, settings_from
from tests.chaos import bot_env
from tests.conftest import ROOT, SECRET
from tests.fakebot import FakeBotApi


def test_defaults_and_the_public_base() -> None:
    assert settings_from({}) == WebSettings("127.0.0.1", 8081, "")
    local = settings_from({})
    assert local.base == "http://127.0.0.1:8081" and not local.secure
    public = settings_from({"SEBAYA_WEB_URL": "https://bk.sekolah.sch.id/", "SEBAYA_WEB_PORT":
                            "9000", "SEBAYA_WEB_HOST": "0.0.0.0"})
    assert public.base == "https://bk.sekolah.sch.id" and public.secure
    assert public.origin == "https://bk.sekolah.sch.id" and public.port == 9000
    assert not settings_from({"SEBAYA_WEB_PORT": "off"}).enabled
    for bad in ({"SEBAYA_WEB_PORT": "80a"}, {"SEBAYA_WEB_URL": "bk.sekolah.sch.id"}):
        with pytest.raises(ValueError):
            settings_from(bad)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_sebaya_run_serves_the_web_view(project) -> None:
    fake = FakeBotApi()
    await fake.start()
    port = _free_port()
    env = {**bot_env(fake, SECRET.decode()), "SEBAYA_WEB_PORT": str(port)}
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(project / "config.yaml"), cwd=ROOT,
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120  # a cold start took 37 s on the shared 2-core machine
        async with aiohttp.ClientSession() as client:
            while True:  # until it listens (loading the risk model takes a moment)
                try:
                    async with client.get(f"http://127.0.0.1:{port}/langsung") as response:
                        status, headers = response.status, response.headers
                        break
                except aiohttp.ClientConnectionError:
                    if loop.time() > deadline:
                        raise AssertionError("the web view never listened") from None
                    await asyncio.sleep(0.05)
        assert status == 401 and "default-src 'none'" in headers["Content-Security-Policy"]
    finally:
        bot.terminate()
        await bot.wait()
        await fake.stop()
