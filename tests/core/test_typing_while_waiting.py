"""A student who keeps typing while the bot waits (for a button, for a helper) is answered
once, then the bot stays quiet, with one gentle line after a long gap; nothing they wrote is
lost (issue #13, an outside tester: "Aku catat ya" after every single message). Transcripts in
id and en; tests/dialog.py checks the safety invariants after every step."""

from __future__ import annotations

import pytest

from tests.conftest import enrol
from tests.dialog import Dialog, case_of, to

LANGS = {
    "id": {"start": ["halo", "[Oke, lanjut]", "[Pertemanan]", "aku berantem sama sahabatku"],
           "weight": "[Lumayan berat]", "safe": "[Nggak, aman]",
           "ack": "Aku catat ya", "again": "Aku masih di sini",
           "waiting": "sudah kami catat di ceritamu", "waiting_again": "tetap masuk ke ceritamu",
           "typed": ["dia ngatain aku di grup", "terus aku diem aja", "sekarang jadi canggung"]},
    "en": {"start": ["hi", "[English, please]", "[OK, let's go]", "[Friends]",
                     "I had a fight with my best friend"],
           "weight": "[Quite heavy]", "safe": "[No, all safe]",
           "ack": "Noted", "again": "I'm still here",
           "waiting": "We added your message", "waiting_again": "all going into your story",
           "typed": ["she called me names in the group", "and I said nothing",
                     "now it is awkward"]},
}


async def _play(d: Dialog, lines: list[str]) -> None:
    await d.play([("student", line) for line in lines])


async def _say(d: Dialog, text: str) -> list[str]:
    return to(await d.say("student", text), "student")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_typing_on_at_a_button_step_is_acknowledged_once_then_quiet(
        dialog: Dialog, lang: str) -> None:
    t = LANGS[lang]
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await _play(dialog, t["start"])  # now at the weight question (buttons)
    first, *rest = t["typed"]
    said = await _say(dialog, first)
    assert len(said) == 1 and t["ack"] in said[0]
    assert dialog.last_to("student").buttons  # the buttons come back with the one line
    for text in rest:
        assert await _say(dialog, text) == []  # kept, and no "Aku catat ya" every time
    dialog.app.clock.advance(minutes=20)  # a long gap: one gentle line, with the buttons
    later = await _say(dialog, "...")
    assert len(later) == 1 and t["again"] in later[0] and t["ack"] not in later[0]
    assert dialog.last_to("student").buttons
    await _play(dialog, [t["weight"], t["safe"]])
    case = await case_of(dialog.app)
    assert case is not None
    assert all(text in case.story for text in t["typed"])  # nothing they wrote is lost


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_typing_on_while_a_case_waits_is_acknowledged_once_then_quiet_and_reaches_the_peer(
        dialog: Dialog, lang: str) -> None:
    t = LANGS[lang]
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await _play(dialog, [*t["start"], t["weight"], t["safe"]])  # no peer: the case waits
    first, *rest = t["typed"]
    said = await _say(dialog, first)
    assert len(said) == 1 and t["waiting"] in said[0]
    for text in rest:
        assert await _say(dialog, text) == []
    dialog.app.clock.advance(minutes=16)
    later = await _say(dialog, "?")
    assert len(later) == 1 and t["waiting_again"] in later[0]
    await enrol(dialog.app, "peer", "peer", "Bintang")  # a peer comes: they read everything
    await dialog.say("peer", "/onduty")
    await dialog.tick(minutes=10)
    shown = to(await dialog.press("peer", "Terima"), "peer")
    assert all(any(text in s for s in shown) for text in t["typed"])


async def test_a_waiting_crisis_is_answered_once_and_later_by_the_ladder_follow_up_only(
        dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", "aku mau bunuh diri")
    again = await _say(dialog, "tolong")
    assert len(again) == 1 and "guru BK" in again[0]
    assert await _say(dialog, "aku takut") == []
    dialog.app.clock.advance(minutes=16)
    later = await _say(dialog, "halo?")  # not left in silence, and not told twice at once
    assert len(later) == 1 and "119 ext 8" in later[0]
