"""The outbox sender: delivers queued messages through their channel.

Crisis priority first, then oldest first; a recipient whose earlier message is waiting for a
retry gets nothing newer in that pass (per-chat order). ``retry_after`` pauses the whole channel;
transient errors back off exponentially; permanent errors dead-letter the row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping

from bot.channels.base import Channel
from bot.clock import Clock, sleep_until
from bot.core.effects import PRIORITY_CRISIS
from bot.core.events import OutboundMessage, SendResult, SendStatus
from bot.core.identity import IdentityVault
from bot.store import outbox
from bot.store.db import Store

log = logging.getLogger("sebaya.outbox")
MAX_BACKOFF = dt.timedelta(minutes=10)


async def _draw(spec: dict) -> bytes | None:
    """Draw a chart off the event loop (matplotlib takes ~0.1 s and must not block sends)."""
    from bot.reports.charts import draw_spec  # matplotlib loads only when a chart is sent

    try:
        return await asyncio.to_thread(draw_spec, spec)
    except Exception:  # a broken chart must not stop its caption
        log.exception("chart could not be drawn")
        return None


class OutboxSender:
    def __init__(self, store: Store, vault: IdentityVault, channels: Mapping[str, Channel],
                 clock: Clock, concurrency: int = 16) -> None:
        self.store = store
        self.vault = vault
        self.channels = channels
        self.clock = clock
        self.wake = asyncio.Event()
        self._paused_until: dict[str, dt.datetime] = {}
        self._pass = asyncio.Lock()  # passes never overlap: a row is sent by one pass only
        self.concurrency = concurrency  # recipients served at once (each one strictly in order)
        self._inflight: set[int] = set()
        self._urgent_tasks: set[asyncio.Task] = set()

    async def send_due(self) -> int:
        """One pass over due rows; returns how many were delivered."""
        async with self._pass:
            return await self._send_due()

    async def send_urgent(self) -> int:
        """The urgent lane: crisis-priority rows now, even while an ordinary pass is running
        (rows already in flight in that pass are left to it)."""
        return await self._send_due(min_priority=PRIORITY_CRISIS)

    def kick_urgent(self) -> None:
        task = asyncio.get_running_loop().create_task(self.send_urgent())
        self._urgent_tasks.add(task)
        task.add_done_callback(self._urgent_tasks.discard)

    async def _send_due(self, min_priority: int = 0) -> int:
        async with self.store.transaction(urgent=min_priority > 0) as db:
            rows = await outbox.due(db, self.clock.now(), self.vault.open,
                                    min_priority=min_priority)
        rows = [r for r in rows if r.id not in self._inflight]
        self._inflight.update(r.id for r in rows)
        try:
            return await self._send_rows(rows, urgent=min_priority > 0)
        finally:
            self._inflight.difference_update(r.id for r in rows)

    async def _send_rows(self, rows: list[outbox.OutboxRow], urgent: bool) -> int:
        queues: dict[str, list[outbox.OutboxRow]] = {}
        for row in rows:  # already in priority, then age, order
            queues.setdefault(row.recipient_key, []).append(row)
        gate = asyncio.Semaphore(self.concurrency)
        results: list[tuple[outbox.OutboxRow, SendResult]] = []
        crisis_sent: list[SendResult] = []

        async def drain(queue: list[outbox.OutboxRow]) -> None:
            async with gate:
                for row in queue:  # one recipient: strictly in order, stop at a failure
                    result = await self._deliver(row)
                    if row.priority >= PRIORITY_CRISIS:  # recorded at once: a crash right
                        await self._record([(row, result)], urgent=True)  # after it can't
                        crisis_sent.append(result)  # repeat a whole pass of alerts
                    else:
                        results.append((row, result))
                    if result.status is not SendStatus.OK:
                        return

        await asyncio.gather(*(drain(q) for q in queues.values()))
        if results:
            await self._record(results, urgent)
        return sum(1 for r in [*crisis_sent, *(r for _, r in results)]
                   if r.status is SendStatus.OK)

    async def _deliver(self, row: outbox.OutboxRow) -> SendResult:
        channel = self.channels.get(row.channel)
        paused = self._paused_until.get(row.channel)
        if channel is None:
            return SendResult(SendStatus.TRANSIENT, detail="channel not running")
        if paused and paused > self.clock.now():
            return SendResult(SendStatus.RETRY_AFTER,
                              (paused - self.clock.now()).total_seconds(), "paused")
        image = await _draw(row.chart) if row.chart else None
        message = OutboundMessage(row.channel, self.vault.open(row.address), row.text,
                                  row.buttons, ref=f"out-{row.id}", image=image)
        try:
            result = await channel.send(message)
        except Exception as exc:  # a channel bug must not stop the sender
            log.exception("channel send raised; outbox_id=%s", row.id)
            return SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__)
        if result.status is SendStatus.RETRY_AFTER:
            self._paused_until[row.channel] = self.clock.now() + dt.timedelta(
                seconds=result.retry_after)
        return result

    async def _record(self, results: list[tuple[outbox.OutboxRow, SendResult]],
                      urgent: bool = False) -> None:
        """One transaction for a whole pass (a crash before it means a resend: at least once)."""
        now = self.clock.now()
        async with self.store.transaction(urgent=urgent) as db:
            await outbox.mark_sent_many(db, [row.id for row, result in results
                                             if result.status is SendStatus.OK], now)
            for row, result in results:
                if result.status is SendStatus.OK:
                    continue
                if result.status is SendStatus.PERMANENT:
                    log.warning("dead letter; outbox_id=%s detail=%s", row.id, result.detail)
                    await outbox.mark_dead(db, row.id, result.detail)
                elif result.status is SendStatus.RETRY_AFTER:
                    until = now + dt.timedelta(seconds=result.retry_after)
                    await outbox.retry_later(db, row.id, until, "retry_after")
                else:
                    backoff = dt.timedelta(seconds=2 ** min(row.attempts + 1, 10))  # 2, 4, 8 s
                    await outbox.retry_later(db, row.id, now + min(MAX_BACKOFF, backoff),
                                             result.detail or "transient")

    async def flush(self, max_passes: int = 100) -> int:
        """Send until nothing due is left (tests and the console use this)."""
        total = 0
        for _ in range(max_passes):
            sent = await self.send_due()
            total += sent
            if not sent:
                break
        return total

    async def run(self) -> None:
        """Background loop: send, then sleep until woken or the next retry is due."""
        while True:
            await self.send_due()
            async with self.store.transaction() as db:
                next_at = await outbox.next_due_at(db)
            await sleep_until(self.clock, next_at, self.wake)
