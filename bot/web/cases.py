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
WEEKS = 8  # the week filter offers this week and the seven before it
NOTICES = {  # ?m= on a case page: a fixed set of catalog keys, nothing a URL says is shown
    "taken": "web.notice.taken", "closed": "web.notice.closed", "note": "web.notice.note",
    "notyours": "web.notice.notyours"}


def weeks(today: dt.date, count: int = WEEKS) -> list[dt.date]:
    """The Mondays of this week and the ``count - 1`` weeks before it, newest first."""
    monday = today - dt.timedelta(days=today.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(count)]


def _week(request: web.Request, choices: list[dt.date]) -> dt.date | None:
    """?minggu=YYYY-MM-DD (a Monday among the choices), else None (anything else ignored)."""
    try:
        monday = dt.date.fromisoformat(request.query.get("minggu", ""))
    except ValueError:
        return None
    return monday if monday in choices else None


def _code(request: web.Request) -> str:
    code = request.match_info["code"].upper()
    if not CODE.match(code):
        raise web.HTTPNotFound()
    return code


@needs("cases")
async def case_list(request: web.Request) -> web.Response:
    c = ctx(request)
    filters = {k: v for k, v in request.query.items() if k in queries.FILTERS}
    now = c.app.clock.now()
    tz = c.app.config.tz
    choices = weeks(now.astimezone(tz).date())
    monday = _week(request, choices)
    span = None
    if monday is not None:
        start = dt.datetime.combine(monday, dt.time(), tzinfo=tz)
        span = (start, start + dt.timedelta(days=7))
    async with c.app.store.read() as db:
        rows = await queries.case_list(db, now - dt.timedelta(days=LIST_DAYS), filters, span)
    return page(request, "cases.html", viewer=request[VIEWER], rows=rows, filters=filters,
                choices=queries.FILTERS, days=LIST_DAYS, weeks=choices, week=monday,
                week_end=monday + dt.timedelta(days=6) if monday else None)


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
    return page(request, "case.html", viewer=viewer, case=detail,
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
