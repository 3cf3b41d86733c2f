"""What every handler needs: the running App, settings, sessions and templates."""

from __future__ import annotations

from aiohttp import web

from bot.app import App
from bot.web.render import environment
from bot.web.sessions import Sessions, Viewer, cookie_name
from bot.web.settings import WebSettings


class WebContext:
    def __init__(self, app: App, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.sessions = Sessions(app.store, app.vault, app.clock)
        self.env = environment(app.config.tz, app.clock, self.text)

    @property
    def cookie(self) -> str:
        return cookie_name(self.settings.secure)

    def text(self, key: str) -> str:
        """A catalog text in the default language, or the key's last part if there is none
        (e.g. a risk category added later)."""
        lang = self.app.config.languages.default
        if not self.app.core.catalog.has(lang, key):
            return key.rsplit(".", 1)[-1]
        return self.app.core.text(key, lang)


CTX = web.AppKey("ctx", WebContext)
# the signed-in staff member of a request (aiohttp < 3.12 has no RequestKey: a plain key)
VIEWER = web.RequestKey("viewer", Viewer) if hasattr(web, "RequestKey") else "viewer"


def ctx(request: web.Request) -> WebContext:
    return request.app[CTX]
