"""A running Sebaya (real App, real PTB Bot client, real polling) against the fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.clock import ShiftedClock
from tests.conftest import SECRET
from tests.fakebot import FakeBotApi


@dataclass
class Live:
    app: App
    channel: TelegramChannel
    fake: FakeBotApi

    async def enrol(self, user_id: int, role: str, name: str) -> None:
        await self.app.enrol_local_staff("telegram", str(user_id), str(user_id), role, name)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> ShiftedClock:
    """Real time from Monday 08:00 WIB: backoffs really elapse, and peers are on shift."""
    return ShiftedClock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))


@pytest.fixture
async def live(fake: FakeBotApi, config, clock) -> AsyncIterator[Live]:
    channel = TelegramChannel(fake.token, fake.base_url, poll_timeout=1, send_interval=0,
                              read_timeout=1.0)
    app = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET)
    await channel.start()
    await app.start()
    stopping = asyncio.Event()
    poll = asyncio.create_task(channel.poll(app.dispatcher.accept_many, stopping))
    yield Live(app, channel, fake)
    stopping.set()
    poll.cancel()
    await asyncio.gather(poll, return_exceptions=True)
    await app.stop()
    await channel.stop()
