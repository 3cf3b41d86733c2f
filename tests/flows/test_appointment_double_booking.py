"""One counselor slot, one student (an outside tester: two students booked the same time).
The second student is told kindly that the time was just taken and gets the times still free;
guru BK gets one request; the store itself refuses a second active booking of a slot. The
clock is Monday 23/11 08.00 WIB."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.store import services
from bot.store.db import Overtaken
from tests.conftest import enrol
from tests.dialog import Dialog, to
from tests.flows.test_services_transcripts import APPOINTMENT_ANON_ID

TO_SLOTS = [(step, line) for step, line in APPOINTMENT_ANON_ID[:7] if step == "student"]
TUESDAY_9 = "Selasa 24/11 09.00"


async def _both_choosing(d: Dialog) -> None:
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    for who in ("s1", "s2"):  # both see the same free times
        await d.play([(who, line) for _, line in TO_SLOTS])


async def test_the_second_student_is_offered_other_times_not_a_double_booking(
        dialog: Dialog) -> None:
    d = dialog
    await _both_choosing(d)
    await d.press("s1", TUESDAY_9)
    sent = await d.press("s2", TUESDAY_9)  # the same time, a moment later
    [told] = [m for m in sent if m.address == "s2"]
    assert "baru saja dipesan" in told.text
    labels = [b.label for b in told.buttons]
    assert TUESDAY_9 not in labels and labels  # other times, still free
    assert to(sent, "bk") == []  # guru BK gets no second request for that time
    sent = await d.press("s2", labels[0])
    assert any(labels[0] in s for s in to(sent, "s2"))
    assert any("Permintaan janji temu" in s for s in to(sent, "bk"))


async def test_a_cancelled_booking_frees_its_time(dialog: Dialog) -> None:
    d = dialog
    await _both_choosing(d)
    await d.press("s1", TUESDAY_9)
    await d.say("s1", "/janji")
    await d.press("s1", "Batalkan janji")
    sent = await d.press("s2", TUESDAY_9)
    assert any("sudah dikirim ke guru BK" in s for s in to(sent, "s2"))


async def test_the_store_refuses_a_second_active_booking_of_one_slot(dialog: Dialog) -> None:
    app = dialog.app
    slot = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    now = app.clock.now()
    with pytest.raises(Overtaken):
        async with app.store.transaction() as db:
            await services.request(db, app.vault.user_key("test", "a"), slot, "x", None, now)
            await services.request(db, app.vault.user_key("test", "b"), slot, "x", None, now)


async def test_the_other_counselors_are_told_why_their_buttons_went(dialog: Dialog) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await enrol(d.app, "bk2", "counselor", "Pak Budi")
    await d.play(APPOINTMENT_ANON_ID[:9])
    sent = await d.press("bk", "Konfirmasi")
    [told] = to(sent, "bk2")
    assert "sudah dijawab Bu Rina" in told
