"""The web view's aiohttp application: middleware (headers, session, roles), routes, and a
runner that ``sebaya run`` starts beside the bot (same process, same store)."""

from __future__ import annotations

import logging
from importlib import resources

from aiohttp import web

from bot.app import App
from bot.web import cases, health, live, report, signin, staff
from bot.web.context import CTX, VIEWER, WebContext, ctx
from bot.web.render import page
from bot.web.security import MAX_BODY, headers_middleware
from bot.web.settings import WebSettings

log = logging.getLogger("sebaya.web")
PUBLIC = ("/static/", "/masuk/")  # the only paths served without a session


@web.middleware
async def session_middleware(request: web.Request, handler):
    """Nothing but sign-in and static files without a session; each page names the right it
    needs (``page`` in the route's info) and another role gets 403."""
    if request.path.startswith(PUBLIC):
        return await handler(request)
    c = ctx(request)
    viewer = await c.sessions.viewer(request.cookies.get(c.cookie))
    if viewer is None:
        return page(request, "signin_needed.html", status=401, viewer=None)
    needed = getattr(handler, "page", None)
    if needed is not None and not viewer.may(needed):
        return page(request, "message.html", status=403, viewer=viewer, here="/",
                    title="web.forbidden.title", text="web.forbidden.text")
    request[VIEWER] = viewer
    return await handler(request)


def build(app: App, settings: WebSettings) -> web.Application:
    """The application (tests serve it on a loopback port)."""
    server = web.Application(client_max_size=MAX_BODY,
                             middlewares=[headers_middleware, session_middleware])
    server[CTX] = WebContext(app, settings)
    static = resources.files("bot.web") / "static"
    server.router.add_static("/static/", str(static), show_index=False, follow_symlinks=False)
    signin.add_routes(server)
    live.add_routes(server)
    cases.add_routes(server)
    report.add_routes(server)
    health.add_routes(server)
    staff.add_routes(server)
    return server


async def start(app: App, settings: WebSettings) -> web.AppRunner:
    """Serve the web view on SEBAYA_WEB_HOST:SEBAYA_WEB_PORT until the runner is cleaned up."""
    runner = web.AppRunner(build(app, settings), access_log=None)  # URLs carry tokens
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port,  # several workers: one port
                      reuse_port=app.store.several_workers or None).start()
    log.info("web view on %s:%s (public base %s)", settings.host, settings.port, settings.base)
    return runner
