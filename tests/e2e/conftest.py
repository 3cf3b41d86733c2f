"""A running Sebaya (real App, real PTB Bot client, real polling) against the fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel, WhatsAppSettings
from bot.clock import ShiftedClock
from bot.staffcli import new_code
from bot.store import invites, users
from tests.conftest import SECRET, place_migrated
from tests.fakebot import FakeBotApi
from tests.fakewa import FakeWhatsApp


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
async def live(fake: FakeBotApi, config, clock, sqlite_template) -> AsyncIterator[Live]:
    place_migrated(config, sqlite_template)
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


@dataclass
class WaLive:
    """A running Sebaya serving WhatsApp (webhook on loopback, Graph API fake) and Telegram
    (polling the fake Bot API) at once."""

    app: App
    channel: WhatsAppChannel
    fake: FakeWhatsApp
    telegram: TelegramChannel
    bot: FakeBotApi
    url: str

    async def enrol_telegram(self, user_id: int, role: str, name: str) -> None:
        await self.app.enrol_local_staff("telegram", str(user_id), str(user_id), role, name)

    async def invite(self, role: str, name: str) -> str:
        code = new_code()
        async with self.app.store.transaction() as db:
            await invites.create(db, self.app.vault.token_hash(code), role, name,
                                 self.app.clock.now(), dt.timedelta(days=1))
        return code

    async def join(self, user: str, role: str, name: str) -> None:
        """A staff member enrols on WhatsApp the real way: /join CODE (and a pseudonym)."""
        self.fake.say(user, f"/join {await self.invite(role, name)}")
        if role == "peer":
            await self.fake.wait_text(user, "nama samaran")
            self.fake.say(user, name)
            await self.fake.wait_text(user, "Siswa akan melihatmu sebagai")
            await self.approve(name)
        else:
            await self.fake.wait_text(user, "Selamat datang")

    async def approve(self, pseudonym: str) -> None:
        """The new peer is trained and approved as `sebaya staff approve` would record it (the
        training itself is tested in tests/core/test_training.py)."""
        async with self.app.store.transaction() as db:
            peer = await users.find_staff(db, pseudonym)
            assert peer is not None
            await users.set_training(db, peer.key, self.app.clock.now(), trained=True,
                                     approved_by="operator")

    async def rows(self, sql: str, args: tuple = ()) -> list:
        async with self.app.store.read() as db:
            return list(await db.execute_fetchall(sql, args))

    async def write(self, sql: str, args: tuple = ()) -> None:
        """Change the bot's records behind its back (in a transaction: either store)."""
        async with self.app.store.transaction() as db:
            await db.execute(sql, args)


@pytest.fixture
async def fakewa(clock) -> AsyncIterator[FakeWhatsApp]:
    server = FakeWhatsApp(clock=lambda: clock.now().timestamp())
    await server.start()
    yield server
    await server.stop()


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def walive(fakewa: FakeWhatsApp, fake: FakeBotApi, config, clock,
                 sqlite_template) -> AsyncIterator[WaLive]:
    place_migrated(config, sqlite_template)
    settings = WhatsAppSettings(fakewa.token, fakewa.phone_number_id, fakewa.app_secret,
                                fakewa.verify_token, fakewa.base_url)
    channel = WhatsAppChannel(settings, SECRET, config.whatsapp, config.school.name,
                              timeout=2.0, clock=clock)
    telegram = TelegramChannel(fake.token, fake.base_url, poll_timeout=1, send_interval=0,
                               read_timeout=1.0)
    app = await App.build(config, {telegram.name: telegram, channel.name: channel}, clock=clock,
                          secret=SECRET)
    channel.bind(app.store, app.vault)
    await channel.start()
    await telegram.start()
    await app.start()
    runner, base = await serve(channel.webhook_app(app.dispatcher.accept_many,
                                                   app.sender.delivery_reports))
    fakewa.webhook_url = base + WEBHOOK_PATH
    stopping = asyncio.Event()
    poll = asyncio.create_task(telegram.poll(app.dispatcher.accept_many, stopping))
    yield WaLive(app, channel, fakewa, telegram, fake, fakewa.webhook_url)
    stopping.set()
    poll.cancel()
    await asyncio.gather(poll, return_exceptions=True)
    await fakewa.settled(timeout=5)
    await runner.cleanup()
    await app.stop()
    await channel.stop()
    await telegram.stop()


@dataclass
class WebLive:
    """Sebaya on the fake Telegram (real polling and sending) with its web view served."""

    app: App
    fake: FakeBotApi
    base: str

    async def enrol(self, user_id: int, role: str, name: str) -> None:
        await self.app.enrol_local_staff("telegram", str(user_id), str(user_id), role, name)

    async def link(self, user_id: int) -> str:
        """The counselor types /dasbor in the chat; the link in the bot's answer."""
        import re

        self.fake.say(user_id, "/dasbor")
        sent = await self.fake.wait_text(user_id, "/masuk/")
        return re.search(r"(http\S+/masuk/[A-Za-z0-9_-]+)", sent.text).group(1)


@pytest.fixture
async def weblive(live: Live) -> AsyncIterator[WebLive]:
    from tests.web.conftest import serve_web

    runner, base = await serve_web(live.app)
    yield WebLive(live.app, live.fake, base)
    await runner.cleanup()
