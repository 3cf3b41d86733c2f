"""The report of a dialog's last seven days, as `sebaya report` renders it (markdown)."""

from __future__ import annotations

import datetime as dt

from bot.reports import build, render
from bot.reports.tables import Names
from tests.dialog import Dialog


async def week_report(d: Dialog, lang: str = "id") -> str:
    """The markdown report of the seven days up to the dialog clock's today."""
    today = d.app.clock.now().astimezone(d.app.config.tz).date()
    async with d.app.store.read() as db:
        data = await build.collect(db, d.app.config, today - dt.timedelta(days=6), today,
                                   d.app.clock.now())
    return render.markdown(data, lang, d.app.config.school.name, Names())
