"""The global interrupt hook sees every student text, in every state, before flow logic."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.conversation import Outcome
from bot.core.effects import Send
from tests.conftest import SECRET
from tests.core.test_global_commands import PATHS, PLACES
from tests.dialog import Dialog, RecordingChannel


class Tripwire:
    """Takes over when the text contains TOLONG; records every text it screened."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, core, turn, text):
        self.seen.append(text)
        if "TOLONG" not in text:
            return None
        return Outcome(turn.conversation, [Send(turn.party.key, "interrupted")])


@pytest.fixture
async def hooked(config, clock):
    channel = RecordingChannel()
    tripwire = Tripwire()
    app = await App.build(config, {"test": channel}, clock=clock, secret=SECRET,
                          interrupts=[tripwire])
    yield Dialog(app, channel), tripwire
    await app.stop()


@pytest.mark.parametrize("place", PLACES)
async def test_interrupt_takes_over_in_every_state(hooked, place: str) -> None:
    dialog, tripwire = hooked
    await dialog.play([("student", "halo"), *[("student", s) for s in PATHS[place]]])
    sent = await dialog.say("student", "aku butuh TOLONG")
    assert [m.text for m in sent] == ["interrupted"]
    assert tripwire.seen[-1] == "aku butuh TOLONG"


async def test_interrupt_does_not_see_buttons_or_commands(hooked) -> None:
    dialog, tripwire = hooked
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]"),
                       ("student", "/help")])
    assert tripwire.seen == ["halo"]
