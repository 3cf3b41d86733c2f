"""Appointments that change (issue #13, item 7): a declined move keeps the confirmed time,
guru BK may propose a time, and the student has a code to give at the BK office. The clock is
Monday 23/11 08.00 WIB; tests/dialog.py checks the safety invariants after every step."""

from __future__ import annotations

from bot.store import services
from tests.conftest import enrol
from tests.dialog import Dialog, to
from tests.flows.test_services_transcripts import APPOINTMENT_ANON_ID

CONFIRMED_TUESDAY = APPOINTMENT_ANON_ID  # requested and confirmed for Selasa 24/11 09.00


async def _appointment(d: Dialog):
    async with d.app.store.read() as db:
        return await services.active_for(db, d.app.vault.user_key("test", "student"))


async def _move_to_thursday(d: Dialog) -> list:
    await d.say("student", "/janji")
    await d.press("student", "Ganti waktu")
    return await d.press("student", "Kamis 26/11 11.00")


async def test_a_declined_move_keeps_the_confirmed_slot(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(CONFIRMED_TUESDAY)
    sent = await _move_to_thursday(dialog)
    assert "janji temumu tetap Selasa 24/11 09.00" in to(sent, "student")[0]
    assert "tetap Selasa 24/11 09.00" in to(sent, "bk")[0]  # guru BK knows what stands
    sent = await dialog.say("student", "/janji")  # meanwhile: confirmed, the move waits
    status = to(sent, "student")[0]
    assert "Selasa 24/11 09.00 (sudah dikonfirmasi)" in status
    assert "ganti ke Kamis 26/11 11.00 masih menunggu guru BK" in status
    sent = await dialog.press("bk", "Minta waktu lain")
    assert "janji temumu tetap Selasa 24/11 09.00" in to(sent, "student")[0]
    sent = await dialog.say("student", "/janji")
    status = to(sent, "student")[0]
    assert "Selasa 24/11 09.00 (sudah dikonfirmasi)" in status
    assert "Kamis" not in status and "menunggu" not in status  # the declined one is gone
    appt = await _appointment(dialog)
    assert appt.status == "confirmed" and appt.pending_slot is None
    sent = await dialog.tick(hours=24)  # Tuesday 08.00: the reminder of the kept time
    assert "Pengingat: janji temu dengan guru BK Selasa 24/11 09.00" in to(sent, "student")[0]


async def test_a_confirmed_move_changes_the_slot_and_the_reminder(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(CONFIRMED_TUESDAY)
    await _move_to_thursday(dialog)
    sent = await dialog.press("bk", "Konfirmasi")
    assert "Kamis 26/11 11.00" in to(sent, "student")[0]
    assert not to(await dialog.tick(hours=24), "student")  # no reminder for Tuesday
    sent = await dialog.tick(days=2, hours=2)  # Thursday 10.00
    assert "Kamis 26/11 11.00" in to(sent, "student")[0]


async def test_the_counselor_proposes_a_time_and_the_student_accepts(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID[:9])  # requested for Tuesday 09.00
    sent = await dialog.press("bk", "Usulkan waktu")
    assert "Waktu mana yang Bapak/Ibu usulkan" in to(sent, "bk")[0]
    sent = await dialog.press("bk", "Rabu 25/11 13.00")
    assert "Guru BK mengusulkan waktu janji temu: Rabu 25/11 13.00" in to(sent, "student")[0]
    assert "sudah dikirim ke siswa" in to(sent, "bk")[0]
    sent = await dialog.press("student", "Cocok")
    confirmed = to(sent, "student")[0]
    appt = await _appointment(dialog)
    assert "dikonfirmasi" in confirmed and "Rabu 25/11 13.00" in confirmed
    assert f"Kode janji temu: {appt.ref}" in confirmed
    assert "Siswa setuju" in to(sent, "bk")[0]
    assert appt.status == "confirmed" and appt.confirmed_name == "Bu Rina"
    sent = await dialog.tick(days=2, hours=4)  # Wednesday 12.00: an hour before
    assert "Rabu 25/11 13.00" in to(sent, "student")[0] and to(sent, "bk")


async def test_a_proposal_answering_a_move_keeps_the_confirmed_slot_until_accepted(
        dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(CONFIRMED_TUESDAY)
    await _move_to_thursday(dialog)
    await dialog.press("bk", "Usulkan waktu")
    sent = await dialog.press("bk", "Rabu 25/11 11.00")
    assert "janji temumu tetap Selasa 24/11 09.00" in to(sent, "student")[0]
    sent = await dialog.say("student", "/janji")
    assert "Selasa 24/11 09.00 (sudah dikonfirmasi)" in to(sent, "student")[0]
    assert "Guru BK mengusulkan Rabu 25/11 11.00" in to(sent, "student")[0]
    await dialog.press("student", "Cocok")
    appt = await _appointment(dialog)
    assert appt.status == "confirmed" and appt.slot.day == 25 and appt.pending_slot is None


async def test_the_student_gets_the_appointment_code_and_sees_it_later(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    before = len(dialog.channel.sent)
    await dialog.play(APPOINTMENT_ANON_ID[:9])
    ref = (await _appointment(dialog)).ref
    assert ref.startswith("J") and len(ref) == 5
    assert any(f"Kode janji temumu: {ref}" in t for t in to(dialog.channel.sent[before:],
                                                             "student"))
    sent = await dialog.say("student", "/janji")
    assert f"Kode janji temu: {ref}" in to(sent, "student")[0]
    assert f"#{ref}" in dialog.last_to("bk").text  # guru BK sees the same code


async def test_the_appointment_code_in_english(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play([("student", "/language"), ("student", "[English]"),
                       ("student", "/menu"),
                       ("student", "[📅 Appointment with the counselor]"),
                       ("student", "[Stay anonymous]"), ("student", "[Study / school work]"),
                       ("student", "[Tuesday 24/11 09.00]"),
                       ("bot>student", "Your appointment code: J"),
                       ("bk", "[Konfirmasi]"),
                       ("bot>student", "Appointment code: J"),
                       ("student", "/janji"),
                       ("bot>student", "Appointment code: J")])


async def test_a_declined_request_is_not_shown_as_pending(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(APPOINTMENT_ANON_ID[:9])
    await dialog.press("bk", "Minta waktu lain")
    sent = await dialog.say("student", "/janji")
    status = to(sent, "student")[0]
    assert "menunggu konfirmasi" not in status and "belum bisa di waktu ini" in status


async def test_a_second_request_from_the_menu_shows_the_one_there_is_with_its_buttons(
        dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(CONFIRMED_TUESDAY)
    await dialog.play([("student", "/menu"), ("student", "[📅 Janji temu guru BK]"),
                       ("student", "[Tetap anonim]"), ("student", "[Keluarga]")])
    shown = dialog.last_to("student")
    assert "Selasa 24/11 09.00 (sudah dikonfirmasi)" in shown.text
    assert [b.label for b in shown.buttons] == ["Ganti waktu", "Batalkan janji"]
