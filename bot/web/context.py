"""What every handler needs: the running App, settings, sessions, templates and texts."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.app import App
from bot.web.render import environment
from bot.web.sessions import Sessions, Viewer, cookie_name
from bot.web.settings import WebSettings

LANG_COOKIE = "sebaya-lang"  # the page language chosen with the switch (not a secret)


class WebContext:
    def __init__(self, app: App, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.sessions = Sessions(app.store, app.vault, app.clock)
        self.env = environment(app.config.tz, app.clock)
        self.missing: set[tuple[str, str]] = set()  # (lang, key) asked for but not in a catalog

    @property
    def cookie(self) -> str:
        return cookie_name(self.settings.secure)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.app.config.languages.available)

    def text(self, key: str, lang: str, **values: Any) -> str:
        """A catalog text in ``lang``, filled with ``values``. A key the catalog of that
        language lacks is remembered in ``missing`` (a test renders every page in every
        language and expects none) and shown from the default language, or as its last part
        (e.g. a risk category added later)."""
        catalog = self.app.core.catalog
        if not catalog.has(lang, key):
            self.missing.add((lang, key))
            if not catalog.has(self.app.config.languages.default, key):
                return key.rsplit(".", 1)[-1]
        return catalog.get(key, lang, **values)

    def lang(self, request: web.Request, viewer: Viewer | None = None, hint: str = "") -> str:
        """The page language: the switch's choice in this browser, else the staff member's
        chat language (``hint``: a sign-in link's owner's), else the school's default."""
        chosen = request.cookies.get(LANG_COOKIE, "")
        if chosen in self.languages:
            return chosen
        known = viewer.lang if viewer is not None else hint
        if known in self.languages:
            return known
        return self.app.config.languages.default


CTX = web.AppKey("ctx", WebContext)
# the signed-in staff member of a request (aiohttp < 3.12 has no RequestKey: a plain key)
VIEWER = web.RequestKey("viewer", Viewer) if hasattr(web, "RequestKey") else "viewer"


def ctx(request: web.Request) -> WebContext:
    return request.app[CTX]
