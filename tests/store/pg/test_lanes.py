"""The lanes of the PostgreSQL pools (bot/store/pg/shared.py): what keeps messages flowing
(committing a polled batch, outbox bookkeeping: ``LANE_FLOW``) always finds a connection that
ordinary event handling cannot take, as SQLite's write lock lets it go first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.core.identity import IdentityVault
from bot.store.db import LANE_FLOW
from bot.store.pg.shared import FLOW_RESERVE, Shares
from bot.store.pg.store import PgStore
from tests.pgserver import owner_url

SECRET = b"lanes-secret-0123456789abcdefghij"


@pytest.fixture
async def url(pg_server) -> AsyncIterator[str]:
    found = pg_server.migrated_database()
    yield found
    pg_server.release(found)


async def _open(url: str, **options) -> PgStore:
    return await PgStore.open(url, IdentityVault(SECRET), migrate_url=owner_url(url),
                              **options)


async def _holding(store: PgStore, started: asyncio.Event, release: asyncio.Event) -> None:
    async with store.transaction() as db:  # an ordinary event's transaction
        await db.execute("SELECT 1")
        started.set()
        await release.wait()


async def test_event_handling_never_takes_the_connections_kept_for_intake(url) -> None:
    """A pool of 4: event handling holds all it may (4 - FLOW_RESERVE) and more events
    queue for connections; a polled batch's commit (LANE_FLOW) still gets one at once,
    and the queued events go once the others are done."""
    store = await _open(url, pool_size=4, urgent_size=1)
    release, later = asyncio.Event(), asyncio.Event()
    started = [asyncio.Event() for _ in range(4 - FLOW_RESERVE)]
    late = [asyncio.Event() for _ in range(FLOW_RESERVE)]
    try:
        holders = [asyncio.create_task(_holding(store, e, release)) for e in started]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 10)
        queued = [asyncio.create_task(_holding(store, e, later)) for e in late]
        for _ in range(5):  # the queued events ask for their connections first
            await asyncio.sleep(0)
        async with asyncio.timeout(10), store.transaction(lane=LANE_FLOW) as db:
            assert (await db.execute_fetchall("SELECT 2"))[0][0] == 2
        assert not any(e.is_set() for e in late)  # they wait for event handling's own
        release.set()
        await asyncio.wait_for(asyncio.gather(*holders), 10)
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in late)), 10)
        later.set()
        await asyncio.wait_for(asyncio.gather(*queued), 10)
    finally:
        release.set()
        later.set()
        await store.close()


async def test_intake_and_outbox_reads_may_use_the_whole_pool(url) -> None:
    """The reserve only holds event handling back: the flow lane may take every connection."""
    store = await _open(url, pool_size=4, urgent_size=1)
    try:
        async with asyncio.timeout(10), store.transaction(lane=LANE_FLOW) as a, \
                store.read(lane=LANE_FLOW) as b, store.transaction(lane=LANE_FLOW) as c, \
                store.read(lane=LANE_FLOW) as d:
            for db in (a, b, c, d):
                await db.execute("SELECT 1")
    finally:
        await store.close()


async def _turns(n: int = 10) -> None:
    """Let every ready task run a few steps (no time passes)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_waiter_is_served_before_a_later_one_under_load() -> None:
    """A place freed goes to the oldest waiter that fits, not to whoever asks next: under a
    saturating load the same event was overtaken again and again (a student waited 30 s)."""
    shares = Shares(4, 1.0, reserve=2)  # event handling: 2 places
    order: list[str] = []
    done = {name: asyncio.Event() for name in "abwn"}

    async def work(name: str) -> None:
        async with shares.hold("default", events=True):
            order.append(name)
            await done[name].wait()

    tasks = [asyncio.create_task(work(name)) for name in "ab"]
    await _turns()
    tasks.append(asyncio.create_task(work("w")))  # waits: both places are held
    await _turns()
    assert order == ["a", "b"]
    done["a"].set()  # a place frees, and a newcomer asks at once
    tasks.append(asyncio.create_task(work("n")))
    await _turns()
    assert order == ["a", "b", "w"]
    for event in done.values():
        event.set()
    await asyncio.gather(*tasks)
    assert order == ["a", "b", "w", "n"] and shares.events == 0


async def test_a_waiter_of_a_school_at_its_share_does_not_hold_up_another_school() -> None:
    shares = Shares(4, 0.25)
    shares.schools.update({"smpn1": 1, "smpn2": 1})
    release = asyncio.Event()
    got: list[str] = []

    async def work(school: str) -> None:
        async with shares.hold(school):
            got.append(school)
            await release.wait()

    tasks = [asyncio.create_task(work(s)) for s in ("smpn1", "smpn1", "smpn2")]
    await _turns()
    assert got == ["smpn1", "smpn2"]  # smpn1's second waits for its own share only
    release.set()
    await asyncio.gather(*tasks)
