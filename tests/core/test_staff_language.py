"""Staff choose their chat language as students do (/bahasa, /language), and every text to
staff follows the recipient's language, also the ones other people's turns send: offers,
alerts, relays, coaching nudges (issue #13, an outside tester: staff could not switch, and the
coaching nudge reached an English-speaking peer in Indonesian). Transcripts in id and en."""

from __future__ import annotations

from tests.conftest import enrol
from tests.dialog import Dialog, to

PEER_CASE_ID = ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku berantem sama sahabatku",
                "[Lumayan berat]", "[Nggak, aman]"]

PEER_SWITCHES_TO_ENGLISH = [
    ("peer", "/bahasa"),
    ("bot>peer", "Pilih bahasa / Choose a language:"),
    ("peer", "[English]"),
    ("bot>peer", "OK, we'll use English."),
    ("bot>peer", "writes to this account in English"),
    ("peer", "/help"),
    ("bot>peer", "You are enrolled as peer supporter"),
    ("bot>peer", "/language"),
]

COUNSELOR_SWITCHES_BACK = [
    ("bk", "/language"),
    ("bk", "[English]"),
    ("bot>bk", "OK, we'll use English."),
    ("bk", "/language"),
    ("bk", "[Bahasa Indonesia]"),
    ("bot>bk", "Oke, kita pakai Bahasa Indonesia."),
    ("bot>bk", "memakai Bahasa Indonesia"),
    ("bk", "/help"),
    ("bot>bk", "Bapak/Ibu terdaftar sebagai guru BK"),
]


async def test_a_peer_switches_to_english_and_offers_relays_and_nudges_follow(
        dialog: Dialog) -> None:
    d = dialog
    await enrol(d.app, "peer", "peer", "Bintang")
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await d.play(PEER_SWITCHES_TO_ENGLISH)
    await d.play([("student", s) for s in PEER_CASE_ID])  # an Indonesian-speaking student
    offer = d.last_to("peer")
    assert "Someone would like to talk" in offer.text and "Topic: Friends" in offer.text
    assert [b.label for b in offer.buttons] == ["Accept"]
    accepted = to(await d.press("peer", "Accept"), "peer")
    assert any("You are now with" in t for t in accepted)
    sent = await d.say("student", "aku sedih banget akhir-akhir ini, ngerasa sendirian terus")
    nudge = [t for t in to(sent, "peer") if "💡" in t]
    assert nudge and "sounds heavier" in nudge[0] and "/escalate" in nudge[0]
    student = to(await d.say("peer", "I'm here. What happened?"), "student")
    assert student == ["Bintang (konselor sebaya): I'm here. What happened?"]  # the student's
    sent = await d.say("student", "/selesai")
    assert any("The student closed conversation" in t for t in to(sent, "peer"))


async def test_two_counselors_read_the_same_crisis_alert_each_in_their_language(
        dialog: Dialog) -> None:
    d = dialog
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await enrol(d.app, "bk2", "counselor", "Pak Dimas")
    await d.play([("bk2", "/language"), ("bk2", "[English]")])
    sent = await d.say("student", "aku mau bunuh diri")
    [rina] = [m for m in sent if m.address == "bk"]
    [dimas] = [m for m in sent if m.address == "bk2"]
    assert "BUTUH GURU BK SEKARANG" in rina.text and rina.buttons[0].label == "Saya tangani"
    assert "SCHOOL COUNSELOR NEEDED NOW" in dimas.text
    assert dimas.buttons[0].label == "I'll take it" and "suicidal" in dimas.text.lower()
    taken = await d.press("bk2", "I'll take it")
    assert any("sudah ditangani oleh" in t for t in to(taken, "bk"))


async def test_a_counselor_switches_to_english_and_back(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play(COUNSELOR_SWITCHES_BACK)
    async with dialog.app.store.read() as db:
        rows = await db.execute_fetchall("SELECT lang FROM users WHERE key = ?", (
            dialog.app.vault.user_key("test", "bk").value,))
    assert rows[0][0] == "id"


async def test_staff_texts_sent_by_other_turns_are_localized_for_every_language(
        dialog: Dialog) -> None:
    """Every text a student's turn or a timer sends to staff carries its English too (a
    staff text rendered only in the default language would reach an English peer in
    Indonesian): checked on the effects of a whole peer chat and a crisis."""
    d = dialog
    await enrol(d.app, "peer", "peer", "Bintang")
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    await d.play([("peer", "/language"), ("peer", "[English]"),
                  ("bk", "/language"), ("bk", "[English]")])
    await d.play([("student", s) for s in PEER_CASE_ID])
    await d.press("peer", "Accept")
    await d.say("student", "aku sedih banget akhir-akhir ini, ngerasa sendirian terus")
    await d.say("student", "aku mau bunuh diri")  # the peer hands over to guru BK
    staff = [m.text for m in d.channel.sent if m.address in ("peer", "bk")]
    indonesian = [t for t in staff if any(w in t for w in (
        "Kamu ", "kamu ", "Bapak/Ibu", "Tekan ", "siswa", "Cerita"))]
    assert not indonesian, indonesian
