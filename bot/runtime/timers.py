"""The timer loop: due rows in the timers table become core events through the dispatcher."""

from __future__ import annotations

import asyncio

from bot.clock import Clock, sleep_until
from bot.runtime.dispatcher import Dispatcher
from bot.store import timers
from bot.store.db import Store


class TimerLoop:
    def __init__(self, store: Store, dispatcher: Dispatcher, clock: Clock) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock
        self.wake = asyncio.Event()

    async def fire_due(self) -> int:
        """Fire every timer due now; returns how many fired."""
        async with self.store.transaction() as db:
            rows = await timers.due(db, self.clock.now())
        for row in rows:
            await self.dispatcher.fire_timer(row.id)
        return len(rows)

    async def run(self) -> None:
        while True:
            await self.fire_due()
            async with self.store.transaction() as db:
                next_at = await timers.next_due_at(db)
            await sleep_until(self.clock, next_at, self.wake)
