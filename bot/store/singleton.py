"""Work that only one worker may do at a time (Telegram long polling): a singleton.

On SQLite there is one process, so the work simply runs. On PostgreSQL each worker tries a
session advisory lock on a connection of its own; the holder runs the work, the others try
again every ``retry`` seconds (each school's singletons are its own: the lock's name carries
the school). The lock goes with its connection: when the holder dies (or its
connection does), the database releases it and another worker takes over at its next try. A
holder that loses its connection (a termination, or a failed heartbeat) stops the work at once,
before anyone else can start it twice for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("sebaya.singleton")
SINGLETON_SPACE = 0x5E8A_0003


class Singleton:
    """One named singleton for one worker."""

    def __init__(self, store: Any, name: str, retry: float = 2.0) -> None:
        self.store = store
        self.name = name
        self.retry = retry
        self._con: Any = None
        self.lost = asyncio.Event()

    @property
    def shared(self) -> bool:
        return bool(getattr(self.store, "several_workers", False))

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this worker holds it now."""
        if not self.shared:
            return True
        if self._con is not None and not self._con.is_closed():
            return True
        self._con = None
        from bot.store.pg.store import UNAVAILABLE, lock_key

        try:
            con = await self.store.connect()
        except UNAVAILABLE:
            return False
        try:
            held = await con.fetchval("SELECT pg_try_advisory_lock($1, $2)",
                                      *lock_key(SINGLETON_SPACE,
                                                self.store.lock_name(self.name)))
        except UNAVAILABLE:
            held = False
        if not held:
            with contextlib.suppress(Exception):
                await con.close()
            return False
        self.lost.clear()
        con.add_termination_listener(lambda _con: self.lost.set())
        self._con = con
        log.info("this worker now runs %s", self.name)
        return True

    async def still_held(self) -> bool:
        """A heartbeat: False (and ``lost`` set) when the lock's connection is gone."""
        if not self.shared:
            return True
        if self._con is None or self._con.is_closed():
            self.lost.set()
            self._con = None
            return False
        try:
            await self._con.fetchval("SELECT 1")
        except Exception:
            self.lost.set()
            await self.release()
            return False
        return True

    async def release(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            with contextlib.suppress(Exception):
                await con.close()  # closing the session releases its advisory locks

    async def run(self, work: Callable[[asyncio.Event], Awaitable[None]],
                  stopping: asyncio.Event) -> None:
        """Run ``work(stop)`` whenever this worker holds the lock, until ``stopping``; the
        work is cancelled when the lock is lost or on stopping (``stop`` is set first)."""
        while not stopping.is_set():
            if not await self.try_acquire():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.retry):
                        await stopping.wait()
                continue
            stop = asyncio.Event()
            task = asyncio.create_task(work(stop))
            lost = asyncio.create_task(self.lost.wait())
            halt = asyncio.create_task(stopping.wait())
            try:
                while not task.done() and not stopping.is_set():
                    await asyncio.wait({task, lost, halt}, timeout=self.retry,
                                       return_when=asyncio.FIRST_COMPLETED)
                    if stopping.is_set() or task.done():
                        break
                    if self.lost.is_set() or not await self.still_held():
                        log.warning("lost the %s lock: stopping it here", self.name)
                        break
            finally:
                lost.cancel()
                halt.cancel()
                stop.set()
                task.cancel()  # polling is safe to cut: a batch is committed before its offset
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                await self.release()
