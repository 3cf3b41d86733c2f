"""Urgency: while crisis work is in flight, ordinary work waits before it starts.

The lanes and the crisis pool keep a crisis from queueing behind ordinary work for a lock or
a connection, but not for the CPU: under a saturating load every round trip of a crisis
shares the event loop and the database's cores with dozens of ordinary events, and on two
cores each one costs several milliseconds more. So from the moment a batch screens as a
crisis until its alert has been sent, ordinary work pauses at its next start: an ordinary
event before its transaction, an ordinary timer before it fires, an ordinary send before
its HTTP call, the inbox sweep before it claims. Work already inside a transaction finishes
(it may hold rows or locks the crisis needs: pausing it could only delay the crisis).

Other workers pause too: the commit of a crisis to the inbox announces it (PostgreSQL's
NOTIFY, ``urgent``), and when a worker's crisis work is done it announces ``calm``.

A pause is bounded (``max_pause``): a steady stream of crises slows ordinary work, it never
stops it. SQLite (one process) uses the same gates without the announcements.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

MAX_PAUSE = 0.25  # seconds: the longest an ordinary start waits for crisis work
REMOTE_PAUSE = 0.5  # seconds another worker's announced crisis counts without its "calm"


class Urgency:
    """Crisis work in flight in this worker (counted) or announced by another one."""

    def __init__(self, max_pause: float = MAX_PAUSE, remote_pause: float = REMOTE_PAUSE,
                 announce: Callable[[str], None] = lambda _: None) -> None:
        self.max_pause = max_pause
        self.remote_pause = remote_pause
        self.announce = announce  # tell the other workers ("urgent" / "calm")
        self._local = 0
        self._remote: asyncio.TimerHandle | None = None
        self._calm = asyncio.Event()
        self._calm.set()
        self.waiting = 0  # ordinary starts waiting now (tests, the bench)

    @property
    def active(self) -> bool:
        """Is crisis work in flight (here, or announced by another worker)?"""
        return not self._calm.is_set()

    def begin(self) -> None:
        """Crisis work starts here (call ``end`` once it is done)."""
        self._local += 1
        self._calm.clear()

    def end(self) -> None:
        """Crisis work started with ``begin`` is done; the last one tells the others."""
        self._local -= 1
        if self._local <= 0:
            self._local = 0
            self.announce("calm")
            if self._remote is None:
                self._calm.set()

    @contextlib.contextmanager
    def crisis(self) -> Iterator[None]:
        """``begin`` ... ``end`` around a block."""
        self.begin()
        try:
            yield
        finally:
            self.end()

    def remote(self, tables: set[str]) -> None:
        """A NOTIFY of another worker: its crisis work starts (``urgent``) or is done
        (``calm``)."""
        if "urgent" in tables:
            if self._remote is not None:
                self._remote.cancel()
            self._remote = asyncio.get_running_loop().call_later(self.remote_pause,
                                                                 self._remote_over)
            self._calm.clear()
        elif "calm" in tables and self._remote is not None:
            self._remote.cancel()
            self._remote_over()

    def _remote_over(self) -> None:
        self._remote = None
        if self._local == 0:
            self._calm.set()

    async def calm(self) -> None:
        """Ordinary work calls this before it starts: returns at once when no crisis work is
        in flight, else once it is done or ``max_pause`` has passed."""
        if self._calm.is_set():
            return
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calm.wait(), self.max_pause)
        finally:
            self.waiting -= 1
