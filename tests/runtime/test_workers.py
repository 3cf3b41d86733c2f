"""Several workers on one PostgreSQL database (each an ``App`` with its own pools, locks and
loops, as separate ``sebaya run`` processes would be): one person's events in order, every
claim exactly once, singletons that fail over, and polling when a NOTIFY is lost."""

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
from bot.core.keys import UserKey
from bot.store import inbox, outbox, timers
from bot.store.singleton import Singleton
from tests.conftest import SECRET
from tests.dialog import RecordingChannel

_ids = itertools.count(1)


def _text(who: str, text: str) -> InboundEvent:
    return InboundEvent("test", f"w-{next(_ids)}", who, who, Kind.TEXT, text=text)


@pytest.fixture
def pg_config(config: Config, pg_url: str) -> Config:
    return config.model_copy(update={"database": config.database.model_copy(
        update={"url": pg_url})})


@pytest.fixture
async def workers(pg_config: Config, clock: ManualClock) -> AsyncIterator[list[App]]:
    apps = []
    for _ in range(2):
        channel = RecordingChannel()
        apps.append(await App.build(pg_config, {channel.name: channel}, clock=clock,
                                    secret=SECRET))
    yield apps
    for app in apps:
        await app.stop()


async def _settle(apps: list[App]) -> None:
    """Handle everything, as running workers would: what a busy worker left is swept."""
    while True:
        await asyncio.gather(*(app.dispatcher.drain() for app in apps))
        if not sum([await app.dispatcher.sweep() for app in apps]):
            return


def _spy(apps: list[App]) -> list[tuple[int, str]]:
    """(worker, text) of every student text the cores handle, in the order they do."""
    handled: list[tuple[int, str]] = []
    for n, app in enumerate(apps):
        original = app.core.handle

        def spy(turn, original=original, n=n):
            handled.append((n, turn.text))
            return original(turn)

        app.core.handle = spy  # type: ignore[method-assign]
    return handled


async def test_one_persons_200_events_on_two_workers_are_handled_in_inbox_order(
        workers: list[App]) -> None:
    handled = _spy(workers)
    events = [_text("student", f"pesan {n:03d}") for n in range(200)]
    ids = await asyncio.gather(*(workers[n % 2].dispatcher.accept(event)
                                 for n, event in enumerate(events)))
    await _settle(workers)  # more than a worker takes on at once: some are left and swept
    by_id = [event.text for _, event in sorted(zip(ids, events, strict=True))]
    assert [text for _, text in handled] == by_id  # each once, in the order they arrived
    assert {worker for worker, _ in handled} == {0, 1}  # both workers did some of it
    async with workers[0].store.read() as db:
        assert await inbox.pending(db) == []


async def test_many_people_on_two_workers_each_in_order(workers: list[App]) -> None:
    handled = _spy(workers)
    events = [_text(f"s{n % 10}", f"s{n % 10} {n:03d}") for n in range(100)]
    for n, event in enumerate(events):  # each person's events alternate between workers
        await workers[n % 2].dispatcher.accept(event)
    await asyncio.gather(*(app.dispatcher.drain() for app in workers))
    assert sorted(text for _, text in handled) == sorted(e.text for e in events)
    for person in range(10):
        mine = [text for _, text in handled if text.startswith(f"s{person} ")]
        assert mine == sorted(mine)


async def test_a_dead_workers_accepted_events_are_swept_up_by_another(
        workers: list[App], clock: ManualClock) -> None:
    """Accepted (committed) but never handled: its worker died. Another one sweeps."""
    dead, alive = workers
    handled = _spy(workers)
    dead.dispatcher._schedule = lambda *args, **kwargs: False  # type: ignore[method-assign]
    await dead.dispatcher.accept(_text("student", "halo"))
    assert await alive.dispatcher.sweep() == 0  # leased to the accepting worker
    clock.advance(seconds=31)  # its lease runs out
    assert await alive.dispatcher.sweep() == 1
    await alive.dispatcher.drain()
    assert handled == [(1, "halo")]
    assert await alive.dispatcher.sweep() == 0  # handled exactly once


async def test_a_busy_worker_leaves_new_events_to_the_others_at_once(
        workers: list[App]) -> None:
    """The poller (one worker) is not the only one handling: beyond its capacity, events
    stay unleased and the other workers' sweeps claim them, each by one of them."""
    busy, idle = workers
    handled = _spy(workers)
    busy.dispatcher.capacity = 0
    crisis = _text("s9", "aku pengen mati aja")
    await busy.dispatcher.accept_many([_text(f"s{n}", f"halo {n}") for n in range(6)] + [crisis])
    assert await busy.dispatcher.sweep() == 0  # too busy to take any
    assert await idle.dispatcher.sweep() == 6  # the crisis stayed with the one that accepted it
    assert await idle.dispatcher.sweep() == 0
    await asyncio.gather(*(app.dispatcher.drain() for app in workers))
    assert sorted(handled) == sorted([(0, crisis.text)] + [(1, f"halo {n}") for n in range(6)])


async def test_due_timers_are_claimed_exactly_once_by_racing_workers(
        workers: list[App], clock: ManualClock) -> None:
    owners = [UserKey(f"owner-{n:03d}") for n in range(100)]
    async with workers[0].store.transaction() as db:
        for owner in owners:
            await timers.start(db, owner, "test", clock.now(), {})
    claimed: list[int] = []

    async def claimer(app: App) -> None:
        while True:
            async with app.store.read() as db:
                due = await timers.due(db, clock.now(), limit=10)
            if not due:
                return
            for row in due:
                async with app.store.transaction() as db:
                    if await timers.claim(db, row.id, clock.now()) is not None:
                        claimed.append(row.id)

    await asyncio.gather(*(claimer(app) for app in workers for _ in range(2)))
    assert len(claimed) == 100 and len(set(claimed)) == 100


async def test_outbox_rows_go_once_each_and_in_order_per_recipient(
        workers: list[App], clock: ManualClock) -> None:
    vault = workers[0].vault
    async with workers[0].store.transaction() as db:
        for n in range(5):
            for person in range(20):
                await outbox.enqueue(db, "test", f"r{person}", vault.seal(f"addr{person}"),
                                     f"{person}:{n}", (), 0, clock.now(), vault.seal)
    await asyncio.gather(*(app.sender.flush() for app in workers),
                         *(app.sender.send_due() for app in workers))
    await asyncio.gather(*(app.sender.flush() for app in workers))
    sent = [m for app in workers for m in app.channels["test"].sent]  # type: ignore[attr-defined]
    assert sorted(m.text for m in sent) == sorted(f"{p}:{n}" for p in range(20)
                                                  for n in range(5))
    for person in range(20):  # each recipient was served by one worker at a time, in order
        for app in workers:
            mine = [int(m.text.split(":")[1]) for m in app.channels["test"].sent  # type: ignore
                    if m.text.startswith(f"{person}:")]
            assert mine == sorted(mine)


async def test_the_polling_singleton_moves_to_another_worker_when_its_holder_dies(
        workers: list[App], pg_url: str, pg_server) -> None:
    first = Singleton(workers[0].store, "telegram-polling")
    second = Singleton(workers[1].store, "telegram-polling")
    assert await first.try_acquire()
    assert not await second.try_acquire()
    admin = await asyncpg.connect(pg_server.admin_url(pg_url))  # may end any session
    try:  # the holder's process dies: the database ends its session (waiting until it has)
        pid = first.server_pid()
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await admin.close()
    assert await second.try_acquire()
    assert not await first.still_held() and first.lost.is_set()
    assert not await first.try_acquire()  # it may not come back while the other holds it
    await second.release()
    assert await first.try_acquire()
    await first.release()


async def test_a_lost_notify_is_made_up_for_by_polling(workers: list[App],
                                                       clock: ManualClock) -> None:
    """NOTIFY has no replay: a worker that missed one (it is not listening at all here)
    finds the work at its next poll."""
    worker, other = workers
    worker.timers.poll = 0.05
    fired, passes = _instrument(worker)
    loop = asyncio.create_task(worker.timers.run())
    try:
        await passes.get()  # asleep now, and nobody will wake it
        async with other.store.transaction() as db:  # written by the other worker
            await timers.start(db, UserKey("nobody"), "test", clock.now(), {})
        await asyncio.wait_for(fired.wait(), timeout=10)
    finally:
        loop.cancel()


async def test_a_notify_wakes_another_worker_at_once(workers: list[App],
                                                     clock: ManualClock) -> None:
    worker, other = workers
    worker.timers.poll = 3600  # only the NOTIFY can wake it in time
    await worker.store.listen(worker._notified)
    fired, passes = _instrument(worker)
    loop = asyncio.create_task(worker.timers.run())
    try:
        await passes.get()
        async with other.store.transaction() as db:
            await timers.start(db, UserKey("nobody"), "test", clock.now(), {})
        await asyncio.wait_for(fired.wait(), timeout=10)
    finally:
        loop.cancel()


def _instrument(app: App) -> tuple[asyncio.Event, asyncio.Queue]:
    """(set when a timer is fired, one item per finished pass of the timer loop)."""
    fired, passes = asyncio.Event(), asyncio.Queue()
    fire, one_pass = app.dispatcher.fire_timer, app.timers._pass

    async def recording(timer_id: int) -> None:
        fired.set()
        await fire(timer_id)

    async def counted():
        result = await one_pass()
        passes.put_nowait(result)
        return result

    app.dispatcher.fire_timer = recording  # type: ignore[method-assign]
    app.timers._pass = counted  # type: ignore[method-assign]
    return fired, passes


async def test_a_database_restart_loses_nothing_and_handles_nothing_twice(
        workers: list[App], pg_server) -> None:
    """PostgreSQL restarts between and during work: pooled connections die; events that
    met a dead connection stay pending (never failed) and are swept up once it is back."""
    handled = _spy(workers)
    before = [_text(f"s{n % 3}", f"sebelum {n}") for n in range(12)]
    for n, event in enumerate(before):
        await workers[n % 2].dispatcher.accept(event)
    await asyncio.gather(*(app.dispatcher.drain() for app in workers))
    # the restart runs while events are accepted and handled: every pooled connection of
    # both workers is cut, some in the middle of a transaction
    restart = asyncio.ensure_future(asyncio.to_thread(pg_server.restart))
    after = [_text(f"s{n % 3}", f"sesudah {n}") for n in range(12)]
    for n, event in enumerate(after):
        while True:  # a channel repeats an accept that failed (Telegram: the offset was not
            try:  # confirmed; WhatsApp: the 500 makes Meta deliver it again)
                await workers[n % 2].dispatcher.accept(event)
                break
            except workers[0].store.unavailable:
                await restart  # it is back once the restart is over
    await restart
    await asyncio.gather(*(app.dispatcher.drain() for app in workers))
    workers[0].clock.advance(seconds=31)  # leases of events that met a dead connection end
    for _ in range(5):
        swept = sum([await app.dispatcher.sweep() for app in workers])
        await asyncio.gather(*(app.dispatcher.drain() for app in workers))
        if not swept:
            break
    texts = [text for _, text in handled]
    assert set(texts) == {e.text for e in before + after}  # none lost
    for person in range(3):
        # A transaction the restart cut after the core ran is rolled back and the event handled
        # again, before that person's next one (their lock and the oldest-first rule): an
        # attempt that committed nothing may repeat, right after itself, never out of order.
        mine = [e.text for e in before + after if e.user_id == f"s{person}"]
        attempts = [t for t in texts if t in mine]
        assert [t for i, t in enumerate(attempts) if i == 0 or attempts[i - 1] != t] == mine
    async with workers[0].store.read() as db:
        assert await inbox.pending(db) == []
        failed = await db.execute_fetchall("SELECT COUNT(*) FROM inbox WHERE status = 'failed'")
        done = await db.execute_fetchall("SELECT COUNT(*) FROM inbox WHERE status = 'done'")
    assert failed[0][0] == 0
    assert done[0][0] == len(before) + len(after)  # each committed once (the conditional claim)


async def test_events_a_worker_keeps_wake_no_other_worker_those_it_leaves_do(
        workers: list[App]) -> None:
    """An inbox NOTIFY is for events left to the others (this worker too busy); events the
    accepting worker leased to itself wake nobody (two workers: every event woke the other's
    sweep for a transaction that found nothing)."""
    accepting, other = workers
    await other.store.listen(other._notified)
    other.sweep_wake.clear()
    await accepting.dispatcher.accept(_text("s1", "halo"))
    await asyncio.sleep(0.3)  # a NOTIFY would have arrived by now
    assert not other.sweep_wake.is_set()
    accepting.dispatcher.capacity = 0  # too busy: left to the others
    await accepting.dispatcher.accept(_text("s2", "halo"))
    await asyncio.wait_for(other.sweep_wake.wait(), 5)
    await asyncio.gather(*(app.dispatcher.drain() for app in workers))


async def test_a_crisis_accepted_by_one_worker_pauses_the_others_until_its_calm(
        workers: list[App]) -> None:
    """The commit of a crisis to the inbox says ``urgent`` to every worker (NOTIFY): their
    ordinary work waits before it starts; the worker's ``calm`` ends the pause."""
    accepting, other = workers
    other.urgency.max_pause = other.urgency.remote_pause = 60
    told: asyncio.Queue[set[str]] = asyncio.Queue()

    def notified(tables: set[str]) -> None:
        other._notified(tables)
        told.put_nowait(tables)

    await other.store.listen(notified)
    await accepting.dispatcher.accept(_text("sK", "aku pengen mati aja"))
    while "urgent" not in await asyncio.wait_for(told.get(), 10):
        pass
    assert other.urgency.active
    waiter = asyncio.create_task(other.urgency.calm())
    await accepting.store.announce("calm")  # what its urgency says once the alert is sent
    await asyncio.wait_for(waiter, 10)
    assert not other.urgency.active
    await accepting.dispatcher.drain()


async def test_a_worker_that_left_events_when_busy_sweeps_as_soon_as_it_has_room(
        workers: list[App]) -> None:
    """Events beyond a worker's capacity stay unleased for any sweep; when no other worker
    takes them, the worker's own sweep is woken as soon as one of its events is done (it
    waited for the next poll, 5 s: the e2e bench's slowest messages with one worker)."""
    worker = workers[0]
    worker.dispatcher.capacity = 1
    woken: list[bool] = []
    worker.dispatcher.on_room = lambda: woken.append(True)
    await worker.dispatcher.accept_many([_text(f"r{n}", f"halo {n}") for n in range(3)])
    assert not woken
    await worker.dispatcher.drain()
    assert woken  # room again, and events were left: sweep now
    assert await worker.dispatcher.sweep() >= 1  # what was left, claimed by its own sweep
