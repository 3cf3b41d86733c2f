"""Webhook mode with two workers on one PostgreSQL database: every worker serves the Telegram
webhook and the WhatsApp webhook, deliveries for one person land on either, and each is
delivered again to the other worker (Telegram and Meta repeat a delivery they think failed).
The inbox's dedup makes the repeat harmless: each message handled once, in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.channels.telegram import TelegramChannel
from bot.channels.webhook import SECRET_HEADER
from bot.channels.webhook import add_routes as add_telegram_routes
from bot.channels.whatsapp import WEBHOOK_PATH, WhatsAppChannel, WhatsAppSettings
from bot.config import Config
from tests.conftest import SECRET
from tests.e2e.conftest import serve
from tests.fakebot import FakeBotApi
from tests.fakewa import FakeWhatsApp

HOOK_SECRET = "shared-webhook-secret"


@dataclass
class Worker:
    app: App
    base: str
    handled: list[tuple[int, str]]  # (worker, text) of every turn of both, as handled


@pytest.fixture
async def workers(fake: FakeBotApi, fakewa: FakeWhatsApp, config: Config, pg_url: str,
                  clock) -> AsyncIterator[list[Worker]]:
    pg = config.model_copy(update={"database": config.database.model_copy(
        update={"url": pg_url})})
    made, cleanup = [], []
    handled: list[tuple[int, str]] = []
    for n in range(2):
        settings = WhatsAppSettings(fakewa.token, fakewa.phone_number_id, fakewa.app_secret,
                                    fakewa.verify_token, fakewa.base_url)
        wa = WhatsAppChannel(settings, SECRET, config.whatsapp, config.school.name,
                             timeout=2.0, clock=clock)
        telegram = TelegramChannel(fake.token, fake.base_url, send_interval=0)
        app = await App.build(pg, {telegram.name: telegram, wa.name: wa}, clock=clock,
                              secret=SECRET)
        wa.bind(app.store)
        await wa.start()
        await telegram.start()
        await app.start()
        server = web.Application()
        add_telegram_routes(server, telegram, app.dispatcher.accept, HOOK_SECRET)
        wa.add_routes(server, app.dispatcher.accept_many, app.sender.delivery_reports)
        runner, base = await serve(server)
        original = app.core.handle

        def spy(turn, original=original, n=n):
            handled.append((n, turn.text))
            return original(turn)

        app.core.handle = spy  # type: ignore[method-assign]
        made.append(Worker(app, base, handled))
        cleanup.append((runner, app, wa, telegram))
    yield made
    for runner, app, wa, telegram in cleanup:
        await runner.cleanup()
        await app.stop()
        await wa.stop()
        await telegram.stop()


async def _all_handled(workers: list[Worker], texts: list[str], timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not set(texts) <= {t for _, t in workers[0].handled}:
        assert loop.time() < deadline, "not every message was handled"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # a second handling, if any, would show by now


async def test_telegram_webhook_on_two_workers_each_message_once_in_order(
        workers: list[Worker]) -> None:
    texts = [f"pesan tg {n:02d}" for n in range(20)]
    async with aiohttp.ClientSession() as session:
        for n, text in enumerate(texts):
            update = {"update_id": 1000 + n, "message": {
                "message_id": n + 1, "date": 1, "text": text,
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "S"}}}
            for worker in (workers[n % 2], workers[(n + 1) % 2]):  # then the repeat
                async with session.post(worker.base + "/telegram", json=update,
                                        headers={SECRET_HEADER: HOOK_SECRET}) as response:
                    assert response.status == 200
    await _all_handled(workers, texts)
    handled = [(n, text) for n, text in workers[0].handled if text in texts]
    assert [text for _, text in handled] == texts  # each once, in the order delivered
    assert {n for n, _ in handled} == {0, 1}  # by both workers
    async with workers[0].app.store.read() as db:
        rows = await db.execute_fetchall("SELECT COUNT(*), COUNT(DISTINCT external_id) FROM "
                                         "inbox WHERE channel = 'telegram'")
    assert tuple(rows[0]) == (20, 20)


async def test_whatsapp_webhook_on_two_workers_each_message_once_in_order(
        workers: list[Worker], fakewa: FakeWhatsApp) -> None:
    texts = [f"pesan wa {n:02d}" for n in range(20)]
    async with aiohttp.ClientSession() as session:
        for n, text in enumerate(texts):
            _, body = fakewa.message("6281200000001", "text", {"body": text})
            raw = json.dumps(body).encode()
            for worker in (workers[n % 2], workers[(n + 1) % 2]):  # Meta's repeat
                async with session.post(worker.base + WEBHOOK_PATH, data=raw, headers={
                        "Content-Type": "application/json",
                        "X-Hub-Signature-256": fakewa.sign(raw)}) as response:
                    assert response.status == 200
    await _all_handled(workers, texts)
    handled = [(n, text) for n, text in workers[0].handled if text in texts]
    assert [text for _, text in handled] == texts  # each once, in the order delivered
    assert {n for n, _ in handled} == {0, 1}
    async with workers[0].app.store.read() as db:
        rows = await db.execute_fetchall("SELECT COUNT(*) FROM inbox WHERE channel = "
                                         "'whatsapp'")
    assert rows[0][0] == 20
    await fakewa.wait_count("6281200000001", 1)  # and the student was answered


async def test_workers_on_one_machine_share_the_webhook_port(
        workers: list[Worker], fakewa: FakeWhatsApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sebaya run --workers N` starts N servers on SEBAYA_WEBHOOK_PORT: SO_REUSEPORT lets
    each bind it (the kernel spreads connections); every message is handled once."""
    from bot.cli import _serve_webhooks
    from tests.chaos import free_port

    port = free_port()
    monkeypatch.setenv("SEBAYA_WEBHOOK_HOST", "127.0.0.1")
    monkeypatch.setenv("SEBAYA_WEBHOOK_PORT", str(port))
    runners = [await _serve_webhooks(w.app, None, w.app.channels["whatsapp"], "")
               for w in workers]  # the second bind would fail without SO_REUSEPORT
    try:
        texts = [f"satu port {n:02d}" for n in range(10)]
        async with aiohttp.ClientSession() as session:
            for text in texts:
                _, body = fakewa.message("6281200000002", "text", {"body": text})
                raw = json.dumps(body).encode()
                async with aiohttp.ClientSession() as fresh:  # a new connection each time
                    for client in (session, fresh):  # and a repeat on another connection
                        async with client.post(f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                                               data=raw, headers={
                                                   "Content-Type": "application/json",
                                                   "X-Hub-Signature-256": fakewa.sign(raw)}) \
                                as response:
                            assert response.status == 200
        await _all_handled(workers, texts)
        assert [t for _, t in workers[0].handled if t in texts] == texts
    finally:
        for runner in runners:
            await runner.cleanup()
