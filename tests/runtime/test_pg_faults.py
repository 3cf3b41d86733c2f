"""Faults on PostgreSQL: a connection pool exhausted by load gives back-pressure (events wait
for a connection; nothing errors, nothing is lost), and a person whose row or lock is held by
a slow transaction never holds up another person's crisis."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import Config
from bot.core.events import InboundEvent, Kind
from bot.store import inbox, timers
from bot.store.pg.store import PERSON_SPACE, lock_key
from tests.conftest import SECRET, enrol
from tests.dialog import RecordingChannel

ERROR_TEXT = "ada gangguan di sistem kami"
ALERT = "BUTUH GURU BK SEKARANG"
_ids = itertools.count(1)


def _text(who: str, text: str) -> InboundEvent:
    return InboundEvent("test", f"f-{next(_ids)}", who, who, Kind.TEXT, text=text)


def _tiny(config: Config, pg_url: str) -> Config:
    """One ordinary connection and one for crisis work: the smallest pools there are (on the
    database the config already names in the PostgreSQL pass, else on a fresh one)."""
    return config.model_copy(update={"database": config.database.model_copy(
        update={"url": config.database_url() or pg_url, "pool_size": 1,
                "crisis_pool_size": 1})})


@pytest.fixture
async def tiny(config: Config, pg_url: str, clock: ManualClock) -> AsyncIterator[App]:
    channel = RecordingChannel()
    app = await App.build(_tiny(config, pg_url), {channel.name: channel}, clock=clock,
                          secret=SECRET)
    await enrol(app, "bk", "counselor", "Bu Rina")
    yield app
    await app.stop()


async def _count(app: App, sql: str) -> int:
    async with app.store.read(urgent=True) as db:
        return (await db.execute_fetchall(sql))[0][0]


async def test_an_exhausted_pool_makes_events_wait_and_loses_nothing(tiny: App) -> None:
    """60 events of 20 people and a crisis at once through one connection: they queue for
    it, and every one is handled, in order per person, with no error sent to anyone."""
    events = [_text(f"s{n % 20}", "halo" if n < 20 else "/help") for n in range(60)]
    events.insert(30, _text("c1", "aku pengen mati aja"))
    ids = await asyncio.gather(*(tiny.dispatcher.accept(event) for event in events))
    assert all(ids)  # every one committed to the inbox (the intake waited for its turn too)
    await tiny.settle()
    assert await _count(tiny, "SELECT COUNT(*) FROM inbox WHERE status = 'done'") == 61
    assert await _count(tiny, "SELECT COUNT(*) FROM inbox WHERE status != 'done'") == 0
    sent = tiny.channels["test"].sent  # type: ignore[attr-defined]
    assert not [m for m in sent if ERROR_TEXT in m.text]
    assert {m.address for m in sent} >= {f"s{n}" for n in range(20)} | {"c1", "bk"}
    assert any(ALERT in m.text for m in sent if m.address == "bk")


async def test_a_held_lock_on_one_person_never_holds_another_persons_crisis(
        tiny: App) -> None:
    """Person A's lock is held by a long transaction elsewhere (a slow query, a stuck
    worker), and A's next event waits for it on the only ordinary connection. Person B's
    crisis meanwhile is committed (case, alert, ladder timer) on the crisis pool."""
    a_key = tiny.vault.user_key("test", "sA").value
    holder = await asyncpg.connect(tiny.config.database_url())  # the app's own database
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1, $2)",
                             *lock_key(PERSON_SPACE, a_key))
        await tiny.dispatcher.accept(_text("sA", "halo"))  # waits for A's lock, holding the
        await asyncio.sleep(0.2)                            # ordinary pool's one connection
        assert await _count(tiny, "SELECT COUNT(*) FROM inbox WHERE status = 'pending'") == 1
        await asyncio.wait_for(tiny.dispatcher.accept(_text("sB", "aku pengen mati aja")), 5)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not await _count(tiny, "SELECT COUNT(*) FROM outbox WHERE priority > 0 "
                               "AND audience = 'staff'"):  # guru BK's alert is queued
            assert loop.time() < deadline, "B's crisis was not committed while A was held"
            await asyncio.sleep(0.05)
        assert await _count(tiny, "SELECT COUNT(*) FROM cases WHERE level = 'crisis'") == 1
        assert await _count(tiny, "SELECT COUNT(*) FROM timers WHERE kind = 'crisis_ladder'") == 1
        async with tiny.store.read(urgent=True) as db:  # A is still waiting
            assert len(await inbox.pending(db)) == 1
    finally:
        await transaction.rollback()
        await holder.close()
    await tiny.settle()  # A's lock is free: A is handled now
    assert await _count(tiny, "SELECT COUNT(*) FROM inbox WHERE status = 'done'") == 2


async def test_a_held_lock_on_one_person_never_holds_the_crisis_ladder_of_another(
        tiny: App, clock: ManualClock) -> None:
    """Person A's timer is due first, but A's lock is held elsewhere: the timer pass leaves
    it due (not waited for) and climbs person B's crisis ladder; A's timer fires later."""
    await tiny.dispatcher.accept(_text("sB", "aku pengen mati aja"))
    await tiny.settle()
    a_key = tiny.vault.user_key("test", "sA")
    async with tiny.store.transaction() as db:
        await timers.start(db, a_key, "test", clock.now(), {})  # due now, before B's step
    clock.advance(minutes=6)  # the ladder's first step (5 minutes) is over
    holder = await asyncpg.connect(tiny.config.database_url())  # the app's own database
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1, $2)",
                             *lock_key(PERSON_SPACE, a_key.value))
        assert await asyncio.wait_for(tiny.timers.fire_due(), 5) == 1  # B's, not A's
        assert await _count(tiny, "SELECT COUNT(*) FROM audit WHERE action = "
                            "'crisis_realert'") == 1
        assert await _count(tiny, "SELECT COUNT(*) FROM timers WHERE kind = 'test'") == 1
    finally:
        await transaction.rollback()
        await holder.close()
    assert await tiny.timers.fire_due() == 1  # A is free: its timer fires now
    assert await _count(tiny, "SELECT COUNT(*) FROM timers WHERE kind = 'test'") == 0


async def test_a_crisis_alert_is_sent_while_ordinary_work_holds_every_connection(
        tiny: App) -> None:
    """The ordinary pool's one connection is held (a backlog of events, a slow query): a
    crisis is still handled and its alert sent, the urgent lane's outbox read, recipient
    claim and re-check all on the crisis pool."""
    release, held = asyncio.Event(), asyncio.Event()

    async def hold_the_pool() -> None:
        async with tiny.store.transaction() as db:
            await db.execute("SELECT 1")
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_pool())
    try:
        await asyncio.wait_for(held.wait(), 5)
        await asyncio.wait_for(tiny.dispatcher.accept(_text("sC", "aku pengen mati aja")), 5)
        await asyncio.wait_for(tiny.dispatcher.drain(), 5)
        assert await asyncio.wait_for(tiny.sender.send_urgent(), 5) >= 1
        sent = tiny.channels["test"].sent  # type: ignore[attr-defined]
        assert any(ALERT in m.text for m in sent if m.address == "bk")
    finally:
        release.set()
        await holder
