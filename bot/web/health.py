"""Health: what ``sebaya doctor`` says, and the latest dead letters (no words, no recipient)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot import operations
from bot.web import queries
from bot.web.context import VIEWER, ctx
from bot.web.forms import needs
from bot.web.render import page


@needs("health")
async def health_page(request: web.Request) -> web.Response:
    c = ctx(request)
    checks = await asyncio.to_thread(operations.doctor, c.app.config, c.app.clock.now())
    async with c.app.store.read() as db:
        dead = await queries.dead_letters(db)
    viewer = request[VIEWER]
    return page(request, "health.html", viewer=viewer, checks=checks, dead=dead,
                show_case=viewer.may("cases"))


def add_routes(server: web.Application) -> None:
    server.router.add_get("/kesehatan", health_page)
