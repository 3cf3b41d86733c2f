"""A counselor holding two cases closes the one they were writing to: their next plain message
must not slip to the other child unannounced (an outside tester: "Jangan lupa obatin lukanya
ya", meant for the self-harm case just closed, went to the other student with no "✓ terkirim").
The bot holds it and asks, naming the case; once chosen, it goes with the confirmation."""

from __future__ import annotations

import pytest

from tests.conftest import enrol
from tests.core.test_closing_several_cases import hold_two
from tests.dialog import Dialog, to

T = {
    "id": {"take": "Saya tangani", "lang": [], "close": "/selesai", "to": "/ke",
           "held": "belum dikirim", "sent": "✓ terkirim ke"},
    "en": {"take": "I'll take it", "lang": [("bk", "/language"), ("bk", "[English]")],
           "close": "/done", "to": "/to", "held": "has not been sent", "sent": "✓ sent to"},
}


@pytest.fixture
async def bk(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    return dialog


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_closing_the_case_written_to_never_switches_to_the_other_child_silently(
        bk: Dialog, lang: str) -> None:
    d, t = bk, T[lang]
    code1, code2 = await hold_two(d, lang)
    await d.say("bk", f"{t['to']} {code1}")
    sent = await d.say("bk", "kamu sudah obati lukanya?")
    assert to(sent, "s1") and any(t["sent"] in s and code1 in s for s in to(sent, "bk"))
    await d.say("bk", f"{t['close']} {code1} sudah aman, janji temu besok")
    sent = await d.say("bk", "Jangan lupa obatin lukanya ya")
    assert to(sent, "s2") == [] and to(sent, "s1") == []  # held, not sent
    [question] = [m for m in sent if m.address == "bk"]
    assert t["held"] in question.text and code1 in question.text
    assert [b.label for b in question.buttons] == [
        next(b.label for b in question.buttons if code2 in b.label)]
    sent = await d.press("bk", question.buttons[0].label)  # the counselor chooses: it goes
    assert to(sent, "s2") and "Jangan lupa obatin" in to(sent, "s2")[0]
    assert any(t["sent"] in s and code2 in s for s in to(sent, "bk"))
    sent = await d.say("bk", "kabari ibu ya")  # chosen: the next ones go
    assert to(sent, "s2")


async def test_a_reply_to_the_remaining_students_message_goes_without_a_question(
        bk: Dialog) -> None:
    d = bk
    code1, code2 = await hold_two(d, "id")
    await d.say("s2", "bu aku takut")
    relayed = next(m for m in reversed(d.channel.sent)
                   if m.address == "bk" and "aku takut" in m.text)
    await d.say("bk", f"/ke {code1}")
    await d.say("bk", "halo")
    await d.say("bk", f"/selesai {code1} sudah aman")
    sent = await d.reply("bk", relayed, "ibu di sini")
    assert to(sent, "s2") == ["Guru BK: ibu di sini"]
    assert any("✓ terkirim ke" in s and code2 in s for s in to(sent, "bk"))


async def test_a_peer_who_accepts_a_new_case_after_closing_one_writes_to_it_without_a_question(
        dialog: Dialog) -> None:
    """Accepting an offer is choosing the case: the peer's first words go to the new student at
    once (the chaos bench's peers were asked "for which case?" with one button after each case)."""
    from tests.core.test_handoff import open_peer_case

    d = dialog
    await enrol(d.app, "p1", "peer", "Bintang")
    await open_peer_case(d, "s1")
    await d.press("p1", "Terima")
    assert to(await d.say("p1", "hai, aku di sini"), "s1")
    await d.say("p1", "/selesai")
    await open_peer_case(d, "s2")
    await d.press("p1", "Terima")
    sent = await d.say("p1", "halo, mau cerita?")
    assert to(sent, "s2") == ["Bintang (konselor sebaya): halo, mau cerita?"]
    assert not any("belum dikirim" in s for s in to(sent, "p1"))
