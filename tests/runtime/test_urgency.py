"""Urgency (bot/runtime/urgency.py): while crisis work is in flight, ordinary work waits
before it starts (bounded), in this worker and, told by NOTIFY, in the others."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.core.events import InboundEvent, Kind
from bot.runtime.urgency import Urgency
from tests.conftest import SECRET, enrol
from tests.dialog import RecordingChannel

ALERT = "BUTUH GURU BK SEKARANG"
_ids = itertools.count(1)


def _text(who: str, text: str) -> InboundEvent:
    return InboundEvent("test", f"u-{next(_ids)}", who, who, Kind.TEXT, text=text)


async def _turns(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_ordinary_work_waits_while_crisis_work_is_in_flight() -> None:
    urgency = Urgency(max_pause=60)
    said: list[str] = []
    urgency.announce = said.append
    await urgency.calm()  # nothing in flight: at once
    urgency.begin()
    waiter = asyncio.create_task(urgency.calm())
    await _turns()
    assert not waiter.done() and urgency.waiting == 1 and urgency.active
    urgency.end()
    await asyncio.wait_for(waiter, 5)
    assert not urgency.active and said == ["calm"]  # the other workers are told


async def test_a_pause_is_bounded() -> None:
    urgency = Urgency(max_pause=0.01)
    urgency.begin()  # never ended: ordinary work still goes, a little later
    await asyncio.wait_for(urgency.calm(), 5)
    assert urgency.waiting == 0


async def test_another_workers_crisis_pauses_until_its_calm() -> None:
    urgency = Urgency(max_pause=60, remote_pause=60)
    urgency.remote({"inbox", "urgent"})
    waiter = asyncio.create_task(urgency.calm())
    await _turns()
    assert not waiter.done()
    urgency.remote({"outbox"})  # other news changes nothing
    await _turns()
    assert not waiter.done()
    urgency.remote({"calm"})
    await asyncio.wait_for(waiter, 5)
    assert not urgency.active


async def test_an_announced_crisis_without_its_calm_stops_counting() -> None:
    urgency = Urgency(max_pause=60, remote_pause=0.01)  # the worker died before its calm
    urgency.remote({"urgent"})
    await asyncio.wait_for(urgency.calm(), 5)
    assert not urgency.active


@pytest.fixture
async def app(config: Config, clock: ManualClock) -> AsyncIterator[App]:
    channel = RecordingChannel()
    built = await App.build(config, {channel.name: channel}, clock=clock, secret=SECRET)
    await enrol(built, "bk", "counselor", "Bu Rina")
    built.urgency.max_pause = 60
    yield built
    await built.stop()


async def test_an_ordinary_event_waits_for_a_crisis_in_flight_and_a_crisis_does_not(
        app: App) -> None:
    """Crisis work is in flight (an alert being sent): a student's ordinary message is
    committed to the inbox but waits before its handling starts; another student's crisis
    is handled meanwhile; the ordinary one goes once the crisis work is done."""
    sent = app.channels["test"].sent  # type: ignore[attr-defined]
    app.urgency.begin()
    await app.dispatcher.accept(_text("s1", "halo"))
    await _turns()
    assert app.urgency.waiting == 1
    await asyncio.wait_for(app.dispatcher.accept(_text("s2", "aku pengen mati aja")), 10)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not await _crises(app):  # s2's case, reply and alert are committed
        assert loop.time() < deadline, "the crisis waited"
        await _turns(1)
    assert app.urgency.waiting == 1  # s1 still waits
    assert await asyncio.wait_for(app.sender.flush(), 10) >= 2  # s2's reply, guru BK's alert
    assert any(ALERT in m.text for m in sent if m.address == "bk")
    assert not any(m.address == "s1" for m in sent)
    app.urgency.end()
    await asyncio.wait_for(app.settle(), 10)
    assert any(m.address == "s1" for m in sent)


async def _crises(app: App) -> int:
    async with app.store.read(urgent=True) as db:
        return (await db.execute_fetchall(
            "SELECT COUNT(*) FROM cases WHERE level = 'crisis'"))[0][0]
