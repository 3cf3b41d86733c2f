"""Webhook mode: secret checked, update persisted before 200, 500 when it could not be."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.channels.webhook import SECRET_HEADER, webhook_app
from tests.e2e.conftest import Live

UPDATE = {"update_id": 42, "message": {
    "message_id": 1, "date": 1, "text": "halo", "chat": {"id": 1001, "type": "private"},
    "from": {"id": 1001, "is_bot": False, "first_name": "S"}}}


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/telegram"


async def test_webhook_persists_then_answers(live: Live) -> None:
    runner, url = await _serve(webhook_app(live.channel, live.app.dispatcher.accept, "s3cret"))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=UPDATE, headers={SECRET_HEADER: "wrong"}) as r:
                assert r.status == 403
            async with session.post(url, data=b"{not json", headers={SECRET_HEADER: "s3cret"}) \
                    as r:
                assert r.status == 400
            for _ in range(2):  # Telegram may deliver twice: handled once
                async with session.post(url, json=UPDATE, headers={SECRET_HEADER: "s3cret"}) \
                        as r:
                    assert r.status == 200
        async with live.app.store.transaction() as db:
            rows = await (await db.execute("SELECT COUNT(*) FROM inbox")).fetchone()
        assert rows[0] == 1
        await live.fake.wait_text(1001, "Hai, aku Sebaya")
    finally:
        await runner.cleanup()


async def test_webhook_answers_500_when_it_cannot_persist(live: Live) -> None:
    async def broken(event):
        raise RuntimeError("disk full")

    runner, url = await _serve(webhook_app(live.channel, broken, "s3cret"))
    try:
        async with aiohttp.ClientSession() as session, session.post(
                url, json=UPDATE, headers={SECRET_HEADER: "s3cret"}) as response:
            assert response.status == 500  # so Telegram delivers it again
    finally:
        await runner.cleanup()


async def test_deeply_nested_webhook_json_is_refused_not_a_500(live: Live) -> None:
    runner, url = await _serve(webhook_app(live.channel, live.app.dispatcher.accept, "s3cret"))
    try:
        async with aiohttp.ClientSession() as session:
            for body in (b"[" * 100000 + b"]" * 100000,
                         b'{"update_id": 1, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                         b'{"update_id": 1, "pad": "' + b"a" * 300000 + b'"}'):
                async with session.post(url, data=body, headers={SECRET_HEADER: "s3cret"}) \
                        as r:
                    assert r.status in (400, 413)
            nested_text = dict(UPDATE, message={**UPDATE["message"], "text": "[[[[[[" * 20})
            async with session.post(url, json=nested_text, headers={SECRET_HEADER: "s3cret"}) \
                    as r:  # brackets inside a string are only text
                assert r.status == 200
    finally:
        await runner.cleanup()
