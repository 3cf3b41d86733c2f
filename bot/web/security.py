"""Headers every response carries, the Origin check on every form post, and CSRF tokens.

The CSRF token of a session is a keyed hash of the session token (nothing extra stored); a
form post must carry it, and a post whose Origin is another site is refused before that.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.web.context import ctx

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
MAX_BODY = 16 * 1024  # forms here are a few fields: anything bigger is refused (413)


@web.middleware
async def headers_middleware(request: web.Request, handler):
    """Security headers on every response (HSTS behind https); ``no-store`` on everything but
    static files."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(HEADERS)
    if ctx(request).settings.secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if isinstance(response, web.HTTPException):
        raise response
    return response


def same_origin(request: web.Request, origin: str) -> bool:
    """A post from our own pages: its Origin (or, lacking that, Referer) is ours. Browsers
    send Origin on every cross-site post; a post with neither is allowed only if the CSRF
    token matches (checked separately)."""
    sent = request.headers.get("Origin")
    if sent is None or sent == "null":
        referer = request.headers.get("Referer", "")
        return not referer or referer == origin or referer.startswith(origin + "/")
    return sent == origin


def csrf_ok(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected, sent or "")
