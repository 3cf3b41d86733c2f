"""A counselor holding several cases closes one in one step (/selesai KODE catatan), two (a
case button after /selesai catatan) or three (/selesai, a case button, the note), never four,
and never the wrong child's case: the case is always named (a code, a button, the message
replied to), the note question names it, and a reply to another student's message is not
taken for the note (issue #13, an outside tester). Transcripts in id and en."""

from __future__ import annotations

import pytest

from tests.conftest import enrol
from tests.core.test_crisis import CRISIS
from tests.dialog import Dialog, case_of, to

T = {
    "id": {"close": "/selesai", "which": "Tutup yang mana?", "ask_note": "Tulis catatan hasilnya",
           "closed": "ditutup", "take": "Saya tangani", "lang": []},
    "en": {"close": "/done", "which": "Which one do you want to close?",
           "ask_note": "Write the outcome note now", "closed": "is closed",
           "take": "I'll take it", "lang": [("bk", "/language"), ("bk", "[English]")]},
}


@pytest.fixture
async def two(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    return dialog


async def hold_two(d: Dialog, lang: str) -> tuple[str, str]:
    """A counselor (``bk``) takes two students' crises (s1, s2); their case codes."""
    await d.play(T[lang]["lang"])
    await d.say("s1", CRISIS)
    await d.press("bk", T[lang]["take"])
    await d.say("s2", "aku mau bunuh diri malam ini")
    await d.press("bk", T[lang]["take"])
    return (await case_of(d.app, "s1")).code, (await case_of(d.app, "s2")).code


def _button(d: Dialog, code: str) -> str:
    return next(b.label for b in d.last_to("bk").buttons if code in b.label)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_closing_one_of_two_cases_takes_one_step_with_its_code(
        two: Dialog, lang: str) -> None:
    d, t = two, T[lang]
    code1, _code2 = await hold_two(d, lang)
    sent = await d.say("bk", f"{t['close']} {code1} sudah aman, janji temu besok")
    assert any(t["closed"] in s and code1 in s for s in to(sent, "bk"))
    assert await case_of(d.app, "s1") is None and await case_of(d.app, "s2") is not None
    assert to(sent, "s2") == []


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_closing_without_a_code_takes_a_button_and_a_note_and_names_the_case(
        two: Dialog, lang: str) -> None:
    d, t = two, T[lang]
    code1, code2 = await hold_two(d, lang)
    sent = await d.say("bk", t["close"])
    assert t["which"] in to(sent, "bk")[0]
    assert len(d.last_to("bk").buttons) == 2  # one button per case
    sent = await d.press("bk", _button(d, code2))
    [asked] = to(sent, "bk")
    assert t["ask_note"] in asked and code2 in asked and code1 not in asked
    assert await case_of(d.app, "s2") is not None  # not closed before the note
    sent = await d.say("bk", "sudah tenang, janji temu besok pagi")
    assert any(t["closed"] in s and code2 in s for s in to(sent, "bk"))
    assert await case_of(d.app, "s2") is None and await case_of(d.app, "s1") is not None
    assert not any("janji temu besok pagi" in s for s in to(sent, "s2") + to(sent, "s1"))


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_closing_with_a_note_but_no_code_takes_one_button(two: Dialog, lang: str) -> None:
    d, t = two, T[lang]
    code1, _code2 = await hold_two(d, lang)
    await d.say("bk", f"{t['close']} sudah aman")
    sent = await d.press("bk", _button(d, code1))
    assert any(t["closed"] in s and code1 in s for s in to(sent, "bk"))
    assert await case_of(d.app, "s1") is None and await case_of(d.app, "s2") is not None


async def test_a_reply_to_the_other_student_is_sent_to_them_not_taken_for_the_note(
        two: Dialog) -> None:
    d = two
    _code1, code2 = await hold_two(d, "id")
    await d.say("s1", "bu aku masih takut")
    relayed = next(m for m in reversed(d.channel.sent)
                   if m.address == "bk" and "masih takut" in m.text)
    await d.say("bk", "/selesai")
    await d.press("bk", _button(d, code2))  # the note for #2 is asked for ...
    sent = await d.reply("bk", relayed, "Ibu di sini, kamu aman?")  # ... but s1 is answered
    assert to(sent, "s1") == ["Guru BK: Ibu di sini, kamu aman?"]
    assert await case_of(d.app, "s2") is not None and await case_of(d.app, "s1") is not None
    sent = await d.say("bk", "aman, dijemput orang tua")  # now the note, for #2 as asked
    assert await case_of(d.app, "s2") is None and await case_of(d.app, "s1") is not None


async def test_the_note_question_expires_and_a_later_message_closes_nothing(
        two: Dialog) -> None:
    d = two
    _code1, code2 = await hold_two(d, "id")
    await d.say("bk", "/selesai")
    await d.press("bk", _button(d, code2))
    d.app.clock.advance(minutes=20)
    sent = await d.say("bk", "halo, masih di sana?")  # long after: a message, not a note
    assert to(sent, "s2") == ["Guru BK: halo, masih di sana?"]  # the case chosen, as /ke
    assert to(sent, "s1") == []
    assert await case_of(d.app, "s2") is not None and await case_of(d.app, "s1") is not None
