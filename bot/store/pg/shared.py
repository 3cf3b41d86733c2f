"""What the schools of one process share on one PostgreSQL database (issue #19).

Each school's store is a view (``PgStore``) bound to its school; the views of one process on
one URL share one ``Shared``: the two connection pools (ordinary and crisis), the LISTEN
connection and the two connections that hold recipient locks. It is reference-counted: made
by the first view, closed with the last.

Fairness (``Shares``): while more than one school is attached, no school holds more than its
share of a pool at once (``database.school_share``, at least one connection), so one school's
surge waits for its own connections and never takes all of them from the others. The crisis
pool is shared the same way (never capped below one connection per school): a crisis of any
school waits for no school's ordinary work. A single school has the whole pool, as before.

Lanes (``lane``): ordinary event handling holds at most the pool's size less
``FLOW_RESERVE`` connections, so what keeps messages flowing (committing a polled batch,
outbox bookkeeping: ``LANE_FLOW``) never waits behind a backlog of events, as SQLite's write
lock lets it go first (``bot/store/db.py``'s lanes). A pool smaller than twice the reserve
has none (a test's pool of one connection still serves everything).

Session locks (``Locks``): every school's running mark and singletons (Telegram polling) are
session advisory locks, held on one connection of the process, not one per school: 100
schools on a worker use that one connection, not 100 (or 200, with polling). When it dies
every lock on it goes at once (each singleton's ``lost`` is set; the marks are taken again on
the next connection), as each school's would have with its own connection.

A second view of a school already attached (tests run two "workers" in one process) gets a
``Shared`` of its own: one school's two workers never share a session and its locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import asyncpg

from bot.store.db import LANE_ORDINARY

log = logging.getLogger("sebaya.store.pg")
CHANNEL = "sebaya"  # the NOTIFY channel
FLOW_RESERVE = 2  # connections of the ordinary pool event handling never takes


# the (pool, school) shares the running unit of work holds (inherited by the tasks it starts)
_HOLDING: ContextVar[frozenset[tuple[int, str]]] = ContextVar("sebaya_holding",
                                                             default=frozenset())


class Shares:
    """How many connections of one pool each school holds, capped while schools share it,
    and how many ordinary event handling holds (all but ``reserve``: see ``FLOW_RESERVE``).
    Waiters are served first come, first served among those that fit (a school at its share
    does not hold up another school's waiter): under a saturating load a waiter is never
    overtaken again and again by newcomers."""

    def __init__(self, size: int, share: float, reserve: int = 0) -> None:
        self.size = size
        self.share = share
        self.events_cap = size - reserve
        self.events = 0  # connections event handling holds now
        self.held: Counter[str] = Counter()
        self.schools: Counter[str] = Counter()  # views attached, by school
        self._waiters: deque[tuple[str, bool, asyncio.Future]] = deque()

    def cap(self) -> int:
        """Connections one school may hold now: the whole pool for a single school."""
        if len(self.schools) <= 1:
            return self.size
        return max(1, math.ceil(self.size * self.share))

    def _fits(self, school: str, events: bool) -> bool:
        return self.held[school] < self.cap() and (not events or self.events < self.events_cap)

    def _take(self, school: str, events: bool) -> None:
        self.held[school] += 1
        self.events += events

    def _grant(self) -> None:
        """Give freed places to the waiters that fit, oldest first."""
        for waiter in list(self._waiters):
            school, events, future = waiter
            if future.done():
                self._waiters.remove(waiter)
            elif self._fits(school, events):
                self._waiters.remove(waiter)
                self._take(school, events)
                future.set_result(None)

    @asynccontextmanager
    async def hold(self, school: str, events: bool = False) -> AsyncIterator[None]:
        """Count one connection for ``school`` (waiting while it holds its share; for
        ``events``, event handling, also while that holds its part). A unit of work that
        already holds one (a read inside a transaction, the tasks it gathers) does not wait
        for its own share: the cap never deadlocks what the pool alone would not."""
        key = (id(self), school)
        holding = _HOLDING.get()
        if key in holding or self._fits(school, events):  # (no waiter fits: _grant ran)
            self._take(school, events)
        else:
            future = asyncio.get_running_loop().create_future()
            self._waiters.append((school, events, future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():  # granted as it was cancelled
                    self._release(school, events)
                raise
        token = _HOLDING.set(holding | {key})
        try:
            yield
        finally:
            _HOLDING.reset(token)
            self._release(school, events)

    def _release(self, school: str, events: bool) -> None:
        self.held[school] -= 1
        self.events -= events
        self._grant()

    async def changed(self) -> None:
        """The schools attached changed (and with them the cap): serve who fits now."""
        self._grant()


async def _reset(con: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool. asyncpg's default sends
    ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` every time (a round trip
    per use, three an event); pooled connections here hold no session state but the school of
    their last read (set again by the next one: ``PgStore.read``), person locks are
    transaction-scoped and LISTEN, recipient and singleton locks have connections of their
    own, so only a transaction left open (a cut-off one) is rolled back."""
    if con.is_in_transaction():
        await con.execute("ROLLBACK")


async def _init_connection(con: asyncpg.Connection) -> None:
    # SUM and AVG give numeric: as SQLite does, integers stay int, the rest is float
    await con.set_type_codec(
        "numeric", schema="pg_catalog", format="text", encoder=str,
        decoder=lambda text: int(text) if text.lstrip("-").isdigit() else float(text))


class Locks:
    """The process's session advisory locks (running marks, singletons) on one connection.

    A key is held once per process (a second ``try_lock`` of it is True without stacking the
    session's count); ``unlock`` frees it. Statements on the connection run one at a time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._con: asyncpg.Connection | None = None
        self._busy = asyncio.Lock()
        self.held: set[tuple[int, int]] = set()
        self.marks: set[tuple[int, int]] = set()  # shared locks: taken again on a new connection
        self._on_lost: dict[tuple[int, int], Callable[[], None]] = {}

    def _lost(self, _con: Any = None) -> None:
        """The connection died: every exclusive lock on it is gone; tell their holders."""
        self.held.clear()
        callbacks, self._on_lost = self._on_lost, {}
        for callback in callbacks.values():
            callback()

    async def _connection(self) -> asyncpg.Connection:
        if self._con is not None and not self._con.is_closed():
            return self._con
        if self._con is not None:
            self._con = None
            self._lost()
        con = await asyncpg.connect(self.url)
        con.add_termination_listener(self._lost)
        self._con = con
        for space, key in sorted(self.marks):  # the running marks of the lost connection
            await con.execute("SELECT pg_advisory_lock_shared($1, $2)", space, key)
        return con

    def alive(self) -> bool:
        return self._con is not None and not self._con.is_closed()

    def server_pid(self) -> int | None:
        return self._con.get_server_pid() if self.alive() else None  # type: ignore[union-attr]

    async def try_lock(self, space: int, key: int,
                       on_lost: Callable[[], None] | None = None) -> bool:
        """Hold (``space``, ``key``) exclusively in this process if no other session does;
        ``on_lost`` is called if the connection dies while it is held."""
        async with self._busy:
            con = await self._connection()
            if (space, key) not in self.held:
                if not await con.fetchval("SELECT pg_try_advisory_lock($1, $2)", space, key):
                    return False
                self.held.add((space, key))
            if on_lost is not None:
                self._on_lost[(space, key)] = on_lost
            return True

    async def unlock(self, space: int, key: int) -> None:
        async with self._busy:
            self._on_lost.pop((space, key), None)
            if (space, key) not in self.held:
                return
            self.held.discard((space, key))
            if self.alive():
                with contextlib.suppress(Exception):
                    await self._con.fetchval(  # type: ignore[union-attr]
                        "SELECT pg_advisory_unlock($1, $2)", space, key)

    async def try_mark(self, space: int, key: int) -> bool:
        """Hold (``space``, ``key``) shared (the running mark) unless someone holds it
        exclusively; kept across a lost connection (taken again on the next)."""
        async with self._busy:
            con = await self._connection()
            if (space, key) in self.marks:
                return True
            if await con.fetchval("SELECT pg_try_advisory_lock_shared($1, $2)", space, key):
                self.marks.add((space, key))
                return True
            return False

    async def unmark(self, space: int, key: int) -> None:
        async with self._busy:
            if (space, key) not in self.marks:
                return
            self.marks.discard((space, key))
            if self.alive():
                with contextlib.suppress(Exception):
                    await self._con.fetchval(  # type: ignore[union-attr]
                        "SELECT pg_advisory_unlock_shared($1, $2)", space, key)

    async def heartbeat(self) -> bool:
        """False when the connection is gone (its locks with it)."""
        async with self._busy:
            if not self.alive():
                if self._con is not None:
                    self._con = None
                    self._lost()
                return False
            try:
                await self._con.fetchval("SELECT 1")  # type: ignore[union-attr]
            except Exception:
                con, self._con = self._con, None
                with contextlib.suppress(Exception):
                    await con.close()  # type: ignore[union-attr]
                self._lost()
                return False
            return True

    async def close(self) -> None:
        con, self._con = self._con, None
        self.held.clear()
        self.marks.clear()
        self._on_lost = {}
        if con is not None:
            with contextlib.suppress(Exception):
                await con.close()


class Shared:
    """One process's pools, listener and lock connections on one database."""

    def __init__(self, url: str, pool: asyncpg.Pool, urgent: asyncpg.Pool, pool_size: int,
                 urgent_size: int, share: float) -> None:
        self.url = url
        self.pool = pool
        self.urgent = urgent
        reserve = FLOW_RESERVE if pool_size >= 2 * FLOW_RESERVE else 0
        self.shares = {False: Shares(pool_size, share, reserve),
                       True: Shares(urgent_size, share)}
        self.views = 0
        self._listener: asyncpg.Connection | None = None
        self._listening = asyncio.Lock()
        self._on_notify: dict[str, list[Callable[[set[str]], None]]] = {}
        # the recipient locks, on a connection per lane: a crisis drain's lock never waits
        # behind an ordinary pass taking the locks of many recipients
        self.drains: dict[bool, asyncpg.Connection | None] = {False: None, True: None}
        self.drains_lock = {False: asyncio.Lock(), True: asyncio.Lock()}
        self.locks = Locks(url)  # every school's running mark and singletons

    def hold(self, school: str, urgent: bool, lane: int | None
             ) -> contextlib.AbstractAsyncContextManager:
        """Count a connection of the crisis or the ordinary pool for ``school``: ordinary
        work without a lane (event handling) never takes the flow lane's reserve."""
        events = not urgent and lane in (None, LANE_ORDINARY)
        return self.shares[urgent].hold(school, events)

    @property
    def schools(self) -> Counter[str]:
        return self.shares[False].schools

    @classmethod
    async def create(cls, url: str, pool_size: int, urgent_size: int,
                     share: float) -> Shared:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size,
                                         init=_init_connection, reset=_reset)
        try:
            urgent = await asyncpg.create_pool(url, min_size=1, max_size=urgent_size,
                                               init=_init_connection, reset=_reset)
        except BaseException:
            await pool.close()
            raise
        return cls(url, pool, urgent, pool_size, urgent_size, share)

    def attach(self, school: str) -> None:
        self.views += 1
        for shares in self.shares.values():
            shares.schools[school] += 1

    async def detach(self, school: str) -> bool:
        """One view fewer; True when it was the last (then everything is closed)."""
        self.views -= 1
        for shares in self.shares.values():
            shares.schools[school] -= 1
            if shares.schools[school] <= 0:
                del shares.schools[school]
            await shares.changed()
        if self.views > 0:
            return False
        await self.close()
        return True

    # -- LISTEN: one connection, NOTIFY payloads say the school -------------------------------

    async def listen(self, school: str, on_notify: Callable[[set[str]], None]) -> None:
        self._on_notify.setdefault(school, []).append(on_notify)
        async with self._listening:  # schools starting together open one connection
            if self._listener is None:
                con = await asyncpg.connect(self.url)
                await con.add_listener(CHANNEL, self._received)
                self._listener = con

    def _received(self, _con: Any, _pid: int, _channel: str, payload: str) -> None:
        school, tables = parse_payload(payload)
        for on_notify in self._on_notify.get(school, ()):
            on_notify(tables)

    async def unlisten(self, school: str, on_notify: Callable[[set[str]], None] | None) -> None:
        """Stop one view's wake-ups; the LISTEN connection closes with the last."""
        if on_notify is not None:
            callbacks = self._on_notify.get(school, [])
            with contextlib.suppress(ValueError):
                callbacks.remove(on_notify)
            if not callbacks:
                self._on_notify.pop(school, None)
        if not self._on_notify and self._listener is not None:
            listener, self._listener = self._listener, None
            with contextlib.suppress(Exception):
                await listener.close()

    @property
    def listening(self) -> bool:
        return self._listener is not None

    async def drains_connection(self, urgent: bool) -> asyncpg.Connection:
        con = self.drains[urgent]
        if con is None or con.is_closed():
            con = self.drains[urgent] = await asyncpg.connect(self.url)
        return con

    async def close(self) -> None:
        await self.locks.close()
        self._on_notify.clear()
        await self.unlisten("", None)
        for con in self.drains.values():
            if con is not None:
                with contextlib.suppress(Exception):
                    await con.close()
        for pool in (self.pool, self.urgent):
            with contextlib.suppress(Exception):
                await pool.close()


def notify_payload(school: str, tables: str) -> str:
    """What a commit's NOTIFY says: the school, then the tables it inserted into."""
    return f"{school}:{tables}"


def parse_payload(payload: str) -> tuple[str, set[str]]:
    """(school, tables) of a NOTIFY payload (one without a school: a worker from before
    schools, the implicit one)."""
    school, colon, tables = payload.partition(":")
    if not colon:
        school, tables = "default", payload
    return school, set(tables.split(","))


class Registry:
    """The ``Shared`` of each database this process uses (by URL)."""

    def __init__(self) -> None:
        self._shared: dict[str, list[Shared]] = {}
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _guard(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:  # tests run many event loops
            self._lock, self._loop = asyncio.Lock(), loop
            self._shared = {url: [s for s in found if s.pool._loop is loop]
                            for url, found in self._shared.items()}
        return self._lock

    async def join(self, url: str, school: str, pool_size: int, urgent_size: int,
                   share: float) -> Shared:
        """The shared pools to use for ``school`` on ``url`` (made if none lacks it)."""
        async with self._guard():
            found = self._shared.setdefault(url, [])
            for shared in found:
                if school not in shared.schools:
                    break
            else:
                shared = await Shared.create(url, pool_size, urgent_size, share)
                found.append(shared)
            shared.attach(school)
            return shared

    async def leave(self, shared: Shared, school: str) -> None:
        async with self._guard():
            if await shared.detach(school):
                found = self._shared.get(shared.url, [])
                if shared in found:
                    found.remove(shared)
                if not found:
                    self._shared.pop(shared.url, None)

    def open_on(self, url: str) -> int:
        """How many shared pools this process holds on ``url`` (tests)."""
        return len(self._shared.get(url, []))


REGISTRY = Registry()
