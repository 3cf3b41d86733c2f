"""Honest promises (issue #13, Why: "a student whose crisis is unanswered for 15 minutes hears
nothing more", "sebaya run starts without a warning", "a false ERROR line on every crisis taken
by a school's only guru BK"; and "a student who chose English gets Indonesian when guru BK
joins", "Darurat untranslated"). Transcripts in id and en."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from tests.conftest import enrol
from tests.dialog import Dialog, to

CRISIS = {"id": "aku mau bunuh diri", "en": "I want to kill myself"}
STILL = {"id": ("masih menghubungi guru BK", "119 ext 8", "112"),
         "en": ("still reaching the school counselor", "119 ext 8", "112")}
JOINED = {"id": "Guru BK sekarang menemanimu", "en": "The school counselor is now with you"}


async def _english(d: Dialog, who: str = "student") -> None:
    await d.play([(who, "/language"), (who, "[English]")])


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_crisis_unanswered_hears_again_with_the_hotlines_at_each_ladder_step(
        dialog: Dialog, lang: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    if lang == "en":
        await _english(dialog)
    await dialog.say("student", CRISIS[lang])
    for minutes in (5, 10):  # the shipped ladder's first two levels
        heard = to(await dialog.tick(minutes=minutes), "student")
        assert len(heard) == 1 and all(part in heard[0] for part in STILL[lang]), heard


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_an_english_speaking_student_hears_english_when_guru_bk_joins(
        dialog: Dialog, lang: str) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")  # the counselor writes Indonesian
    if lang == "en":
        await _english(dialog)
    await dialog.say("student", CRISIS[lang])
    sent = await dialog.press("bk", "Saya tangani")
    assert any(JOINED[lang] in t for t in to(sent, "student"))
    assert not any(JOINED["id" if lang == "en" else "en"] in t for t in to(sent, "student"))


@pytest.mark.parametrize(("lang", "name"), [("id", "Darurat: 112"), ("en", "Emergency: 112")])
async def test_the_hotlines_are_named_in_the_students_language(
        dialog: Dialog, lang: str, name: str) -> None:
    if lang == "en":
        await _english(dialog)
    reply = "\n".join(to(await dialog.say("student", CRISIS[lang]), "student"))
    assert name in reply
    assert ("Darurat" in reply) == (lang == "id")


async def test_starting_with_no_counselor_warns_loudly(app: App, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        await app.start()
    assert any(r.levelno == logging.WARNING and "NO COUNSELOR CAN RECEIVE CRISIS ALERTS"
               in r.getMessage() for r in caplog.records)


async def test_the_only_counselor_taking_a_crisis_logs_no_error(
        dialog: Dialog, caplog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", CRISIS["id"])
    with caplog.at_level(logging.INFO):
        await dialog.press("bk", "Saya tangani")  # "taken by Bu Rina" goes to nobody else
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
