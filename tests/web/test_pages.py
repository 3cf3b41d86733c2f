"""The pages: refusals (no session, CSRF, origin, size), escaping, headers, audit, and taking
a crisis from the web through the chat's own claim."""

from __future__ import annotations

import re

from bot.core.keys import UserKey
from bot.store import cases
from tests.web.conftest import BK, BK2, PEER, STUDENT, Web

CRISIS = "aku udah ga kuat, pengen mati aja"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)"> & </li></ol><b>tebal</b>'
PAGES = ("/", "/langsung", "/langsung/bagian", "/kasus", "/kasus/ABCD", "/laporan",
         "/laporan.csv", "/laporan/grafik/weeks.png", "/kesehatan", "/apa-saja")


async def crisis(webview: Web, text: str = CRISIS) -> str:
    """A student in crisis; the case code."""
    await webview.dialog.say(STUDENT, text)
    async with webview.app.store.read() as db:
        case = await cases.open_for(db, webview.app.vault.user_key("test", STUDENT))
    assert case is not None and case.level == "crisis" and case.status == "waiting"
    return case.code


def key(webview: Web, who: str) -> UserKey:
    return webview.app.vault.user_key("test", who)


async def test_nothing_is_served_without_a_session(webview: Web) -> None:
    code = await crisis(webview)
    async with webview.client() as client:
        for path in (*PAGES, f"/kasus/{code}"):
            reply = await webview.call(client, "GET", path)
            assert reply.status == 401, path
            assert code not in reply.text and "/dasbor" in reply.text
        reply = await webview.call(client, "POST", f"/kasus/{code}/ambil", data={"csrf": "x"})
        assert reply.status == 401
        reply = await webview.call(client, "GET", "/static/style.css")
        assert reply.status == 200
        forged = client.cookie_jar
        forged.update_cookies({"sebaya": "not-a-session"})
        assert (await webview.call(client, "GET", "/langsung")).status == 401
    async with webview.app.store.read() as db:
        assert (await cases.open_for(db, key(webview, STUDENT))).status == "waiting"


async def test_every_page_opens_for_a_counselor(webview: Web) -> None:
    code = await crisis(webview)
    async with webview.client() as client:
        await webview.sign_in(client)
        for path in ("/langsung", "/langsung/bagian", "/kasus", f"/kasus/{code}",
                     "/kasus?status=waiting&route=counselor&level=crisis", "/laporan",
                     "/laporan?dari=2026-01-01&sampai=2026-01-31", "/kesehatan"):
            reply = await webview.call(client, "GET", path)
            assert reply.status == 200, (path, reply.text[:300])
        chart = await webview.call(client, "GET", "/laporan/grafik/weeks.png")
        assert chart.status == 200 and chart.headers["Content-Type"] == "image/png"
        csv = await webview.call(client, "GET", "/laporan.csv")
        assert csv.status == 200 and "attachment" in csv.headers["Content-Disposition"]
        assert await webview.rows("SELECT 1 FROM audit WHERE action = 'report_downloaded'")
        assert (await webview.call(client, "GET", "/laporan?dari=kemarin")).status == 400
        assert (await webview.call(client, "GET", "/root")).status == 404
        assert (await webview.call(client, "GET", "/kasus/ZZZZ")).status == 404
        assert (await webview.call(client, "GET", "/kasus/..%2F..")).status == 404


async def test_live_shows_the_waiting_crisis_with_its_ladder_step(webview: Web) -> None:
    code = await crisis(webview)
    async with webview.client() as client:
        await webview.sign_in(client)
        live = await webview.call(client, "GET", "/langsung/bagian")
        assert f"#{code}" in live.text and "tingkat 1 dari 3" in live.text
        assert "menunggu baru saja" in live.text
        await webview.dialog.tick(minutes=6)  # nobody answered: the ladder climbs
        live = await webview.call(client, "GET", "/langsung/bagian")
        assert "tingkat 2 dari 3" in live.text and "menunggu 6 mnt" in live.text
        assert "Bu Rina" in live.text and "Bintang" in live.text  # on duty now


async def test_a_crisis_taken_from_the_web_is_the_chat_claim(webview: Web) -> None:
    code = await crisis(webview)
    async with webview.client() as client:
        await webview.sign_in(client)
        csrf = await webview.csrf(client)
        before = len(webview.dialog.channel.sent)
        reply = await webview.call(client, "POST", f"/kasus/{code}/ambil", data={"csrf": csrf})
        assert reply.status == 303 and reply.headers["Location"] == f"/kasus/{code}?m=taken"
        await webview.app.settle()
        sent = webview.dialog.channel.sent[before:]
        told = {m.address: m.text for m in sent}
        assert "Guru BK sekarang menemanimu" in told[STUDENT]
        assert "sudah ditangani oleh Bu Rina" in told[BK2]
        assert code in told[BK]  # the taker gets the case in the chat, to talk
        async with webview.app.store.read() as db:
            case = await cases.open_by_code(db, code)
        assert case.status == "active" and case.assignee == key(webview, BK)
        assert not await webview.rows("SELECT 1 FROM timers WHERE kind = 'crisis_ladder'")
        page = await webview.call(client, "GET", f"/kasus/{code}?m=taken")
        assert "Kasus sudah Bapak/Ibu ambil" in page.text
    async with webview.client() as other:  # the second taker is told it is gone
        await webview.sign_in(other, BK2)
        csrf = await webview.csrf(other)
        reply = await webview.call(other, "POST", f"/kasus/{code}/ambil", data={"csrf": csrf})
        assert reply.headers["Location"] == "/langsung?m=gone"
    sent = await webview.dialog.press(BK2, "Saya tangani")  # and so is a late chat press
    assert any("sudah ditangani" in m.text for m in sent if m.address == BK2)
    async with webview.app.store.read() as db:
        assert (await cases.open_by_code(db, code)).assignee == key(webview, BK)


async def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(webview: Web
                                                                              ) -> None:
    code = await crisis(webview)
    async with webview.client() as client:
        await webview.sign_in(client)
        csrf = await webview.csrf(client)
        path = f"/kasus/{code}/ambil"
        for data, origin in (({}, ""), ({"csrf": ""}, ""), ({"csrf": "0" * 64}, ""),
                             ({"csrf": csrf}, "https://evil.example")):
            reply = await webview.call(client, "POST", path, data=data, origin=origin)
            assert reply.status == 403, (data, origin)
        reply = await webview.call(client, "POST", "/keluar", data={})
        assert reply.status == 403
        async with webview.client() as thief:  # a CSRF token is worthless without its session
            reply = await webview.call(thief, "POST", path, data={"csrf": csrf})
            assert reply.status == 401
    async with webview.app.store.read() as db:
        assert (await cases.open_by_code(db, code)).status == "waiting"


async def test_a_students_markup_is_shown_as_text(webview: Web) -> None:
    code = await crisis(webview, f"aku pengen mati aja {XSS}")
    await webview.dialog.say(STUDENT, XSS)
    async with webview.client() as client:
        await webview.sign_in(client)
        reply = await webview.call(client, "GET", f"/kasus/{code}")
    assert reply.status == 200
    assert "<script>alert" not in reply.text and "<img src=x" not in reply.text
    assert "<b>tebal</b>" not in reply.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.text
    assert "onerror=&#34;alert(2)&#34;" in reply.text
    assert len(re.findall(r"<script", reply.text)) == 0  # the case page runs no script at all


async def test_case_pages_are_private_and_audited(webview: Web) -> None:
    code = await crisis(webview)
    async with webview.client() as client:
        await webview.sign_in(client)
        reply = await webview.call(client, "GET", f"/kasus/{code}")
        static = await webview.call(client, "GET", "/static/live.js")
        refused = await webview.call(client, "POST", f"/kasus/{code}/ambil",
                                     data={"x": "y" * 20000})
    headers = reply.headers
    assert headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # http here; https sets it
    assert "no-store" not in static.headers.get("Cache-Control", "")
    assert "Content-Security-Policy" in static.headers
    assert refused.status == 413  # request size limit
    [row] = await webview.rows("SELECT actor_key, detail FROM audit WHERE action = "
                               "'transcript_viewed'")
    assert row[0] == key(webview, BK).value and code in row[1] and "web" in row[1]


async def test_no_student_identifier_reaches_a_page(webview: Web) -> None:
    code = await crisis(webview)
    student = key(webview, STUDENT).value
    async with webview.client() as client:
        await webview.sign_in(client)
        for path in ("/langsung", "/kasus", f"/kasus/{code}"):
            text = (await webview.call(client, "GET", path)).text
            assert student not in text
            hrefs = re.findall(r'(?:href|action|src)="([^"]+)"', text)
            ours = r"/[a-z/._-]*(?:/[A-Z2-9]{4}(?:/ambil)?)?(?:\?[^\"]*)?(?:#[a-z]+)?"
            assert all(re.fullmatch(ours, h) for h in hrefs), hrefs


async def test_a_peer_session_is_refused(webview: Web) -> None:
    """Peers never get a link; a session of a person who is no longer guru BK is refused."""
    from bot.store import web

    token = "p" * 43
    async with webview.app.store.transaction() as db:
        now = webview.app.clock.now()
        await web.start_session(db, webview.app.vault.web_hash("session", token),
                                key(webview, PEER), now, now.replace(year=now.year + 1))
    async with webview.client() as client:
        client.cookie_jar.update_cookies({"sebaya": token})
        for path in ("/langsung", "/kasus", "/laporan", "/kesehatan"):
            assert (await webview.call(client, "GET", path)).status == 401


async def test_a_case_is_closed_from_the_web_with_a_note(webview: Web) -> None:
    code = await crisis(webview)
    async with webview.client() as client, webview.client() as other:
        await webview.sign_in(client)
        await webview.sign_in(other, BK2)
        csrf = await webview.csrf(client)
        await webview.call(client, "POST", f"/kasus/{code}/ambil", data={"csrf": csrf})
        page = await webview.call(client, "GET", f"/kasus/{code}")
        assert 'action="/kasus/' + code + '/tutup"' in page.text
        other_page = await webview.call(other, "GET", f"/kasus/{code}")
        assert "/tutup" not in other_page.text  # only the holder closes
        reply = await webview.call(other, "POST", f"/kasus/{code}/tutup",
                                   data={"csrf": await webview.csrf(other), "note": "x"})
        assert reply.headers["Location"] == f"/kasus/{code}?m=notyours"
        reply = await webview.call(client, "POST", f"/kasus/{code}/tutup",
                                   data={"csrf": csrf, "note": "  "})
        assert reply.headers["Location"] == f"/kasus/{code}?m=note"
        assert (await webview.call(client, "POST", f"/kasus/{code}/tutup",
                                   data={"note": "aman"})).status == 403
        before = len(webview.dialog.channel.sent)
        reply = await webview.call(client, "POST", f"/kasus/{code}/tutup",
                                   data={"csrf": csrf, "note": "siswa aman, orang tua dihubungi"})
        assert reply.headers["Location"] == f"/kasus/{code}?m=closed"
        await webview.app.settle()
        told = [m.text for m in webview.dialog.channel.sent[before:] if m.address == STUDENT]
        assert any("sudah selesai" in t for t in told)
        page = await webview.call(client, "GET", f"/kasus/{code}?m=closed")
        assert "siswa aman, orang tua dihubungi" in page.text and "Kasus ditutup" in page.text


async def test_the_cases_list_filters_by_week(webview: Web) -> None:
    first = await crisis(webview)
    webview.app.clock.advance(days=8)  # the next week (Tuesday)
    await webview.dialog.say("student2", "aku udah ga kuat, pengen mati aja")
    async with webview.app.store.read() as db:
        second = (await cases.open_for(db, key(webview, "student2"))).code
    async with webview.client() as client:
        await webview.sign_in(client)
        listing = await webview.call(client, "GET", "/kasus")
        assert f"#{first}" in listing.text and f"#{second}" in listing.text
        assert 'value="2026-11-30"' in listing.text and 'value="2026-11-23"' in listing.text
        last_week = await webview.call(client, "GET", "/kasus?minggu=2026-11-23&level=crisis")
        assert f"#{first}" in last_week.text and f"#{second}" not in last_week.text
        assert "23/11–29/11" in last_week.text
        this_week = await webview.call(client, "GET", "/kasus?minggu=2026-11-30")
        assert f"#{second}" in this_week.text and f"#{first}" not in this_week.text
        for ignored in ("2026-11-24", "2020-01-06", "kemarin"):  # not a Monday offered
            reply = await webview.call(client, "GET", f"/kasus?minggu={ignored}")
            assert f"#{first}" in reply.text and f"#{second}" in reply.text, ignored


async def test_an_unapproved_peer_is_never_shown_on_duty(webview: Web) -> None:
    """An outside tester: a peer whose duty is on but who is not approved (yet, or any more)
    showed as on duty on Live and on the staff page: only trained, approved peers count."""
    async with webview.app.store.transaction() as db:
        await db.execute("UPDATE users SET approved_at = NULL, approved_by = NULL, duty = 'on' "
                         "WHERE key = ?", (key(webview, PEER).value,))
    async with webview.client() as client:
        await webview.sign_in(client)
        live = (await webview.call(client, "GET", "/langsung/bagian")).text
        on_duty = live[live.index("Bertugas sekarang"):live.index("Tidak bertugas:")]
        assert "Bu Rina" in on_duty and "Bintang" not in on_duty
        assert "Bintang" in live[live.index("Tidak bertugas:"):]
        staff = (await webview.call(client, "GET", "/staf")).text
        row = staff[staff.index("Bintang"):]
        row = row[:row.index("</tr>")]
        assert "s-closed" in row and "s-active" not in row
