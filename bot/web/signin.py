"""/masuk/<token>: the page a chat link opens (a "Masuk" button; only its POST uses the link),
and /keluar (sign out of this browser)."""

from __future__ import annotations

import re

from aiohttp import web

from bot.web.context import VIEWER, ctx
from bot.web.forms import checked_form
from bot.web.render import page
from bot.web.security import same_origin
from bot.web.sessions import SESSION_TTL

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
BAD_LINK = "Tautan ini tidak berlaku lagi (sudah dipakai, kedaluwarsa, atau salah). " \
           "Ketik /dasbor di chat Sebaya untuk tautan baru."


def _token(request: web.Request) -> str | None:
    token = request.match_info["token"]
    return token if _TOKEN.match(token) else None


async def link_page(request: web.Request) -> web.Response:
    c = ctx(request)
    token = _token(request)
    if token is None or await c.sessions.link_state(token) != "ok":
        return page(c.env, "message.html", status=410, viewer=None, title="Tautan tidak berlaku",
                    text=BAD_LINK)
    return page(c.env, "signin.html", viewer=None)


async def sign_in(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    if not same_origin(request, c.settings.origin):
        raise web.HTTPForbidden(text="origin")
    token = _token(request)
    session = await c.sessions.sign_in(token) if token else None
    if session is None:
        return page(c.env, "message.html", status=410, viewer=None, title="Tautan tidak berlaku",
                    text=BAD_LINK)
    response = web.HTTPSeeOther("/")  # each role's home
    response.set_cookie(c.cookie, session, max_age=int(SESSION_TTL.total_seconds()), path="/",
                        httponly=True, samesite="Strict", secure=c.settings.secure)
    return response


async def sign_out(request: web.Request) -> web.Response:
    c = ctx(request)
    viewer = request[VIEWER]
    await checked_form(request, c.settings.origin, viewer.csrf)
    await c.sessions.sign_out(viewer)
    response = page(c.env, "message.html", viewer=None, title="Sudah keluar",
                    text="Bapak/Ibu sudah keluar dari dasbor di peramban ini. Untuk masuk lagi, "
                         "ketik /dasbor di chat Sebaya.")
    response.del_cookie(c.cookie, path="/")
    return response


def add_routes(server: web.Application) -> None:
    server.router.add_get("/masuk/{token}", link_page)
    server.router.add_post("/masuk/{token}", sign_in)
    server.router.add_post("/keluar", sign_out)
