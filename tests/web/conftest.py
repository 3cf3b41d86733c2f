"""A running App (test channel, manual clock) with the web view served on a loopback port."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.web import server as web_server
from bot.web.context import CTX
from bot.web.settings import WebSettings
from tests.conftest import enrol
from tests.dialog import Dialog

LINK = re.compile(r"(https?://\S+/masuk/[A-Za-z0-9_-]+)")
BK, BK2, PEER, STUDENT = "bk1", "bk2", "peer1", "student"


@dataclass(frozen=True)
class Reply:
    status: int
    text: str
    headers: dict[str, str]


@dataclass
class Web:
    app: App
    dialog: Dialog
    base: str
    server: web.Application

    def client(self) -> aiohttp.ClientSession:
        """A browser without cookies yet (the jar accepts cookies of an IP address)."""
        return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def call(self, client: aiohttp.ClientSession, method: str, url: str,
                   origin: str | None = "", **kw) -> Reply:
        """One request, redirects not followed; a post carries our Origin unless told."""
        headers = kw.pop("headers", {})
        if method == "POST" and origin is not None:
            headers["Origin"] = origin or self.base
        url = url if url.startswith("http") else self.base + url
        async with client.request(method, url, headers=headers, allow_redirects=False,
                                  **kw) as response:
            return Reply(response.status, (await response.read()).decode("utf-8", "replace"),
                         dict(response.headers))

    async def link(self, who: str = BK) -> str:
        sent = await self.dialog.say(who, "/dasbor")
        found = [m for m in (LINK.search(s.text) for s in sent if s.address == who) if m]
        assert found, [s.text for s in sent]
        return found[-1].group(1)

    async def sign_in(self, client: aiohttp.ClientSession, who: str = BK) -> None:
        url = await self.link(who)
        async with client.post(url, headers={"Origin": self.base},
                               allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            assert response.headers["Location"] == "/"

    async def csrf(self, client: aiohttp.ClientSession) -> str:
        async with client.get(self.base + "/langsung") as response:
            text = await response.text()
        return re.search(r'name="csrf" value="([0-9a-f]+)"', text).group(1)

    async def rows(self, sql: str, args: tuple = ()) -> list:
        async with self.app.store.read() as db:
            return list(await db.execute_fetchall(sql, args))


async def serve_web(app: App) -> tuple[web.AppRunner, str]:
    """Serve the web view on a free loopback port; the public base is that address."""
    server = web_server.build(app, WebSettings(port=0))
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settings = WebSettings("127.0.0.1", port)
    server[CTX].settings = settings
    app.dispatcher.web_url = settings.base
    return runner, settings.base


@pytest.fixture
async def webview(app: App, dialog: Dialog) -> AsyncIterator[Web]:
    runner, base = await serve_web(app)
    await enrol(app, BK, "counselor", "Bu Rina")
    await enrol(app, BK2, "counselor", "Pak Budi")
    await enrol(app, PEER, "peer", "Bintang")
    yield Web(app, dialog, base, runner.app)
    await runner.cleanup()
