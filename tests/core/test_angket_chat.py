"""The angket in chat, as dialog transcripts in id and en: guru BK opens and closes it, a
student answers with buttons, skips, stops and goes on later, answers once; every answer is
counted without the student; crisis words typed in the middle still reach guru BK; peers
cannot open it. The safety invariants are checked after every step (tests/dialog.py)."""

from __future__ import annotations

from bot.core.events import Kind
from bot.store import angket
from tests.conftest import enrol
from tests.dialog import Dialog, to

ID = "contoh-kebutuhan"  # the shipped example: p1 (1-4), p2 (ya/tidak), s1, s2, b1, b2, k1, k2


async def _open(d: Dialog, days: str = "7") -> list[str]:
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    return to(await d.say("bk", f"/angket buka {ID} {days}"), "bk")


async def _counts(d: Dialog):
    async with d.app.store.read() as db:
        return await angket.counts(db, ID)


async def _english(d: Dialog, who: str, text: str) -> list[str]:
    return to(await d.deliver(d.event(who, Kind.COMMAND, text, lang_hint="en")), who)


async def test_nothing_open_is_said_plainly_in_id_and_en(dialog: Dialog):
    assert "Belum ada angket yang dibuka" in to(await dialog.say("student", "/angket"),
                                                "student")[0]
    assert "No survey is open" in (await _english(dialog, "anna", "/survey"))[0]


async def test_a_student_answers_skips_stops_goes_on_and_answers_once(dialog: Dialog):
    opened = await _open(dialog)
    assert "dibuka sampai" in opened[0] and "ketik /angket" in opened[0]
    first = to(await dialog.say("student", "/angket"), "student")
    assert "Angket kebutuhan siswa" in first[0] and first[1].startswith("(1/8)")
    assert [b.label for b in dialog.last_to("student").buttons] == [
        "1", "2", "3", "4", "Lewati", "Berhenti dulu"]
    assert to(await dialog.press("student", "3"), "student")[0].startswith("(2/8)")
    await dialog.press("student", "Ya")  # p2
    await dialog.press("student", "Lewati")  # s1: not counted
    assert "berhenti dulu" in to(await dialog.press("student", "Berhenti dulu"),
                                 "student")[0].lower()
    again = to(await dialog.say("student", "/angket"), "student")
    assert again[0].startswith("(4/8)")  # goes on where they stopped, no intro again
    for label in ("2", "4", "Tidak", "Ya", "1"):  # s2, b1 (1-4), b2, k1 (ya/tidak), k2
        await dialog.press("student", label)
    assert "Terima kasih sudah mengisi" in to(dialog.channel.sent[-1:], "student")[0]
    assert "sudah mengisi" in to(await dialog.say("student", "/angket"), "student")[0]
    respondents, counted = await _counts(dialog)
    assert respondents == 1
    assert counted == {("p1", "3"): 1, ("p2", "ya"): 1, ("s2", "2"): 1, ("b1", "4"): 1,
                       ("b2", "tidak"): 1, ("k1", "ya"): 1, ("k2", "1"): 1}


async def test_an_old_button_counts_nothing_and_shows_the_current_question(dialog: Dialog):
    await _open(dialog)
    await dialog.say("student", "/angket")
    old = dialog.button_data("student", "2")  # p1's "2"
    await dialog.press("student", "3")
    sent = to(await dialog.deliver(dialog.event("student", Kind.BUTTON, "2", old)), "student")
    assert "sudah lewat" in sent[0] and sent[1].startswith("(2/8)")
    assert (await _counts(dialog))[1] == {("p1", "3"): 1}


async def test_crisis_words_typed_during_the_angket_still_reach_guru_bk(dialog: Dialog):
    await _open(dialog)
    await dialog.say("student", "/angket")
    sent = await dialog.say("student", "sebenernya aku pengen mati aja")
    assert any("Saya tangani" in [b.label for b in m.buttons] for m in sent
               if m.address == "bk")


async def test_answers_are_stored_without_the_student(dialog: Dialog):
    await _open(dialog)
    await dialog.say("student", "/angket")
    await dialog.press("student", "1")
    key = dialog.app.vault.user_key("test", "student").value
    async with dialog.app.store.read() as db:
        answers = [tuple(r) for r in await db.execute_fetchall("SELECT * FROM angket_answers")]
        marks = [r[0] for r in await db.execute_fetchall("SELECT mark FROM angket_done")]
    assert len(answers) == 1 and not any(key in str(v) for v in answers[0])
    assert marks and key not in marks[0] and marks[0] != key


async def test_guru_bk_sees_the_status_and_closes_it_then_a_press_is_refused(dialog: Dialog):
    await _open(dialog, "3")
    status = to(await dialog.say("bk", "/angket"), "bk")[0]
    assert f"• {ID} (Angket kebutuhan siswa): dibuka sampai" in status
    assert "0 siswa sudah menjawab" in status
    await dialog.say("student", "/angket")
    closed = to(await dialog.say("bk", f"/angket tutup {ID}"), "bk")[0]
    assert f"Angket {ID} ditutup" in closed
    assert "sudah ditutup" in to(await dialog.press("student", "4"), "student")[0]
    assert (await _counts(dialog)) == (0, {})
    assert "ditutup" in to(await dialog.say("bk", "/angket"), "bk")[0]


async def test_guru_bk_gets_clear_answers_for_wrong_input(dialog: Dialog):
    await _open(dialog)
    assert "tidak ada" in to(await dialog.say("bk", "/angket buka angket-lain"), "bk")[0]
    assert "1 sampai 60" in to(await dialog.say("bk", f"/angket buka {ID} 999"), "bk")[0]
    assert "sudah dibuka sampai" in to(await dialog.say("bk", f"/angket buka {ID}"), "bk")[0]
    assert "Cara pakai" in to(await dialog.say("bk", "/angket hapus"), "bk")[0]


async def test_a_peer_cannot_open_an_angket(dialog: Dialog):
    await enrol(dialog.app, "p1", "peer", "Bintang")
    sent = to(await dialog.say("p1", f"/angket buka {ID}"), "p1")
    assert "dibuka oleh guru BK" in sent[0]
    async with dialog.app.store.read() as db:
        assert await angket.runs(db) == {}


async def test_in_english_the_student_sees_english_words_and_buttons(dialog: Dialog):
    await _open(dialog)
    first = await _english(dialog, "anna", "/survey")
    assert "Student needs survey" in first[0] and first[1].startswith("(1/8) How often")
    await dialog.press("anna", "2")
    assert [b.label for b in dialog.last_to("anna").buttons][:2] == ["Yes", "No"]
