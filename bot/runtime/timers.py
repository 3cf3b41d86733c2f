"""The timer loop: due rows in the timers table become core events through the dispatcher."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.clock import Clock, sleep_until
from bot.runtime.dispatcher import Dispatcher
from bot.store import timers
from bot.store.db import Store

log = logging.getLogger("sebaya.timers")


class TimerLoop:
    def __init__(self, store: Store, dispatcher: Dispatcher, clock: Clock) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock
        self.wake = asyncio.Event()
        self.poll = 5.0  # seconds: the longest sleep when nothing wakes the loop

    async def fire_due(self) -> int:
        """Fire every timer due now; returns how many fired."""
        fired, _ = await self._pass()
        return fired

    async def any_due(self) -> bool:
        async with self.store.read() as db:
            return bool(await timers.due(db, self.clock.now(), limit=1))

    async def _pass(self) -> tuple[int, dt.datetime | None]:
        async with self.store.read() as db:  # reads only: no BEGIN/COMMIT round trips
            rows = await timers.due(db, self.clock.now())
            next_at = None if rows else await timers.next_due_at(db)
        fired = 0
        for row in rows:  # a timer whose person is busy (False) waits for the next pass
            if not self.dispatcher.core.registry.timer_urgent(row.kind):
                await self.dispatcher.urgency.calm()  # a crisis in flight goes first
            fired += await self.dispatcher.fire_timer(row.id) is not False
        return fired, next_at

    async def run(self) -> None:
        while True:
            try:
                fired, next_at = await self._pass()
            except self.store.unavailable:  # PostgreSQL restarting: try again at the next poll
                log.warning("database unavailable; timers wait for it")
                fired, next_at = 0, None
            if not fired:
                await sleep_until(self.clock, next_at, self.wake, self.poll)
