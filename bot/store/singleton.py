"""Work that only one worker may do at a time (Telegram long polling): a singleton.

On SQLite there is one process, so the work simply runs. On PostgreSQL each worker tries a
session advisory lock on its process's lock connection (one for every school of the process:
``bot/store/pg/shared.py``, ``Locks``); the holder runs the work, the others try again every
``retry`` seconds (each school's singletons are its own: the lock's name carries the school).
The lock goes with its connection: when the holder dies (or its connection does), the
database releases it and another worker takes over at its next try. A holder that loses its
connection (a termination, or a failed heartbeat) stops the work at once, before anyone else
can start it twice for long.
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
        self._held = False
        self.lost = asyncio.Event()

    @property
    def shared(self) -> bool:
        return bool(getattr(self.store, "several_workers", False))

    def _key(self) -> tuple[int, int]:
        from bot.store.pg.store import lock_key

        return lock_key(SINGLETON_SPACE, self.store.lock_name(self.name))

    def _lost(self) -> None:
        self._held = False
        self.lost.set()

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this worker holds it now."""
        if not self.shared:
            return True
        locks = self.store.locks
        if self._held and locks.alive():
            return True
        if self._held:
            self._lost()
        from bot.store.pg.store import UNAVAILABLE

        try:
            held = await locks.try_lock(*self._key(), on_lost=self._lost)
        except UNAVAILABLE:
            return False
        if not held:
            return False
        self.lost.clear()
        self._held = True
        log.info("this worker now runs %s", self.name)
        return True

    def server_pid(self) -> int | None:
        """The backend holding this worker's locks (tests end it)."""
        return self.store.locks.server_pid() if self.shared else None

    async def still_held(self) -> bool:
        """A heartbeat: False (and ``lost`` set) when the lock's connection is gone."""
        if not self.shared:
            return True
        if not self._held or not await self.store.locks.heartbeat():
            self._lost()
            return False
        return self._held

    async def release(self) -> None:
        held, self._held = self._held, False
        if held and self.shared:
            with contextlib.suppress(Exception):
                await self.store.locks.unlock(*self._key())

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
