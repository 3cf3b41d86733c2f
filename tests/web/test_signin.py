"""Sign-in from the chat: /dasbor links, sessions, sign-out, and their refusals."""

from __future__ import annotations

from bot.store.port import is_postgres
from tests.web.conftest import BK, PEER, Web


async def _everything(webview: Web) -> str:
    """Every row of every table as text: SQLite's dump, or each PostgreSQL row's text."""
    async with webview.app.store.read() as db:
        if not is_postgres(db):
            return "\n".join([line async for line in db.iterdump()])
        tables = [r[0] for r in await db.execute_fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        lines = []
        for table in tables:
            lines += [str(row[0]) for row in await db.con.fetch(f"SELECT t::text FROM {table} t")]
        return "\n".join(lines)


async def test_dasbor_sends_a_single_use_link_and_stores_only_its_keyed_hash(webview: Web
                                                                            ) -> None:
    url = await webview.link()
    token = url.rsplit("/", 1)[1]
    assert url.startswith(webview.base + "/masuk/") and len(token) >= 40
    [row] = await webview.rows("SELECT token_hash, expires_at, created_at FROM web_links")
    assert row["token_hash"] == webview.app.vault.web_hash("link", token) != token
    dump = await _everything(webview)
    assert token not in dump  # the outbox's copy of the message is sealed too
    async with webview.client() as client:
        for _ in range(2):  # opening the link (a preview, a prefetch) does not use it
            async with client.get(url) as response:
                assert response.status == 200 and 'id="masuk"' in await response.text()
        async with client.post(url, headers={"Origin": webview.base},
                               allow_redirects=False) as response:
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=28800" in cookie
        assert "Secure" not in cookie  # http base: a Secure cookie would never come back
        async with client.get(webview.base + "/langsung") as response:
            assert response.status == 200 and "Bu Rina" in await response.text()
    [audit] = await webview.rows("SELECT actor_key FROM audit WHERE action = 'web_signin'")
    assert audit[0] == webview.app.vault.user_key("test", BK).value


async def test_a_used_link_is_refused(webview: Web) -> None:
    url = await webview.link()
    async with webview.client() as client:
        assert (await webview.call(client, "POST", url)).status == 303
    async with webview.client() as other:
        async with other.get(url) as response:
            assert response.status == 410
        async with other.post(url, headers={"Origin": webview.base},
                              allow_redirects=False) as response:
            assert response.status == 410 and "Set-Cookie" not in response.headers
        async with other.get(webview.base + "/langsung") as response:
            assert response.status == 401


async def test_an_expired_link_is_refused(webview: Web) -> None:
    url = await webview.link()
    webview.app.clock.advance(minutes=10, seconds=1)
    async with webview.client() as client:
        reply = await webview.call(client, "POST", url)
    assert reply.status == 410 and "Set-Cookie" not in reply.headers
    assert await webview.rows("SELECT 1 FROM audit WHERE action = 'web_signin_refused'")


async def test_unknown_or_malformed_tokens_are_refused(webview: Web) -> None:
    async with webview.client() as client:
        for token in ("A" * 43, "x", "%3Cscript%3E", "a" * 200):
            async with client.post(f"{webview.base}/masuk/{token}",
                                   headers={"Origin": webview.base},
                                   allow_redirects=False) as response:
                assert response.status in (404, 410) and "Set-Cookie" not in response.headers
    assert not await webview.rows("SELECT 1 FROM audit WHERE action = 'web_signin_refused'")


async def test_a_link_posted_from_another_site_is_refused(webview: Web) -> None:
    url = await webview.link()
    async with webview.client() as client:
        reply = await webview.call(client, "POST", url, origin="https://evil.example")
    assert reply.status == 403
    assert await webview.rows("SELECT 1 FROM web_links WHERE used_at IS NULL")


async def test_a_session_ends_after_8_hours(webview: Web) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        webview.app.clock.advance(hours=7, minutes=59)
        async with client.get(webview.base + "/langsung") as response:
            assert response.status == 200
        webview.app.clock.advance(minutes=2)
        async with client.get(webview.base + "/langsung") as response:
            assert response.status == 401


async def test_dasbor_keluar_signs_out_everywhere(webview: Web) -> None:
    async with webview.client() as phone, webview.client() as laptop:
        await webview.sign_in(phone)
        await webview.sign_in(laptop)
        unused = await webview.link()
        sent = await webview.dialog.say(BK, "/dasbor keluar")
        assert "semua perangkat" in sent[-1].text
        for client in (phone, laptop):
            async with client.get(webview.base + "/langsung") as response:
                assert response.status == 401
        async with phone.post(unused, headers={"Origin": webview.base},
                              allow_redirects=False) as response:
            assert response.status == 410  # links not yet used go too


async def test_sign_out_button_ends_this_session(webview: Web) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        csrf = await webview.csrf(client)
        async with client.post(webview.base + "/keluar", data={"csrf": csrf},
                               headers={"Origin": webview.base}) as response:
            assert response.status == 200
        async with client.get(webview.base + "/langsung") as response:
            assert response.status == 401


async def test_peers_and_students_get_no_link(webview: Web) -> None:
    for who in (PEER, "someone"):
        sent = await webview.dialog.say(who, "/dasbor")
        assert "/masuk/" not in " ".join(s.text for s in sent)
    assert not await webview.rows("SELECT 1 FROM web_links")


async def test_link_requests_are_rate_limited(webview: Web) -> None:
    for _ in range(5):
        await webview.link()
    sent = await webview.dialog.say(BK, "/dasbor")
    assert "/masuk/" not in sent[-1].text and "5 tautan" in sent[-1].text
    webview.app.clock.advance(hours=1, seconds=1)
    await webview.link()


async def test_a_counselor_removed_from_staff_loses_the_web_view_at_once(webview: Web) -> None:
    from bot.store import users

    async with webview.client() as client:
        await webview.sign_in(client)
        async with webview.app.store.transaction() as db:
            await users.set_role(db, webview.app.vault.user_key("test", BK), "peer", "Bu Rina")
        async with client.get(webview.base + "/langsung") as response:
            assert response.status == 401


async def test_behind_https_the_cookie_is_secure_and_host_only(webview: Web) -> None:
    from bot.web.context import CTX
    from bot.web.settings import WebSettings

    public = "https://bk.sekolah.example"
    webview.server[CTX].settings = WebSettings("127.0.0.1", 8081, public)
    url = await webview.link()
    async with webview.client() as client:
        reply = await webview.call(client, "POST", url, origin=public)
    cookie = reply.headers["Set-Cookie"]
    assert reply.status == 303 and cookie.startswith("__Host-sebaya=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_without_a_web_view_dasbor_says_so(app, dialog) -> None:
    from tests.conftest import enrol

    await enrol(app, BK, "counselor", "Bu Rina")
    sent = await dialog.say(BK, "/dasbor")
    assert "belum dinyalakan" in sent[-1].text and "/masuk/" not in sent[-1].text
    async with app.store.read() as db:
        assert not list(await db.execute_fetchall("SELECT 1 FROM web_links"))
