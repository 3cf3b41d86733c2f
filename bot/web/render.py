"""Jinja2 templates (autoescaped: whatever a student typed is shown as text, never markup),
rendered in the request's language: every word a page shows comes from the text catalogs
(flows/texts/<lang>.yaml, under ``web.``), none is written in a template."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
from aiohttp import web

from bot.clock import Clock


def environment(tz: dt.tzinfo, clock: Clock) -> jinja2.Environment:
    """Templates from this package, with filters for school-local times and ages."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("bot.web", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["local"] = lambda moment: moment.astimezone(tz).strftime("%d/%m %H:%M")
    env.filters["clock"] = lambda moment: moment.astimezone(tz).strftime("%H:%M:%S")
    env.filters["day"] = lambda day: day.strftime("%d/%m")

    @jinja2.pass_context
    def ago(context: jinja2.runtime.Context, moment: dt.datetime) -> str:
        return age(clock.now() - moment, context["t"])

    env.filters["ago"] = ago
    return env


def age(delta: dt.timedelta, t) -> str:
    """"baru saja", "7 mnt", "2 jam 5 mnt", "3 hari" (in the page's language)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return t("web.age.now")
    if minutes < 60:
        return t("web.age.minutes", n=minutes)
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return t("web.age.hours_minutes", h=hours, m=rest) if rest else t("web.age.hours",
                                                                           h=hours)
    return t("web.age.days", n=minutes // (24 * 60))


def page(request: web.Request, template: str, status: int = 200, **values: Any
         ) -> web.Response:
    """A rendered template as an HTML response, in the request's language (``t`` in the
    template is the catalog in that language)."""
    from bot.web.context import ctx

    c = ctx(request)
    lang = c.lang(request, values.get("viewer"), values.pop("lang_hint", ""))
    values.setdefault("viewer", None)
    values.setdefault("here", request.path_qs)  # where the language switch comes back to

    def t(key: str, **fill: Any) -> str:
        return c.text(key, lang, **fill)

    body = c.env.get_template(template).render(
        t=t, lang=lang, languages=c.languages, **values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")
