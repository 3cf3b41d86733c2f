"""Durable timers with an injected clock: no sleeps, and they survive a restart."""

from __future__ import annotations

from bot.app import App
from tests.conftest import SECRET
from tests.dialog import Dialog, RecordingChannel


async def test_one_gentle_nudge_when_a_student_stops_halfway(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]")])
    assert await dialog.tick(minutes=29) == []
    sent = await dialog.tick(minutes=2)
    assert sent[0].text.startswith("Hai, masih di sana?")
    assert sent[-1].buttons  # the open question, again
    assert await dialog.tick(hours=5) == []  # only once


async def test_nudge_is_cancelled_when_the_student_moves_on(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Oke, lanjut]")])
    await dialog.tick(minutes=20)
    await dialog.press("student", "Keluarga")
    sent = await dialog.tick(minutes=20)
    assert sent == []  # the first timer was replaced by the new state's
    sent = await dialog.tick(minutes=11)
    assert sent[0].text.startswith("Hai, masih di sana?")


async def test_no_nudge_after_the_flow_ended(dialog: Dialog) -> None:
    await dialog.play([("student", "halo"), ("student", "[Nanti aja]")])
    assert await dialog.tick(hours=2) == []


async def test_a_timer_survives_a_restart(config, clock) -> None:
    channel = RecordingChannel()
    first = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    await Dialog(first, channel).play([("student", "halo")])
    await first.stop()

    before = len(channel.sent)
    second = await App.build(config, {"test": channel}, clock=clock, secret=SECRET)
    try:
        clock.advance(minutes=31)
        await second.settle()
        after_restart = [m.text for m in channel.sent[before:]]
        assert after_restart[0].startswith("Hai, masih di sana?")
        assert len(after_restart) == 1  # one gentle line with the buttons: the consent text
        assert channel.sent[-1].buttons  # about danger is not repeated on a lock screen
    finally:
        await second.stop()


async def test_a_stale_fire_never_claims_the_next_rounds_timer(dialog: Dialog) -> None:
    """Timer ids are reused after a delete: the second of two passes that saw the same due id
    must not take the next round's timer (it sent every offer twice)."""
    import datetime as dt

    from bot.core.keys import UserKey
    from bot.store import timers

    now = dialog.app.clock.now()
    owner = UserKey("k" * 32)
    async with dialog.app.store.transaction() as db:
        await timers.start(db, owner, "offer", now, {"round": 0})
        [due] = await timers.due(db, now)
        assert await timers.claim(db, due.id, now) is not None  # the first pass
        await timers.start(db, owner, "offer", now + dt.timedelta(minutes=10), {"round": 1})
        assert await timers.claim(db, due.id, now) is None  # the stale second pass
