"""Report: the programme report (bot/reports: small counts suppressed) for a period, its
charts, and a CSV download."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp import web

from bot.reports import build, numbers, render
from bot.reports.figures import ReportData
from bot.reports.summary import paragraph
from bot.reports.tables import Names
from bot.store import audit
from bot.web.context import VIEWER, ctx
from bot.web.forms import needs
from bot.web.render import page

CHARTS = ("weeks", "satisfaction", "services")
MAX_DAYS = 366


class _Charts:
    """pyplot is not thread-safe: one drawing at a time, and the page's three images (asked
    for together) are drawn once from the same figures."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.last: tuple[ReportData, str, dict[str, bytes]] | None = None

    async def images(self, data: ReportData, lang: str) -> dict[str, bytes]:
        async with self.lock:
            if self.last is None or self.last[:2] != (data, lang):
                self.last = (data, lang, await asyncio.to_thread(render.chart_images, data,
                                                                 lang))
            return self.last[2]


CHARTS_KEY = web.AppKey("charts", _Charts)  # one per application (and event loop)


def _period(request: web.Request, today: dt.date) -> tuple[dt.date, dt.date]:
    """?dari=YYYY-MM-DD&sampai=YYYY-MM-DD (default: the last 30 days), at most a year."""
    try:
        end = dt.date.fromisoformat(request.query.get("sampai", "")) \
            if request.query.get("sampai") else today
        start = dt.date.fromisoformat(request.query.get("dari", "")) \
            if request.query.get("dari") else end - dt.timedelta(days=29)
    except ValueError as exc:
        raise web.HTTPBadRequest(text="tanggal") from exc
    if start > end or (end - start).days > MAX_DAYS:
        raise web.HTTPBadRequest(text="periode")
    return start, end


async def _data(request: web.Request) -> tuple[ReportData, dt.date, dt.date]:
    """The figures as ``sebaya report`` gathers them: with the previous period, the
    synthetic mark and the generation time."""
    c = ctx(request)
    tz = c.app.config.tz
    start, end = _period(request, c.app.clock.now().astimezone(tz).date())
    async with c.app.store.read() as db:
        data = await build.collect(db, c.app.config, start, end,
                                   c.app.clock.now().astimezone(tz))
    return data, start, end


def _lang(request: web.Request) -> str:
    return ctx(request).lang(request, request[VIEWER])


def _names(request: web.Request) -> Names:
    """Topic and service labels as students saw them (the same as ``sebaya report``)."""
    return build.names(ctx(request).app.config, _lang(request))


def presets(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The period picker's quick choices: (catalog key, from, to)."""
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    return [("web.report.last_7", today - dt.timedelta(days=6), today),
            ("web.report.last_30", today - dt.timedelta(days=29), today),
            ("web.report.this_month", first, today),
            ("web.report.last_month", last_month_end.replace(day=1), last_month_end)]


@needs("report")
async def report_page(request: web.Request) -> web.Response:
    c = ctx(request)
    data, start, end = await _data(request)
    async with c.app.store.transaction() as db:
        await audit.record(db, request[VIEWER].key.value, "report_viewed",
                           {"from": start.isoformat(), "to": end.isoformat(), "via": "web"},
                           c.app.clock.now())
    query = f"dari={start.isoformat()}&sampai={end.isoformat()}"
    lang = _lang(request)
    today = c.app.clock.now().astimezone(c.app.config.tz).date()
    return page(request, "report.html", viewer=request[VIEWER], start=start, end=end,
                tables=render.tables(data, lang, _names(request)), charts=CHARTS, query=query,
                synthetic=data.synthetic, summary=paragraph(data, lang), presets=presets(today),
                generated=numbers.moment(data.generated_at, lang) if data.generated_at else "")


@needs("report")
async def chart(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in CHARTS:
        raise web.HTTPNotFound()
    data, _, _ = await _data(request)
    images = await request.app[CHARTS_KEY].images(data, _lang(request))
    return web.Response(body=images[name], content_type="image/png")


@needs("report")
async def csv_file(request: web.Request) -> web.Response:
    c = ctx(request)
    data, start, end = await _data(request)
    async with c.app.store.transaction() as db:  # the figures leave the building: audited
        await audit.record(db, request[VIEWER].key.value, "report_downloaded",
                           {"from": start.isoformat(), "to": end.isoformat(), "via": "web"},
                           c.app.clock.now())
    body = render.csv_text(data, _lang(request), _names(request))
    return web.Response(text=body, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="sebaya-{start}-{end}.csv"'})


def add_routes(server: web.Application) -> None:
    server[CHARTS_KEY] = _Charts()
    server.router.add_get("/laporan", report_page)
    server.router.add_get("/laporan/grafik/{name}.png", chart)
    server.router.add_get("/laporan.csv", csv_file)
