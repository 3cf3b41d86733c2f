"""A staff member with several cases writes without saying for whom: the bot holds the message
and asks. A held message goes only to the case chosen for it, and only while the question is
fresh: after ten minutes, once the cases they hold change, or when they type a command first,
it is dropped and they are told plainly it was NOT sent (an outside tester: a held message was
sent much later, when a button was pressed, to a moment it no longer fitted)."""

from __future__ import annotations

import pytest

from tests.conftest import enrol
from tests.core.test_closing_several_cases import hold_two
from tests.dialog import Dialog, case_of, to

T = {
    "id": {"take": "Saya tangani", "lang": [], "dropped": "TIDAK terkirim",
           "not_done": "TIDAK dijalankan"},
    "en": {"take": "I'll take it", "lang": [("bk", "/language"), ("bk", "[English]")],
           "dropped": "NOT sent", "not_done": "NOT carried out"},
}


@pytest.fixture
async def bk(dialog: Dialog) -> Dialog:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    return dialog


def _pick(d: Dialog, code: str) -> str:
    return next(b.label for b in d.last_to("bk").buttons if code in b.label)


def _students(d: Dialog, sent: list) -> list[str]:
    return to(sent, "s1") + to(sent, "s2") + to(sent, "s3")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_held_message_expires_after_ten_minutes_and_is_never_sent_late(
        bk: Dialog, lang: str) -> None:
    d, t = bk, T[lang]
    code1, _ = await hold_two(d, lang)
    await d.say("bk", "besok jam 7 ke ruang BK ya")
    label = _pick(d, code1)
    sent = await d.tick(minutes=10)  # nobody chose: the bot says so, unasked
    assert any(t["dropped"] in s and "besok jam 7" in s for s in to(sent, "bk"))
    sent = await d.press("bk", label)  # the old question's button, much later
    assert not any("besok jam 7" in s for s in _students(d, sent))
    assert to(sent, "bk")  # never silence


async def test_a_held_message_pressed_late_without_the_timer_is_refused_too(bk: Dialog) -> None:
    d = bk
    code1, _ = await hold_two(d, "id")
    await d.say("bk", "besok jam 7 ke ruang BK ya")
    label = _pick(d, code1)
    d.app.clock.advance(minutes=11)  # the press arrives before the expiry timer ran
    sent = await d.press("bk", label)
    assert not any("besok jam 7" in s for s in _students(d, sent))
    assert any("TIDAK terkirim" in s for s in to(sent, "bk"))


async def test_a_held_message_within_ten_minutes_goes_to_the_case_chosen(bk: Dialog) -> None:
    d = bk
    _code1, code2 = await hold_two(d, "id")
    await d.say("bk", "Ibu di sini, kamu aman?")
    d.app.clock.advance(minutes=9)
    sent = await d.press("bk", _pick(d, code2))
    assert to(sent, "s2") == ["Guru BK: Ibu di sini, kamu aman?"]
    assert to(sent, "s1") == []


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_held_message_is_dropped_when_the_cases_held_change(
        bk: Dialog, lang: str) -> None:
    d, t = bk, T[lang]
    code1, _code2 = await hold_two(d, lang)
    await d.say("bk", "kamu aman sekarang?")
    label = _pick(d, code1)
    await d.say("s3", "aku mau mati aja, udah ga kuat")  # a third case, taken meanwhile
    await d.press("bk", t["take"])
    sent = await d.press("bk", label)
    assert not any("kamu aman sekarang" in s for s in _students(d, sent))
    assert any(t["dropped"] in s for s in to(sent, "bk"))


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_command_typed_meanwhile_drops_the_held_message(bk: Dialog, lang: str) -> None:
    d, t = bk, T[lang]
    code1, _ = await hold_two(d, lang)
    await d.say("bk", "nanti ibu telepon orang tuamu")
    label = _pick(d, code1)
    sent = await d.say("bk", "/help")
    assert any(t["dropped"] in s and "telepon orang tuamu" in s for s in to(sent, "bk"))
    sent = await d.press("bk", label)
    assert not any("telepon orang tuamu" in s for s in _students(d, sent))


async def test_a_held_command_expires_too_and_closes_nothing(bk: Dialog) -> None:
    d = bk
    code1, _ = await hold_two(d, "id")
    await d.say("bk", "/selesai sudah aman")
    label = _pick(d, code1)
    sent = await d.tick(minutes=10)
    assert any("TIDAK dijalankan" in s and "/selesai" in s for s in to(sent, "bk"))
    await d.press("bk", label)
    assert await case_of(d.app, "s1") is not None


async def test_an_earlier_questions_button_never_sends_the_next_held_message(
        bk: Dialog) -> None:
    d = bk
    code1, code2 = await hold_two(d, "id")
    await d.say("bk", "pesan pertama")
    first_question = d.last_to("bk")
    await d.say("bk", "pesan kedua")
    old = next(b for b in first_question.buttons if code2 in b.label)
    await d.press("bk", _pick(d, code1))  # "pesan pertama" -> #1; "pesan kedua" asked about
    from bot.core.events import Kind
    sent = await d.deliver(d.event("bk", Kind.BUTTON, old.label, old.data))  # pressed again
    assert not any("pesan kedua" in s for s in _students(d, sent))
    assert to(sent, "bk")
