"""Live: crises waiting and for how long, unacknowledged alerts with their ladder step, cases
waiting for a peer, cases in progress, who is on duty. The page polls its own fragment."""

from __future__ import annotations

from aiohttp import web

from bot.web import queries
from bot.web.context import VIEWER, ctx
from bot.web.forms import needs
from bot.web.render import page
from bot.web.sessions import HOME

NOTICES = {  # ?m= after a take: a fixed set of catalog keys, so nothing a URL says is shown
    "taken": "web.notice.taken", "gone": "web.notice.gone", "refused": "web.notice.refused"}


async def _values(request: web.Request) -> dict:
    c = ctx(request)
    now = c.app.clock.now()
    roster = c.app.core.roster
    async with c.app.store.read() as db:
        view = await queries.live(db, roster.on_shift(now) if roster is not None else True)
    ladder = [level.notify for level in c.app.config.escalation.ladder]  # web.ladder.<notify>
    return {"live": view, "now": now, "ladder": ladder, "viewer": request[VIEWER]}


@needs("live")
async def live_page(request: web.Request) -> web.Response:
    notice = NOTICES.get(request.query.get("m", ""), "")
    return page(request, "live.html", notice=notice, **await _values(request))


@needs("live")
async def live_fragment(request: web.Request) -> web.Response:
    return page(request, "_live.html", **await _values(request))


async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(HOME.get(request[VIEWER].role, "/langsung"))


def add_routes(server: web.Application) -> None:
    server.router.add_get("/", home)
    server.router.add_get("/langsung", live_page)
    server.router.add_get("/langsung/bagian", live_fragment)
