"""Cases: a filtered list, one case with its whole transcript (every view audited like
/lihat), and "Saya tangani" from the web through the chat's own claim."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp import web

from bot.core.crisis import TAKE_PREFIX
from bot.core.events import Kind
from bot.store import audit, cases
from bot.web import queries
from bot.web.context import VIEWER, ctx
from bot.web.forms import checked_form, needs
from bot.web.render import page

CODE = re.compile(r"^[A-Z2-9]{4}$")  # the case code alphabet (bot/core/identity.py)
LIST_DAYS = 30
NOTICES = {  # ?m= on a case page: a fixed set, nothing a URL says is shown
    "taken": "Kasus sudah Bapak/Ibu ambil. Siswa sudah diberi tahu; lanjutkan percakapan di "
             "chat Sebaya (pesan Bapak/Ibu di sana diteruskan ke siswa).",
    "closed": "Kasus ditutup. Siswa sudah diberi tahu.",
    "note": "Tulis catatan hasil dulu (tidak ditampilkan ke siswa).",
    "notyours": "Kasus ini tidak sedang Bapak/Ibu pegang, jadi tidak ada yang diubah.",
}


def _code(request: web.Request) -> str:
    code = request.match_info["code"].upper()
    if not CODE.match(code):
        raise web.HTTPNotFound()
    return code


@needs("cases")
async def case_list(request: web.Request) -> web.Response:
    c = ctx(request)
    filters = {k: v for k, v in request.query.items() if k in queries.FILTERS}
    since = c.app.clock.now() - dt.timedelta(days=LIST_DAYS)
    async with c.app.store.read() as db:
        rows = await queries.case_list(db, since, filters)
    return page(c.env, "cases.html", viewer=request[VIEWER], rows=rows, filters=filters,
                choices=queries.FILTERS, days=LIST_DAYS)


@needs("cases")
async def case_page(request: web.Request) -> web.Response:
    c = ctx(request)
    code = _code(request)
    viewer = request[VIEWER]
    async with c.app.store.transaction() as db:
        detail = await queries.case_detail(db, code)
        if detail is not None:
            await audit.record(db, viewer.key.value, "transcript_viewed",
                               {"code": code, "via": "web"}, c.app.clock.now())
    if detail is None:
        raise web.HTTPNotFound()
    return page(c.env, "case.html", viewer=viewer, case=detail,
                notice=NOTICES.get(request.query.get("m", ""), ""),
                mine=detail.row.status == "active" and detail.assignee == viewer.key)


@needs("live")
async def take(request: web.Request) -> web.Response:
    """The same turn as pressing "Saya tangani" in the chat: one transaction decides, so a
    web take and a chat take cannot both win; the student and the other alert holders are
    told exactly as from the chat."""
    c = ctx(request)
    code = _code(request)
    viewer = request[VIEWER]
    await checked_form(request, c.settings.origin, viewer.csrf)
    async with c.app.store.read() as db:
        before = await cases.open_by_code(db, code)
    await c.app.dispatcher.act_as_staff(viewer.key, Kind.BUTTON, data=TAKE_PREFIX + code,
                                        urgent=before is not None and before.level == "crisis")
    async with c.app.store.read() as db:
        after = await cases.open_by_code(db, code)
    if after is not None and after.assignee == viewer.key and after.status == "active":
        raise web.HTTPSeeOther(f"/kasus/{code}?m=taken")
    raise web.HTTPSeeOther("/langsung?m=gone")


@needs("cases")
async def close(request: web.Request) -> web.Response:
    """Close a case the signed-in counselor holds, with the outcome note: the chat's
    ``/selesai #CODE note`` as the same turn (the student is told and asked for a rating)."""
    c = ctx(request)
    code = _code(request)
    viewer = request[VIEWER]
    form = await checked_form(request, c.settings.origin, viewer.csrf)
    note = " ".join(form.get("note", "").split())
    if not note:
        raise web.HTTPSeeOther(f"/kasus/{code}?m=note")
    async with c.app.store.read() as db:
        before = await cases.open_by_code(db, code)
    if before is None or before.assignee != viewer.key:
        raise web.HTTPSeeOther(f"/kasus/{code}?m=notyours")
    await c.app.dispatcher.act_as_staff(viewer.key, Kind.COMMAND, text=f"/selesai #{code} {note}")
    async with c.app.store.read() as db:
        after = await cases.open_by_code(db, code)
    raise web.HTTPSeeOther(f"/kasus/{code}?m={'closed' if after is None else 'notyours'}")


def add_routes(server: web.Application) -> None:
    server.router.add_get("/kasus", case_list)
    server.router.add_get("/kasus/{code}", case_page)
    server.router.add_post("/kasus/{code}/ambil", take)
    server.router.add_post("/kasus/{code}/tutup", close)
