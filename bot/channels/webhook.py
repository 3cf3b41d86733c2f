"""Webhook mode: Telegram POSTs updates; each is persisted before we answer 200.

The secret token Telegram echoes in ``X-Telegram-Bot-Api-Secret-Token`` is checked first; a
failure to persist answers 500 so Telegram delivers the update again (duplicates are ignored by
the inbox key).
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.channels import jsonbody
from bot.channels.telegram import Submit, TelegramChannel

log = logging.getLogger("sebaya.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_app(channel: TelegramChannel, submit: Submit, secret: str,
                path: str = "/telegram") -> web.Application:
    app = web.Application(client_max_size=jsonbody.MAX_BODY)
    add_routes(app, channel, submit, secret, path)
    return app


def add_routes(app: web.Application, channel: TelegramChannel, submit: Submit, secret: str,
               path: str = "/telegram") -> None:
    """The Telegram webhook on an aiohttp app (shared with WhatsApp's in one server)."""
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            raw = jsonbody.parse(await request.read())
        except jsonbody.BadBody:
            return web.Response(status=400)
        if not isinstance(raw, dict) or "update_id" not in raw:
            return web.Response(status=400)
        update = channel._parse(raw)
        if update is None:
            return web.Response(status=200)  # unreadable: acknowledged, logged, skipped
        try:
            await channel.handle_update(update, submit)
        except Exception:
            log.exception("could not persist update_id=%s; Telegram will retry",
                          raw.get("update_id"))
            return web.Response(status=500)
        return web.Response(status=200)

    app.router.add_post(path, receive)
