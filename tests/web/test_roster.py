"""Shifts and holidays edited on the Staff page: kept in the store (audited), used at once by
the same on-shift logic as the chat (a waiting story is offered when a shift starts), kept
across a restart; refused without the CSRF token or for the principal."""

from __future__ import annotations

import json

from bot.app import App
from tests.conftest import SECRET
from tests.dialog import RecordingChannel
from tests.web.conftest import PEER, Web
from tests.web.test_language import light_case
from tests.web.test_principal import PRINCIPAL, join_as_principal

MONDAY = "2026-11-23"  # the fixture clock: Monday 08:00 in the school's time zone


async def post(webview: Web, client, path: str, data: dict) -> str:
    reply = await webview.call(client, "POST", path,
                               data={"csrf": await webview.csrf(client), **data})
    assert reply.status == 303, (path, reply.status, reply.text[:200])
    return reply.headers["Location"]


def on_shift(webview: Web) -> bool:
    now = webview.app.clock.now()
    assert webview.app.dispatcher.roster is webview.app.core.roster  # one roster for both
    return webview.app.core.roster.on_shift(now)


async def test_a_shift_removed_and_added_on_the_web_is_the_roster_the_chat_uses(webview: Web
                                                                                ) -> None:
    assert on_shift(webview)  # config.yaml: Mon-Fri 07:00-15:00
    async with webview.client() as client:
        await webview.sign_in(client)
        page = await webview.call(client, "GET", "/staf")
        assert "Sen, Sel, Rab, Kam, Jum · 07:00–15:00" in page.text
        assert "config.yaml" in page.text  # still the starting roster
        assert await post(webview, client, "/staf/jadwal/0/hapus", {}) == \
            "/staf?m=roster#roster"
        assert not on_shift(webview)
        live = await webview.call(client, "GET", "/langsung/bagian")
        off_duty = live.text.split("Tidak bertugas: ", 1)[1].split("<", 1)[0]
        assert "Bintang" in off_duty  # a peer on 'auto' is off now
        await light_case(webview)
        assert not [m for m in webview.dialog.channel.sent if m.address == PEER
                    and "Ada teman yang ingin cerita" in m.text]
        before = len(webview.dialog.channel.sent)
        await post(webview, client, "/staf/jadwal",
                   {"day": ["mon", "wed"], "start": "07:30", "end": "12:00"})
        await webview.app.settle()
        assert on_shift(webview)
        offers = [m for m in webview.dialog.channel.sent[before:] if m.address == PEER]
        assert any("Ada teman yang ingin cerita" in m.text for m in offers)  # offered at once
        page = await webview.call(client, "GET", "/staf?m=roster")
        assert "Sen, Rab · 07:30–12:00" in page.text and "Jadwal disimpan." in page.text
        assert "config.yaml" not in page.text
    audit = [json.loads(r[0]) for r in await webview.rows(
        "SELECT detail FROM audit WHERE action = 'roster_changed' ORDER BY id")]
    assert [a["change"] for a in audit] == ["shift_removed", "shift_added"]
    assert audit[1] == {"change": "shift_added", "days": ["mon", "wed"], "start": "07:30",
                        "end": "12:00", "via": "web"}


async def test_a_holiday_added_today_takes_the_peers_off_duty_until_removed(webview: Web
                                                                            ) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        await post(webview, client, "/staf/libur", {"date": MONDAY})
        assert not on_shift(webview)
        page = await webview.call(client, "GET", "/staf")
        assert "Sen 23/11/2026" in page.text
        assert await post(webview, client, "/staf/libur", {"date": "2026-11-20"}) \
            == "/staf?m=past#roster"  # a day gone by is not a holiday to plan
        await post(webview, client, f"/staf/libur/{MONDAY}/hapus", {})
        assert on_shift(webview)
        missing = await webview.call(client, "POST", f"/staf/libur/{MONDAY}/hapus",
                                     data={"csrf": await webview.csrf(client)})
        assert missing.status == 404
    changes = [json.loads(r[0])["change"] for r in await webview.rows(
        "SELECT detail FROM audit WHERE action = 'roster_changed' ORDER BY id")]
    assert changes == ["holiday_added", "holiday_removed"]


async def test_the_saved_roster_outlives_a_restart(webview: Web, config, clock) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        await post(webview, client, "/staf/jadwal/0/hapus", {})
        await post(webview, client, "/staf/jadwal",
                   {"day": ["sat"], "start": "08:00", "end": "11:00"})
    again = await App.build(config, {"test": RecordingChannel()}, clock=clock, secret=SECRET)
    try:
        assert again.core.roster.on_shift(clock.now())  # config.yaml's, before start
        await again.start()
        assert not again.core.roster.on_shift(clock.now())  # Monday: not in the saved roster
        assert again.dispatcher.roster is again.core.roster
        assert len(again.core.roster.shifts) == 1
    finally:
        await again.stop()


async def test_bad_roster_edits_and_refusals_change_nothing(webview: Web) -> None:
    async with webview.client() as client:
        await webview.sign_in(client)
        for data in ({"start": "07:00", "end": "15:00"},  # no day
                     {"day": "mon", "start": "07:00", "end": "07:00"},
                     {"day": "mon", "start": "pagi", "end": "15:00"},
                     {"day": "someday", "start": "07:00", "end": "15:00"}):
            assert await post(webview, client, "/staf/jadwal", data) == \
                "/staf?m=badroster#roster", data
        assert await post(webview, client, "/staf/libur", {"date": "besok"}) == \
            "/staf?m=badroster#roster"
        for path in ("/staf/jadwal", "/staf/jadwal/0/hapus", "/staf/libur",
                     f"/staf/libur/{MONDAY}/hapus"):
            reply = await webview.call(client, "POST", path, data={"date": MONDAY})
            assert reply.status == 403, path  # no CSRF token
        assert (await webview.call(client, "POST", "/staf/jadwal/7/hapus",
                                   data={"csrf": await webview.csrf(client)})).status == 404
    await join_as_principal(webview)
    async with webview.client() as principal:
        await webview.sign_in(principal, PRINCIPAL)
        report = await webview.call(principal, "GET", "/laporan")
        csrf = report.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        reply = await webview.call(principal, "POST", "/staf/jadwal/0/hapus", data={"csrf": csrf})
        assert reply.status == 403
    assert not await webview.rows("SELECT 1 FROM meta WHERE key = 'roster'")
    assert not await webview.rows("SELECT 1 FROM audit WHERE action = 'roster_changed'")
    assert on_shift(webview)


async def test_the_staff_page_shows_who_holds_each_shift_and_each_peers_load(webview: Web
                                                                            ) -> None:
    d = webview.dialog
    await d.say(PEER, "/jadwal")
    await d.press(PEER, "Ambil Selasa 24/11 07.00")
    async with webview.client() as client:
        await webview.sign_in(client)
        page = await webview.call(client, "GET", "/staf")
    assert "Shift konselor sebaya, 7 hari ke depan" in page.text
    assert "Sel 24/11 07:00–15:00: Bintang" in page.text
    assert "Rab 25/11 07:00–15:00: <span class=\"empty\">belum ada</span>" in page.text
    assert "<td>Bintang</td><td>0 jam · 0 kasus</td>" in page.text
