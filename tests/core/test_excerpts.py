"""What guru BK reads first of a student's risky message: the words that raised the alert,
wherever they sit in a long message, and the message that raised the crisis after a requeue."""

from __future__ import annotations

import pytest

from bot import staffcli
from bot.core import excerpt
from bot.risk.detector import Detector
from tests.conftest import SECRET, enrol
from tests.dialog import Dialog, to

LONG = "bla " * 3000 + " aku pengen mati aja"  # ~12 kB, the risky words at the very end
TELEGRAM_CHUNK = 4096  # what one Telegram message shows of a longer text


def _alert(texts: list[str]) -> str:
    return next(t for t in texts if "BUTUH GURU BK" in t)


async def test_long_message_alert_quotes_the_risky_words_not_its_start(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    alert = _alert(to(await dialog.say("student", LONG), "bk"))
    assert "aku pengen mati aja" in alert
    assert len(alert) < 1000 and "…" in alert  # an excerpt, marked as one


async def test_take_over_summary_of_a_long_message_leads_with_the_risky_words(
        dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.say("student", LONG)
    summary = to(await dialog.press("bk", "Saya tangani"), "bk")[0]
    assert "pengen mati aja" in summary[:TELEGRAM_CHUNK]  # in the first Telegram message
    assert summary.count("bla") >= 3000  # and the whole message still follows


def test_excerpt_centres_on_words_the_screen_normalised() -> None:
    screen = Detector.default().screen
    text = "bla " * 800 + "pgn mati aj rasanya " + "bla " * 800
    spans = screen(text).spans  # "pengen mati": not as written in the text
    quote = excerpt.risky(text, spans, lambda part: screen(part).level == "crisis")
    assert "pgn mati aj" in quote and len(quote) <= excerpt.EXCERPT + 4
    assert quote.startswith("… ") and quote.endswith(" …")


@pytest.fixture
def same_secret(monkeypatch) -> None:
    monkeypatch.setenv("SEBAYA_SECRET", SECRET.decode())


async def test_requeued_alert_quotes_the_message_that_raised_the_crisis(
        dialog: Dialog, config, same_secret) -> None:
    d = dialog
    await enrol(d.app, "bk1", "counselor", "Bu Rina")
    await enrol(d.app, "bk2", "counselor", "Pak Dedi")
    await d.say("student", "aku pengen bunuh diri")
    await d.press("bk1", "Saya tangani")
    await d.say("student", "ga tau")
    assert await staffcli.remove(config, "Bu Rina", clock=d.app.clock) == ("Bu Rina", 1)
    alert = _alert(to(await d.tick(seconds=1), "bk2"))
    assert "aku pengen bunuh diri" in alert  # what raised the crisis
    assert alert.index("pengen bunuh diri") < alert.index("ga tau")  # then the latest


# An outside tester's ~825-character story ending with a farewell was alerted with its start
# ("kemaren nilai matematika aku 65 terus papa marah bgt"): a lighter rule's words came first.
STORY = {
    "id": ("kak aku mau cerita, kemaren nilai matematika aku 65 terus papa marah bgt, katanya aku "
           "ga pernah belajar padahal aku udah belajar tiap malem sampe jam 12. mama juga ikut2an "
           "bilang aku bikin malu keluarga, soalnya kakak aku dulu selalu ranking 1. di sekolah "
           "juga sama aja, temen sebangku aku pindah duduk sama anak lain dan sekarang aku makan "
           "sendirian di kantin tiap istirahat. grup kelas juga suka ngetawain aku kalo aku salah "
           "jawab di depan. aku udah coba cerita ke wali kelas tapi katanya aku cuma kurang "
           "bersyukur. tiap pulang sekolah aku langsung masuk kamar, ga mau ketemu siapa2. hp aku "
           "juga disita papa seminggu. makasih ya kak udah mau baca sampe sini, maaf kalo "
           "kepanjangan. kalo aku pergi selamanya, tolong bilang ke mama aku sayang dia"),
    "en": ("hi, i need to tell someone. yesterday i got 65 in maths and my dad got really angry, "
           "he said i never study even though i study every night until midnight. my mum joined "
           "in and said i embarrass the family because my sister was always top of the class. "
           "school is the same, my deskmate moved to sit with someone else and now i eat alone "
           "in the canteen every break. the class group chat laughs at me when i get an answer "
           "wrong. i tried telling my homeroom teacher but she said i should just be grateful. "
           "every day after school i go straight to my room and don't want to see anyone. my "
           "dad took my phone for a week too. thanks for reading this far, sorry it's so long. "
           "if i'm gone forever, please tell my mum i love her"),
}
FAREWELL = {"id": "kalo aku pergi selamanya", "en": "if i'm gone forever"}
START = {"id": "nilai matematika aku 65", "en": "i got 65 in maths"}


def _crisis_alert(texts: list[str]) -> str:
    return next(t for t in texts if "BUTUH GURU BK" in t or "NEEDS" in t or "KRISIS" in t)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_long_first_message_is_alerted_with_its_farewell_not_its_start(
        dialog: Dialog, lang: str) -> None:
    assert 700 <= len(STORY[lang]) <= 900
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    alert = _crisis_alert(to(await dialog.say("student", STORY[lang]), "bk"))
    assert FAREWELL[lang] in alert and START[lang] not in alert


async def test_a_long_story_typed_in_intake_is_alerted_with_its_farewell(dialog: Dialog) -> None:
    await enrol(dialog.app, "bk", "counselor", "Bu Rina")
    await dialog.play([("student", s) for s in ("halo", "[Oke, lanjut]", "[Keluarga]")])
    alert = _crisis_alert(to(await dialog.say("student", STORY["id"]), "bk"))
    assert FAREWELL["id"] in alert and START["id"] not in alert


def test_the_excerpt_is_around_the_crisis_words_not_a_lighter_rules() -> None:
    screen = Detector.default().screen
    verdict = screen(STORY["id"])
    assert verdict.level == "crisis" and "papa marah" in verdict.spans  # a lighter rule too
    quote = excerpt.risky(STORY["id"], verdict.top_spans,
                          lambda part: screen(part).level == "crisis")
    assert FAREWELL["id"] in quote and len(quote) <= excerpt.EXCERPT + 4


def test_the_excerpt_holds_the_most_risky_words_a_window_can() -> None:
    text = "aku sedih. " + "bla " * 200 + "aku capek. aku mau pergi. " + "bla " * 200
    assert excerpt.locate(text, ["sedih", "capek", "mau pergi"]) == (
        text.index("capek"), text.index("mau pergi") + len("mau pergi"))
