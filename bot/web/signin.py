"""/masuk/<token>: the page a chat link opens (a "Masuk" button; only its POST uses the link),
/keluar (sign out of this browser) and /bahasa (the page language switch)."""

from __future__ import annotations

import re

from aiohttp import web

from bot.web.context import LANG_COOKIE, VIEWER, ctx
from bot.web.forms import checked_form
from bot.web.render import page
from bot.web.security import same_origin
from bot.web.sessions import SESSION_TTL

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_BACK = re.compile(r"^/[A-Za-z0-9/_.?=&%-]*$")  # a path of ours, never //host or a scheme


def _token(request: web.Request) -> str | None:
    token = request.match_info["token"]
    return token if _TOKEN.match(token) else None


def _bad_link(request: web.Request) -> web.Response:
    return page(request, "message.html", status=410, title="web.signin.bad_title",
                text="web.signin.bad_text")


async def link_page(request: web.Request) -> web.Response:
    c = ctx(request)
    token = _token(request)
    state, lang = await c.sessions.link_state(token) if token else ("unknown", "")
    if state != "ok":
        return _bad_link(request)
    return page(request, "signin.html", lang_hint=lang)


async def sign_in(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    if not same_origin(request, c.settings.origin):
        raise web.HTTPForbidden(text="origin")
    token = _token(request)
    session = await c.sessions.sign_in(token) if token else None
    if session is None:
        return _bad_link(request)
    response = web.HTTPSeeOther("/")  # each role's home
    response.set_cookie(c.cookie, session, max_age=int(SESSION_TTL.total_seconds()), path="/",
                        httponly=True, samesite="Strict", secure=c.settings.secure)
    return response


async def sign_out(request: web.Request) -> web.Response:
    c = ctx(request)
    viewer = request[VIEWER]
    await checked_form(request, c.settings.origin, viewer.csrf)
    await c.sessions.sign_out(viewer)
    response = page(request, "message.html", viewer=None, lang_hint=viewer.lang,
                    title="web.signout.title", text="web.signout.text")
    response.del_cookie(c.cookie, path="/")
    return response


async def switch_language(request: web.Request) -> web.Response:
    """The language switch in the header: this browser's choice for the rest of the session
    (a cookie as long as the session's), then back to the page it was pressed on."""
    c = ctx(request)
    form = await checked_form(request, c.settings.origin, request[VIEWER].csrf)
    lang = form.get("lang", "")
    if lang not in c.languages:
        raise web.HTTPBadRequest(text="lang")
    back = form.get("back", "/")
    response = web.HTTPSeeOther(back if _BACK.match(back) and not back.startswith("//")
                                else "/")
    response.set_cookie(LANG_COOKIE, lang, max_age=int(SESSION_TTL.total_seconds()), path="/",
                        httponly=True, samesite="Strict", secure=c.settings.secure)
    return response


def add_routes(server: web.Application) -> None:
    server.router.add_get("/masuk/{token}", link_page)
    server.router.add_post("/masuk/{token}", sign_in)
    server.router.add_post("/keluar", sign_out)
    server.router.add_post("/bahasa", switch_language)
