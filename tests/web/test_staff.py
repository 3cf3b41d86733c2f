"""Staff from the web: invite (the code shown once and usable with /join), duty switches,
removal with its confirmation; refusals for the principal and without CSRF."""

from __future__ import annotations

import re

from bot.store import cases
from tests.web.conftest import BK, BK2, PEER, STUDENT, Web
from tests.web.test_pages import crisis


async def code_of(webview: Web, who: str) -> str:
    [row] = await webview.rows("SELECT code FROM users WHERE key = ?",
                               (webview.app.vault.user_key("test", who).value,))
    return row[0]


async def test_an_invite_made_on_the_web_enrols_with_join(webview: Web) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        csrf = await webview.csrf(client)
        listing = await webview.call(client, "GET", "/staf")
        assert listing.status == 200 and "Bintang" in listing.text and "Pak Budi" in listing.text
        reply = await webview.call(client, "POST", "/staf/undang",
                                   data={"csrf": csrf, "role": "peer", "name": "Dewi XI-2"})
        assert reply.status == 200 and reply.headers["Cache-Control"] == "no-store"
        code = re.search(r"/join ([A-Z2-9]{4}-[A-Z2-9]{4})", reply.text).group(1)
        assert not await webview.rows("SELECT 1 FROM invites WHERE code_hash = ?", (code,))
        again = await webview.call(client, "GET", "/staf")  # shown once: never again
        assert code not in again.text and code.replace("-", "") not in again.text
        bad = await webview.call(client, "POST", "/staf/undang",
                                 data={"csrf": csrf, "role": "student"})
        assert bad.status == 400
        assert (await webview.call(client, "POST", "/staf/undang",
                                   data={"role": "peer"})).status == 403
    sent = await webview.dialog.say("dewi", f"/join {code}")
    assert "konselor sebaya" in sent[0].text
    [row] = await webview.rows("SELECT detail FROM audit WHERE action = 'invite_created'")
    assert "web" in row[0]


async def test_duty_switches_and_removal_with_its_confirmation(webview: Web) -> None:
    code = await crisis(webview)
    await webview.dialog.press(BK2, "Saya tangani")  # Pak Budi holds the crisis
    budi = await code_of(webview, BK2)
    async with webview.client() as client, webview.client() as budi_browser:
        await webview.sign_in(client)
        await webview.sign_in(budi_browser, BK2)
        csrf = await webview.csrf(client)
        peer = await code_of(webview, PEER)
        reply = await webview.call(client, "POST", f"/staf/{peer}/tugas",
                                   data={"csrf": csrf, "duty": "off"})
        assert reply.status == 303
        [duty] = await webview.rows("SELECT duty FROM users WHERE code = ?", (peer,))
        assert duty[0] == "off"
        confirm = await webview.call(client, "GET", f"/staf/{budi}/hapus")
        assert "1 kasus" in confirm.text and "1 krisis" in confirm.text
        assert (await webview.call(client, "POST", f"/staf/{budi}/hapus",
                                   data={})).status == 403
        reply = await webview.call(client, "POST", f"/staf/{budi}/hapus", data={"csrf": csrf})
        assert reply.status == 303 and reply.headers["Location"] == "/staf?m=removed"
        assert (await webview.call(budi_browser, "GET", "/langsung")).status == 401
        await webview.app.settle()
        async with webview.app.store.read() as db:
            case = await cases.open_by_code(db, code)
        assert case.status == "waiting"  # back to the queue: guru BK's ladder again
        alerts = [m for m in webview.dialog.channel.sent if m.address == BK
                  and "BUTUH GURU BK" in m.text]
        assert len(alerts) >= 2
        assert (await webview.call(client, "GET", "/staf/ZZZZ/hapus")).status == 404
        student = await code_of(webview, STUDENT)  # a student is never a staff page
        assert (await webview.call(client, "GET", f"/staf/{student}/hapus")).status == 404


async def test_the_last_counselor_is_warned_about(webview: Web) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        csrf = await webview.csrf(client)
        await webview.call(client, "POST", f"/staf/{await code_of(webview, BK2)}/hapus",
                           data={"csrf": csrf})
        confirm = await webview.call(client, "GET", f"/staf/{await code_of(webview, BK)}/hapus")
    assert "terakhir" in confirm.text


async def test_an_unapproved_peer_cannot_be_put_on_duty_from_the_web(webview: Web) -> None:
    """As /onduty in chat: training and guru BK's approval first (an outside tester saw an
    unapproved peer on duty on the web)."""
    peer = await code_of(webview, PEER)
    async with webview.app.store.transaction() as db:
        await db.execute("UPDATE users SET approved_at = NULL, duty = 'off' WHERE code = ?",
                         (peer,))
    async with webview.client() as client:
        await webview.sign_in(client)
        csrf = await webview.csrf(client)
        reply = await webview.call(client, "POST", f"/staf/{peer}/tugas",
                                   data={"csrf": csrf, "duty": "on"})
        assert reply.status == 409 and "belum disetujui" in reply.text
    [duty] = await webview.rows("SELECT duty FROM users WHERE code = ?", (peer,))
    assert duty[0] == "off"
