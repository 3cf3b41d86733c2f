"""The wellbeing check-in for a peer after a heavy case (bot/core/wellbeing.py), in id and en:
asked after a long case or an escalation, never after a short light one; "I'd like to talk"
tells guru BK the pseudonym and nothing of the case; only counts of the answers are kept."""

from __future__ import annotations

import pytest

from bot.store import audit, users
from tests.conftest import enrol
from tests.core.test_handoff import open_peer_case
from tests.dialog import Dialog, to

BUTTONS = {"id": ["Baik-baik aja", "Agak berat", "Pengen ngobrol sama guru BK"],
           "en": ["I'm fine", "A bit heavy", "I'd like to talk to the counselor"]}


async def team(d: Dialog, lang: str) -> None:
    await enrol(d.app, "p1", "peer", "Bintang")
    await enrol(d.app, "bk", "counselor", "Bu Rina")
    async with d.app.store.transaction() as db:
        await users.set_lang(db, d.app.vault.user_key("test", "p1"), lang)


async def a_case(d: Dialog, minutes: float, lang: str) -> None:
    await open_peer_case(d)
    await d.press("p1", "Accept" if lang == "en" else "Terima")
    await d.say("p1", "Hai, aku di sini.")
    if minutes:
        await d.tick(minutes=minutes)
    await d.say("p1", "/selesai")


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_after_a_long_case_the_peer_is_checked_in_and_can_ask_for_guru_bk(
        dialog: Dialog, lang: str) -> None:
    d = dialog
    await team(d, lang)
    await a_case(d, minutes=61, lang=lang)
    sent = await d.tick(minutes=9)
    assert to(sent, "p1") == []  # not at once: after checkin_minutes
    sent = await d.tick(minutes=1)
    [ask] = to(sent, "p1")
    assert "Bintang" in ask
    assert [b.label for b in d.last_to("p1").buttons] == BUTTONS[lang]
    sent = await d.press("p1", BUTTONS[lang][1])  # a bit heavy
    assert "/offduty" in to(sent, "p1")[0] and to(sent, "bk") == []
    assert [b.label for b in d.last_to("p1").buttons] == [BUTTONS[lang][2]]
    sent = await d.press("p1", BUTTONS[lang][2])  # I'd like to talk
    assert to(sent, "bk") == ["Konselor sebaya Bintang ingin ngobrol dengan Bapak/Ibu setelah "
                              "menangani kasus yang berat. Mohon disapa ya (isi kasus tidak "
                              "dikirim)."]
    sent = await d.press("p1", BUTTONS[lang][2])  # once is enough
    assert to(sent, "bk") == []
    async with d.app.store.read() as db:
        rows = await audit.rows(db, "peer_checkin")
    assert [(r["actor_key"], r["detail"]) for r in rows] == [
        (None, {"answer": "heavy"}), (None, {"answer": "talk"})]  # counts, nobody's


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_short_light_case_brings_no_check_in(dialog: Dialog, lang: str) -> None:
    d = dialog
    await team(d, lang)
    await a_case(d, minutes=5, lang=lang)
    sent = await d.tick(hours=3)
    assert not [m for m in sent if m.address == "p1" and m.buttons]


async def test_an_escalated_case_brings_a_check_in_two_hours_later(dialog: Dialog) -> None:
    d = dialog
    await team(d, "id")
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("p1", "/eskalasi dia cerita soal hal yang berat")
    sent = await d.tick(hours=1, minutes=59)
    assert not [t for t in to(sent, "p1") if "Gimana perasaanmu" in t]
    sent = await d.tick(minutes=1)
    assert [t for t in to(sent, "p1") if "Gimana perasaanmu" in t]
    sent = await d.press("p1", "Baik-baik aja")
    assert "Syukurlah" in to(sent, "p1")[0]


async def test_a_crisis_in_a_peer_chat_brings_the_peer_a_check_in(dialog: Dialog) -> None:
    d = dialog
    await team(d, "id")
    await open_peer_case(d)
    await d.press("p1", "Terima")
    await d.say("student", "aku pengen mati aja")  # guru BK's case from now on
    await d.press("bk", "Saya tangani")
    sent = await d.tick(hours=2)
    assert [t for t in to(sent, "p1") if "Gimana perasaanmu" in t]
