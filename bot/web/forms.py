"""Form posts: same origin and the session's CSRF token, or 403."""

from __future__ import annotations

from aiohttp import web

from bot.web.security import csrf_ok, same_origin


async def checked_form(request: web.Request, origin: str, csrf: str) -> dict[str, str]:
    """The posted fields, after refusing another site's post or a missing/wrong token."""
    if not same_origin(request, origin):
        raise web.HTTPForbidden(text="origin")
    form = await request.post()
    if not csrf_ok(csrf, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
        raise web.HTTPForbidden(text="csrf")
    return {k: v for k, v in form.items() if isinstance(v, str)}


def needs(page: str):
    """Mark a handler with the page right it needs (checked by the session middleware)."""
    def mark(handler):
        handler.page = page
        return handler
    return mark
