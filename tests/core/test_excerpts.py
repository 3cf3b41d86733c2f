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
