"""Jinja2 templates (autoescaped: whatever a student typed is shown as text, never markup)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import jinja2
from aiohttp import web

from bot.clock import Clock


def environment(tz: dt.tzinfo, clock: Clock, text: Callable[[str], str]) -> jinja2.Environment:
    """Templates from this package, with filters for school-local times and ages."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("bot.web", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["local"] = lambda moment: moment.astimezone(tz).strftime("%d/%m %H:%M")
    env.filters["clock"] = lambda moment: moment.astimezone(tz).strftime("%H:%M:%S")
    env.filters["ago"] = lambda moment: age(clock.now() - moment)
    env.globals["t"] = text
    return env


def age(delta: dt.timedelta) -> str:
    """"baru saja", "7 mnt", "2 jam 5 mnt", "3 hari"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "baru saja"
    if minutes < 60:
        return f"{minutes} mnt"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} jam {rest} mnt" if rest else f"{hours} jam"
    return f"{minutes // (24 * 60)} hari"


def page(env: jinja2.Environment, template: str, status: int = 200, **values: Any
         ) -> web.Response:
    """A rendered template as an HTML response."""
    body = env.get_template(template).render(**values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
