"""Shift commitment (bot/core/shifts.py) as dialog transcripts in id and en: a peer takes a
shift and is reminded; a no-show is reminded, then guru BK is told; coming on duty cancels
that; /tukar taken by another peer, and untaken until the shift starts; a holiday has no
shift; guru BK sees who holds which and each peer's hours and cases per week.

The manual clock starts on Monday 23/11/2026 08:00 WIB; the shipped roster has one shift,
Monday to Friday 07:00-15:00, so the next one to take is Tuesday 24/11 07:00."""

from __future__ import annotations

import pytest

from bot.store import audit, users
from tests.conftest import enrol
from tests.dialog import Dialog, to

TUESDAY = {"id": "Selasa 24/11 07.00", "en": "Tuesday 24/11 07.00"}


async def team(d: Dialog, lang: str = "id") -> None:
    """Two approved peers (Bintang, Awan) and guru BK; the peers in ``lang``."""
    await enrol(d.app, "p1", "peer", "Bintang")
    await enrol(d.app, "p2", "peer", "Awan")
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    async with d.app.store.transaction() as db:
        for who in ("p1", "p2"):
            await users.set_lang(db, d.app.vault.user_key("test", who), lang)


async def take_tuesday(d: Dialog, who: str = "p1", lang: str = "id") -> list:
    await d.say(who, "/jadwal")
    take = "Take" if lang == "en" else "Ambil"
    return await d.press(who, f"{take} {TUESDAY[lang]}")


async def to_shift_start(d: Dialog) -> list:
    """From Monday 08:00 to 29 minutes before Tuesday's shift (06:31 WIB)."""
    return await d.tick(hours=22, minutes=31)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_peer_takes_a_shift_and_is_reminded_before_it(dialog: Dialog,
                                                              lang: str) -> None:
    d = dialog
    await team(d, lang)
    sent = await d.say("p1", "/jadwal")
    [week] = to(sent, "p1")
    assert "07.00–15.00 · 0/2" in week
    labels = [b.label for b in d.last_to("p1").buttons]
    take = "Take" if lang == "en" else "Ambil"
    assert labels[0] == f"{take} {TUESDAY[lang]}"  # Monday's shift has begun: no button
    assert len(labels) == 4  # Tuesday to Friday; no shift at the weekend
    sent = await d.press("p1", labels[0])
    assert ("is yours" if lang == "en" else "jadi punyamu") in to(sent, "p1")[0]
    sent = await d.say("p1", "/jadwal")
    assert ("✅ you" if lang == "en" else "✅ kamu") in to(sent, "p1")[0]
    leave = "Leave" if lang == "en" else "Lepas"
    assert f"{leave} {TUESDAY[lang]}" in [b.label for b in d.last_to("p1").buttons]
    sent = await d.tick(hours=22)  # 06:00 Tuesday: not yet
    assert to(sent, "p1") == []
    sent = await d.tick(minutes=31)  # 06:31: the reminder (30 minutes before)
    [reminder] = to(sent, "p1")
    assert "Bintang" in reminder and "/onduty" in reminder and TUESDAY[lang] in reminder
    async with d.app.store.read() as db:
        [taken] = await audit.rows(db, "shift_taken")
    assert taken["detail"] == {"slot": "202611240700"}
    assert taken["actor_key"] == d.app.vault.user_key("test", "p1").value


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_no_show_is_reminded_then_guru_bk_is_told(dialog: Dialog, lang: str) -> None:
    d = dialog
    await team(d, lang)
    await take_tuesday(d, lang=lang)
    await to_shift_start(d)
    sent = await d.tick(minutes=29 + 15)  # 07:15: not on duty
    [late] = to(sent, "p1")
    assert "/onduty" in late and to(sent, "bk") == []
    sent = await d.tick(minutes=15)  # 07:30: still not
    [told] = to(sent, "bk")
    assert told.startswith("Konselor sebaya Bintang belum mulai bertugas di shift Selasa "
                           "24/11 07.00–15.00") and "Bapak/Ibu" in told
    assert to(sent, "p1") == []
    sent = await d.say("bk", "/jadwal")  # guru BK sees who holds it, and the no-show
    assert "Selasa 24/11 07.00–15.00: Bintang ⚠️" in to(sent, "bk")[0]
    assert d.last_to("bk").buttons == ()
    async with d.app.store.read() as db:
        [row] = await audit.rows(db, "shift_no_show")
    assert row["detail"] == {"slot": "202611240700"}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_coming_on_duty_cancels_the_no_show_check(dialog: Dialog, lang: str) -> None:
    d = dialog
    await team(d, lang)
    await take_tuesday(d, lang=lang)
    await to_shift_start(d)
    await d.tick(minutes=29 + 10)  # 07:10
    await d.say("p1", "/onduty")
    sent = await d.tick(hours=1)
    assert to(sent, "p1") == [] and to(sent, "bk") == []
    await d.tick(hours=2)
    await d.say("p1", "/offduty")  # 10:10: three hours on duty
    sent = await d.say("bk", "/beban")
    [load] = to(sent, "bk")
    assert "Bintang: minggu ini 3 jam · 0 kasus" in load
    assert "Awan: minggu ini 0 jam" in load and "tidak datang" not in load


async def test_a_late_arrival_after_the_reminder_still_counts(dialog: Dialog) -> None:
    d = dialog
    await team(d)
    await take_tuesday(d)
    await to_shift_start(d)
    sent = await d.tick(minutes=29 + 15)
    assert to(sent, "p1")  # reminded
    await d.say("p1", "/onduty")
    sent = await d.tick(minutes=30)
    assert to(sent, "bk") == []  # arrived: guru BK is not told


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_swap_is_taken_by_the_first_peer_to_press(dialog: Dialog, lang: str) -> None:
    d = dialog
    await team(d, lang)
    await enrol(d.app, "p3", "peer", "Langit")
    await enrol(d.app, "p4", "peer", "Baru")
    async with d.app.store.transaction() as db:  # not yet approved: not asked
        await db.execute("UPDATE users SET approved_at = NULL WHERE key = ?",
                         (d.app.vault.user_key("test", "p4").value,))
    await take_tuesday(d, lang=lang)
    sent = await d.say("p1", "/tukar" if lang == "id" else "/swap")
    swap = "Swap" if lang == "en" else "Tukar"
    sent = await d.press("p1", f"{swap} {TUESDAY[lang]}")
    assert ("went to 2 peers" if lang == "en" else "dikirim ke 2 teman") in to(sent, "p1")[0]
    assert to(sent, "p4") == []
    [offer] = to(sent, "p2")
    assert "Bintang" in offer and TUESDAY[lang] + "–15.00" in offer
    accept = "Take this shift" if lang == "en" else "Ambil shift ini"
    sent = await d.press("p2", accept)
    assert ("is yours now" if lang == "en" else "sekarang punyamu") in to(sent, "p2")[0]
    assert ("Awan took your" if lang == "en" else "sudah diambil Awan") in to(sent, "p1")[0]
    assert to(sent, "bk") == ["Tukar shift: Selasa 24/11 07.00–15.00 dari Bintang ke Awan."]
    assert d.channel.edits  # the other offer's button is taken back
    sent = await d.press("p3", "Ambil shift ini")  # too late (Langit reads Indonesian)
    assert "sudah diambil teman lain" in to(sent, "p3")[0]
    sent = await to_shift_start(d)  # the reminder goes to the new holder only
    assert to(sent, "p2") and to(sent, "p1") == []
    await d.tick(minutes=29 + 15)
    sent = await d.tick(minutes=15)  # Awan's no-show reaches guru BK, not Bintang's
    assert [t for t in to(sent, "bk") if "Awan" in t] and to(sent, "p1") == []
    async with d.app.store.read() as db:
        assert [r["detail"] for r in await audit.rows(db, "shift_swapped")] == [
            {"slot": "202611240700"}]


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_swap_nobody_takes_is_said_to_the_requester(dialog: Dialog,
                                                            lang: str) -> None:
    d = dialog
    await team(d, lang)
    await take_tuesday(d, lang=lang)
    await d.say("p1", "/tukar")
    swap = "Swap" if lang == "en" else "Tukar"
    await d.press("p1", f"{swap} {TUESDAY[lang]}")
    sent = await d.press("p1", f"{swap} {TUESDAY[lang]}")  # asked once, not twice
    assert ("still waiting" if lang == "en" else "masih menunggu") in to(sent, "p1")[0]
    assert to(sent, "p2") == []
    await to_shift_start(d)
    sent = await d.tick(minutes=29)  # 07:00: nobody took it
    lapsed = [t for t in to(sent, "p1") if ("still yours" if lang == "en"
                                             else "tetap punyamu") in t]
    assert lapsed
    sent = await d.press("p2", "Take this shift" if lang == "en" else "Ambil shift ini")
    assert ("request is over" if lang == "en" else "sudah diambil teman lain") \
        in to(sent, "p2")[0]  # the request is over
    sent = await d.say("bk", "/jadwal")
    assert "Selasa 24/11 07.00–15.00: Bintang" in to(sent, "bk")[0]  # still Bintang's


async def test_only_trained_approved_peers_take_shifts_within_capacity(dialog: Dialog,
                                                                      config) -> None:
    d = dialog
    await team(d)
    await enrol(d.app, "p3", "peer", "Langit")
    await take_tuesday(d, "p1")
    await take_tuesday(d, "p2")
    sent = await d.say("p3", "/jadwal")  # full: no button for Tuesday
    assert "07.00–15.00 · 2/2" in to(sent, "p3")[0]
    assert f"Ambil {TUESDAY['id']}" not in [b.label for b in d.last_to("p3").buttons]
    await enrol(d.app, "p5", "peer", "Pelangi")
    async with d.app.store.transaction() as db:
        await db.execute("UPDATE users SET approved_at = NULL WHERE key = ?",
                         (d.app.vault.user_key("test", "p5").value,))
    sent = await d.say("p5", "/jadwal")
    assert "lulus pelatihan" in to(sent, "p5")[0] and d.last_to("p5").buttons == ()
    sent = await d.say("student", "/jadwal")
    assert "khusus" in to(sent, "student")[0]


async def test_a_holiday_has_no_shift(dialog: Dialog, config) -> None:
    d = dialog
    await team(d)
    d.app.core.roster = d.app.dispatcher.roster = type(d.app.core.roster)(
        d.app.core.roster.shifts, frozenset({__import__("datetime").date(2026, 11, 25)}),
        d.app.core.roster.tz)
    sent = await d.say("p1", "/jadwal")
    assert "Rabu 25/11: libur" in to(sent, "p1")[0]
    assert "Ambil Rabu 25/11 07.00" not in [b.label for b in d.last_to("p1").buttons]


async def test_a_shift_that_became_a_holiday_is_released(dialog: Dialog) -> None:
    import datetime as dt

    d = dialog
    await team(d)
    await take_tuesday(d)
    roster = d.app.core.roster
    d.app.core.roster = d.app.dispatcher.roster = type(roster)(
        roster.shifts, frozenset({dt.date(2026, 11, 24)}), roster.tz)
    sent = await to_shift_start(d)
    assert "tidak jalan" in to(sent, "p1")[0]
    sent = await d.tick(hours=1)
    assert to(sent, "p1") == [] and to(sent, "bk") == []  # no no-show on a holiday


async def test_beban_counts_cases_accepted_and_is_for_guru_bk(dialog: Dialog) -> None:
    from tests.core.test_handoff import open_peer_case

    d = dialog
    await team(d)
    await open_peer_case(d)
    await d.press("p1", "Terima")
    sent = await d.say("bk", "/beban")
    assert "Bintang: minggu ini 0 jam · 1 kasus" in to(sent, "bk")[0]
    sent = await d.say("p1", "/beban")
    assert "khusus untuk guru BK" in to(sent, "p1")[0]
    async with d.app.store.transaction() as db:  # guru BK reading English
        await users.set_lang(db, d.app.vault.user_key("test", "bk"), "en")
    sent = await d.say("bk", "/load")
    assert "Bintang: this week 0 h · 1 cases" in to(sent, "bk")[0]
    async with d.app.store.read() as db:
        assert len(await audit.rows(db, "peer_load_viewed")) == 2


async def test_a_holiday_added_after_the_reminder_brings_no_no_show(dialog: Dialog) -> None:
    import datetime as dt

    d = dialog
    await team(d)
    await take_tuesday(d)
    assert to(await to_shift_start(d), "p1")  # reminded
    roster = d.app.core.roster
    d.app.core.roster = d.app.dispatcher.roster = type(roster)(
        roster.shifts, frozenset({dt.date(2026, 11, 24)}), roster.tz)
    await d.tick(minutes=29 + 15)
    sent = await d.tick(minutes=15)
    assert to(sent, "bk") == []


async def test_the_reminder_may_go_as_whatsapps_reminder_template(dialog: Dialog) -> None:
    """A peer seldom wrote to the bot in the 24 hours before a shift: on WhatsApp the
    reminder template carries it (purpose "reminder"), instead of waiting for them."""
    d = dialog
    await team(d)
    await take_tuesday(d)
    await to_shift_start(d)
    async with d.app.store.read() as db:
        rows = await db.execute_fetchall(
            "SELECT purpose FROM outbox WHERE recipient_key = ? ORDER BY id DESC LIMIT 1",
            (d.app.vault.user_key("test", "p1").value,))
    assert [r[0] for r in rows] == ["reminder"]
