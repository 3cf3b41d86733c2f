"""The injected clock and the loop sleep helper."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.clock import ManualClock, ShiftedClock, sleep_until


async def test_a_loop_sleeping_on_an_overdue_time_still_stops_when_cancelled() -> None:
    """Regression: with asyncio.wait_for(..., 0) a cancellation could be lost (Python 3.11),
    so App.stop() waited forever on the timer loop."""
    clock, wake = ManualClock(), asyncio.Event()

    async def loop() -> None:
        while True:
            await sleep_until(clock, clock.now() - dt.timedelta(seconds=1), wake)

    for _ in range(20):
        task = asyncio.create_task(loop())
        for _ in range(5):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done


async def test_sleep_until_wakes_early_and_clears() -> None:
    clock, wake = ManualClock(), asyncio.Event()
    wake.set()
    await asyncio.wait_for(sleep_until(clock, clock.now() + dt.timedelta(hours=1), wake), 1)
    assert not wake.is_set()


def test_shifted_clock_flows_from_its_start() -> None:
    start = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
    clock = ShiftedClock(start)
    assert start <= clock.now() < start + dt.timedelta(seconds=5)
