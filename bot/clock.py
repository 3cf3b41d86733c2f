"""The injected clock. Tests use ManualClock and never sleep for real."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that moves only when told to (tests, demos, benchmarks)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 08:00 WIB, Monday

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now


class ShiftedClock:
    """Real time, flowing, but starting at a chosen instant (end-to-end tests, benchmarks)."""

    def __init__(self, start: dt.datetime) -> None:
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._t0)


async def sleep_until(clock: Clock, when: dt.datetime | None, wake: asyncio.Event,
                      cap_seconds: float = 5.0) -> None:
    """Wait until ``when`` (by the clock), ``wake`` is set, or ``cap_seconds`` pass.

    Uses ``asyncio.timeout`` rather than ``asyncio.wait_for``: on Python 3.11, ``wait_for`` with
    a zero timeout can lose a cancellation, leaving a loop that never stops (seen here).
    """
    timeout = cap_seconds
    if when is not None:
        timeout = max(0.0, min(cap_seconds, (when - clock.now()).total_seconds()))
    if timeout > 0 and not wake.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await wake.wait()
    else:
        await asyncio.sleep(0)  # something is due already: just let others run
    wake.clear()
