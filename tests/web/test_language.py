"""Every page in Bahasa Indonesia (the default) and in English: every word from the catalogs
(none missing in either), a switch that holds for the session, the chat language first."""

from __future__ import annotations

import re
from pathlib import Path

from bot.web.context import CTX
from tests.web.conftest import BK, BK2, PEER, Web
from tests.web.test_pages import crisis
from tests.web.test_principal import PRINCIPAL, join_as_principal
from tests.web.test_staff import code_of

TEMPLATES = Path(__file__).resolve().parents[2] / "bot" / "web" / "templates"
KEY = re.compile(r"""t\(\s*["'](web\.[a-z_.]*[a-z])["']""")  # not a prefix ("web.day." ~ d)


async def light_case(webview: Web, who: str = "student2") -> None:
    """A light story that goes to a peer (who does not accept yet)."""
    say, press = webview.dialog.say, webview.dialog.press
    await say(who, "halo")
    for label in ("Oke, lanjut", "Pertemanan"):
        await press(who, label)
    await say(who, "aku lagi berantem sama sahabatku")
    await press(who, "Lumayan berat")
    await press(who, "Nggak, aman")


async def switch(webview: Web, client, lang: str, back: str = "/langsung") -> None:
    csrf = await webview.csrf(client)
    reply = await webview.call(client, "POST", "/bahasa",
                               data={"csrf": csrf, "lang": lang, "back": back})
    assert reply.status == 303 and reply.headers["Location"] == back


async def every_page(webview: Web, client, code: str) -> dict[str, str]:
    """Each page a counselor can open (and the forms' answer pages), as text."""
    pages = {}
    for path in ("/langsung", "/langsung?m=taken", "/langsung?m=gone", "/langsung/bagian",
                 "/kasus", "/kasus?status=waiting&route=counselor&level=crisis",
                 f"/kasus?minggu={webview.monday}", f"/kasus/{code}", f"/kasus/{code}?m=closed",
                 f"/kasus/{code}?m=notyours", "/laporan", "/laporan?dari=2026-11-01",
                 "/kesehatan", "/staf", "/staf?m=removed", "/staf?m=roster",
                 "/staf?m=badroster", f"/staf/{await code_of(webview, BK2)}/hapus",
                 f"/staf/{await code_of(webview, PEER)}/hapus", "/apa-saja"):
        reply = await webview.call(client, "GET", path)
        assert reply.status in (200, 404), (path, reply.status)
        pages[path] = reply.text
    csrf = await webview.csrf(client)
    invite = await webview.call(client, "POST", "/staf/undang",
                                data={"csrf": csrf, "role": "peer", "name": "Dewi"})
    pages["invite"] = invite.text
    return pages


async def test_every_page_in_both_languages_has_every_text(webview: Web) -> None:
    webview.monday = "2026-11-23"  # the fixture clock's week
    code = await crisis(webview)
    await light_case(webview)
    await webview.dialog.say(BK2, "/onduty")
    missing = webview.server[CTX].missing
    async with webview.client() as client:
        await webview.sign_in(client)
        indonesian = await every_page(webview, client, code)
        await switch(webview, client, "en")
        english = await every_page(webview, client, code)
        csrf = await webview.csrf(client)
        await webview.call(client, "POST", f"/kasus/{code}/ambil", data={"csrf": csrf})
        english["mine"] = (await webview.call(client, "GET", f"/kasus/{code}")).text
        english["signout"] = (await webview.call(client, "POST", "/keluar",
                                                 data={"csrf": csrf})).text
        english["401"] = (await webview.call(client, "GET", "/langsung")).text  # signed out
        english["410"] = (await webview.call(client, "GET", "/masuk/" + "x" * 43)).text
    async with webview.client() as anonymous:  # no choice made in this browser: the default
        assert "Silakan masuk" in (await webview.call(anonymous, "GET", "/langsung")).text
    await webview.app.settle()
    await join_as_principal(webview)
    async with webview.client() as principal:
        await webview.sign_in(principal, PRINCIPAL)
        await switch(webview, principal, "en", "/laporan")
        english["403"] = (await webview.call(principal, "GET", "/langsung")).text
    assert not missing, sorted(missing)
    assert 'lang="id"' in indonesian["/langsung"] and 'lang="en"' in english["/langsung"]
    for path, text in english.items():
        for word in ("Saya tangani", "Bertugas sekarang", ">Keluar<", "menunggu ditangani",
                     "Tidak ada.", "Kode undangan", "Hapus…", "Tampilkan"):
            assert word not in text, (path, word)
    assert "I&#39;ll take it" in english["/langsung"] and "On duty now" in english["/langsung"]
    assert "Transcript" in english[f"/kasus/{code}"] and "Week" in english["/kasus"]
    assert "Close with this note" in english["mine"]
    assert "Programme report" in english["/laporan"] and "Invite code" in english["invite"]
    assert "Please sign in" in english["401"] and "Not allowed" in english["403"]
    assert "Signed out" in english["signout"] and "no longer valid" in english["410"]
    assert "Saya tangani" in indonesian["/langsung"] and "Transkrip" in indonesian[
        f"/kasus/{code}"]


def test_every_text_a_template_names_is_in_both_catalogs(app) -> None:
    keys = {key for path in TEMPLATES.glob("*.html") for key in KEY.findall(path.read_text())}
    assert len(keys) > 80  # the pattern finds the template's texts
    catalog = app.core.catalog
    for lang in ("id", "en"):
        assert not [k for k in sorted(keys) if not catalog.has(lang, k)], lang
    assert set(catalog.texts["id"]) == set(catalog.texts["en"])


async def test_the_switch_holds_for_the_session_and_needs_the_csrf_token(webview: Web) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        assert "Bertugas sekarang" in (await webview.call(client, "GET", "/langsung")).text
        csrf = await webview.csrf(client)
        refused = await webview.call(client, "POST", "/bahasa", data={"lang": "en"})
        assert refused.status == 403
        bad = await webview.call(client, "POST", "/bahasa", data={"csrf": csrf, "lang": "fr"})
        assert bad.status == 400
        away = await webview.call(client, "POST", "/bahasa", data={
            "csrf": csrf, "lang": "en", "back": "//evil.example/x"})
        assert away.headers["Location"] == "/"  # never off our site
        cookie = away.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        for path in ("/kasus", "/laporan", "/staf"):  # every page after, not only one
            assert 'lang="en"' in (await webview.call(client, "GET", path)).text
        await switch(webview, client, "id", "/kasus?status=waiting")
        assert "Kasus terbuka" in (await webview.call(client, "GET", "/kasus")).text


async def test_a_counselor_who_chats_in_english_gets_english_pages(webview: Web) -> None:
    await webview.rows("SELECT 1")  # the fixture is up
    async with webview.app.store.transaction() as db:
        await db.execute("UPDATE users SET lang = 'en' WHERE key = ?",
                         (webview.app.vault.user_key("test", BK).value,))
    url = await webview.link()
    async with webview.client() as client:
        signin = await webview.call(client, "GET", url)
        assert "Sign in to the Sebaya dashboard" in signin.text  # the link's owner's language
        await webview.sign_in(client)
        live = await webview.call(client, "GET", "/langsung")
        assert 'lang="en"' in live.text and "No crisis is waiting." in live.text
        await switch(webview, client, "id")  # the switch still wins
        assert "Tidak ada krisis" in (await webview.call(client, "GET", "/langsung")).text
