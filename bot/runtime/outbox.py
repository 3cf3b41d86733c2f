"""The outbox sender: delivers queued messages through their channel.

Crisis priority first, then oldest first. Each recipient is served by one drain at a time,
strictly in order, stopping at a failure (per-chat order); many recipients are served at once,
and a slow send (a timeout) holds up only its own recipient: the loop keeps fetching work for
everyone else. ``retry_after`` pauses the whole channel (without counting as an attempt);
transient errors back off exponentially; permanent errors dead-letter the row and are an event
for the case (bot/core/delivery.py): an ``undeliverable`` timer due now. Deliveries are recorded
in batches (one transaction for whatever finished meanwhile), crisis alerts one by one.

Channels with a reply window (WhatsApp: ``reply_window``) are told whether the recipient's
window is open; a message that may only go once the person writes again comes back ``held``
and waits (windows.opened releases it) or, after the channel's ``hold_for``, is dropped with a
record, like a permanent failure. Channels that report delivery later (``reports_delivery``)
keep a message's words until it is delivered, since a failed report may still send it again
(``delivery_reports``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Mapping

from bot.channels.base import Channel, DeliveryReport
from bot.clock import Clock, sleep_until
from bot.core.delivery import UNDELIVERABLE
from bot.core.effects import PRIORITY_CRISIS
from bot.core.events import OutboundMessage, SendResult, SendStatus
from bot.core.identity import IdentityVault
from bot.runtime.urgency import Urgency
from bot.store import audit, outbox, timers, users, windows
from bot.store.db import LANE_FLOW, Store
from bot.store.port import retrying

log = logging.getLogger("sebaya.outbox")
MAX_BACKOFF = dt.timedelta(minutes=10)
PAUSED = "paused"  # detail of a row held back by a channel-wide retry_after
HOLD_FOR = dt.timedelta(hours=72)  # a held message is dropped after this (channel's hold_for)
WINDOW_MARGIN = dt.timedelta(minutes=2)  # a window about to close is treated as closed


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
                 clock: Clock, concurrency: int = 16,
                 on_timer: Callable[[], None] = lambda: None,
                 urgency: Urgency | None = None) -> None:
        self.store = store
        # crisis work in flight: ordinary sends wait before their HTTP call (bounded)
        self.urgency = urgency if urgency is not None else Urgency()
        self.on_timer = on_timer  # a failure set a timer: the timer loop should look now
        self.vault = vault
        self.channels = channels
        self.clock = clock
        self.wake = asyncio.Event()
        self.poll = 5.0  # seconds: the longest sleep when nothing wakes the loop
        self._paused_until: dict[str, dt.datetime] = {}
        self._gate = asyncio.Semaphore(concurrency)  # recipients served at once
        self._busy: dict[str, list[int]] = {}  # recipient -> priority of each drain in flight
        self._inflight: set[int] = set()  # row ids handed to a drain, until recorded
        self._results: list[tuple[outbox.OutboxRow, SendResult]] = []
        self._recorder: asyncio.Task | None = None
        self._drains: set[asyncio.Task] = set()
        self._urgent_tasks: set[asyncio.Task] = set()
        self._report_queue: list[tuple[str, list[DeliveryReport], bool, asyncio.Future]] = []
        self._reporter: asyncio.Task | None = None

    async def send_due(self) -> int:
        """One pass over due rows, waiting for its deliveries; returns how many were sent."""
        return await self._send_due(wait=True)

    async def send_urgent(self) -> int:
        """The urgent lane: crisis-priority rows now, even to a recipient with an ordinary
        message in flight."""
        return await self._send_due(min_priority=PRIORITY_CRISIS, wait=True)

    def kick_urgent(self) -> None:
        """Start an urgent pass now; ordinary work waits until it is done (urgency.py)."""
        self.urgency.begin()

        async def urgent_pass() -> None:
            try:
                await self.send_urgent()
            finally:
                self.urgency.end()

        task = asyncio.get_running_loop().create_task(urgent_pass())
        self._urgent_tasks.add(task)
        task.add_done_callback(self._urgent_tasks.discard)

    def _free(self, row: outbox.OutboxRow) -> bool:
        if row.id in self._inflight:
            return False
        busy = self._busy.get(row.recipient_key)
        return not busy or (row.priority >= PRIORITY_CRISIS and max(busy) < PRIORITY_CRISIS)

    async def _send_due(self, min_priority: int = 0, wait: bool = False) -> int:
        skip = [key for key, drains in self._busy.items()  # their rows wait for the drain
                if min_priority < PRIORITY_CRISIS or max(drains) >= PRIORITY_CRISIS]
        async with self.store.read(urgent=min_priority > 0, lane=LANE_FLOW) as db:
            rows = await outbox.due(db, self.clock.now(), self.vault.open,
                                    min_priority=min_priority, skip=skip)
        queues: dict[str, list[outbox.OutboxRow]] = {}
        for row in rows:  # already in priority, then age, order
            if self._free(row) and (row.recipient_key not in queues
                                    or queues[row.recipient_key][0].priority == row.priority):
                queues.setdefault(row.recipient_key, []).append(row)
        refused: list[tuple[str, bool]] = []
        if self.store.several_workers and queues:
            queues, refused = await self._claim_recipients(queues)
        tasks = []
        for recipient, queue in queues.items():
            self._busy.setdefault(recipient, []).append(queue[0].priority)
            self._inflight.update(r.id for r in queue)
            task = asyncio.get_running_loop().create_task(self._drain(recipient, queue))
            self._drains.add(task)
            task.add_done_callback(self._drains.discard)
            tasks.append(task)
        for recipient, urgent in refused:  # after marking: no await came between
            await self.store.unlock_recipient(recipient, urgent)
        if not wait:
            return len(tasks)
        sent = sum(await asyncio.gather(*tasks))
        await self._record_pending()
        return sent

    async def _claim_recipients(self, queues: dict[str, list[outbox.OutboxRow]]
                                ) -> tuple[dict[str, list[outbox.OutboxRow]],
                                           list[tuple[str, bool]]]:
        """Several workers: keep the recipients no other worker is draining (an advisory
        lock each, released once the drain is recorded), and of their rows those still
        pending now that the lock is held (another worker may have sent them meanwhile) and
        still free here (another pass of this worker may have started them meanwhile).
        Returns them, and the locks taken but not needed (the caller releases them)."""
        locked: set[str] = set()
        for urgent in (True, False):  # one round trip per lane (several recipients at once)
            locked |= await self.store.try_lock_recipients(
                [r for r, q in queues.items() if self._urgent_queue(q) is urgent], urgent)
        claimed = {r: q for r, q in queues.items() if r in locked}
        if not claimed:
            return {}, []
        urgent = any(self._urgent_queue(q) for q in claimed.values())  # a crisis: its pool
        async with self.store.read(urgent=urgent, lane=LANE_FLOW) as db:
            pending = await outbox.still_pending(db, [r.id for q in claimed.values() for r in q])
        kept, refused = {}, []
        for recipient, queue in claimed.items():
            rows = [r for r in queue if r.id in pending and self._free(r)]
            if rows and rows[0].id == queue[0].id:
                kept[recipient] = rows
            else:
                refused.append((recipient, self._urgent_queue(queue)))
        return kept, refused

    @staticmethod
    def _urgent_queue(queue: list[outbox.OutboxRow]) -> bool:
        return queue[0].priority >= PRIORITY_CRISIS

    async def _drain(self, recipient: str, queue: list[outbox.OutboxRow]) -> int:
        """Serve one recipient strictly in order, stopping at a failure."""
        sent = 0
        urgent = queue[0].priority >= PRIORITY_CRISIS
        try:  # crisis rows never wait for a free slot behind ordinary recipients
            async with contextlib.nullcontext() if urgent else self._gate:
                for row in queue:
                    if not urgent:  # a crisis being handled or sent goes first
                        await self.urgency.calm()
                    result = await self._deliver(row)
                    if row.priority >= PRIORITY_CRISIS:  # recorded at once: a crash right
                        await self._record([(row, result)], urgent=True)  # after it can't
                        self._inflight.discard(row.id)  # repeat a whole batch of alerts
                    else:
                        self._results.append((row, result))
                    sent += result.status is SendStatus.OK
                    if result.status not in (SendStatus.OK, SendStatus.HELD):
                        break  # a held row waits for its person: the next ones may go
        finally:
            self._schedule_record(recipient, queue)
        return sent

    def _schedule_record(self, recipient: str, queue: list[outbox.OutboxRow]) -> None:
        """Record what this drain delivered (batched with whatever else finished), then free
        the recipient for its next rows."""
        async def record_then_free() -> None:
            try:
                await self._record_pending()
            finally:
                if self.store.several_workers:
                    await self.store.unlock_recipient(recipient, self._urgent_queue(queue))
                self._inflight.difference_update(r.id for r in queue)
                drains = self._busy.get(recipient, [])
                if queue[0].priority in drains:
                    drains.remove(queue[0].priority)
                if not drains:
                    self._busy.pop(recipient, None)
                self.wake.set()

        task = asyncio.get_running_loop().create_task(record_then_free())
        self._drains.add(task)
        task.add_done_callback(self._drains.discard)

    async def _record_pending(self) -> None:
        """One transaction for every delivery that finished since the last one."""
        if self._recorder is not None and not self._recorder.done():
            await asyncio.shield(self._recorder)  # it may have started before our results
        if not self._results:
            return
        batch, self._results = self._results, []
        self._recorder = asyncio.get_running_loop().create_task(self._record(batch))
        await asyncio.shield(self._recorder)

    async def _deliver(self, row: outbox.OutboxRow) -> SendResult:
        channel = self.channels.get(row.channel)
        paused = self._paused_until.get(row.channel)
        if channel is None:
            return SendResult(SendStatus.TRANSIENT, detail="channel not running")
        if paused and paused > self.clock.now():
            return SendResult(SendStatus.RETRY_AFTER,
                              (paused - self.clock.now()).total_seconds(), PAUSED)
        image = await _draw(row.chart) if row.chart else None
        message = OutboundMessage(row.channel, self.vault.open(row.address), row.text,
                                  row.buttons, ref=f"out-{row.id}", image=image,
                                  urgent=row.priority >= PRIORITY_CRISIS, edit_ref=row.edit_ref,
                                  window_open=self._window_open(channel, row),
                                  purpose=row.purpose, case_code=row.case_code or "")
        try:
            result = await channel.send(message)
        except Exception as exc:  # a channel bug must not stop the sender
            log.exception("channel send raised; outbox_id=%s", row.id)
            return SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__)
        if result.status is SendStatus.RETRY_AFTER and not result.recipient_only:
            self._paused_until[row.channel] = self.clock.now() + dt.timedelta(
                seconds=result.retry_after)
        return result

    def _window_open(self, channel: Channel, row: outbox.OutboxRow) -> bool:
        """Free-form messages are allowed: the channel has no window, or the recipient wrote
        within it and the platform has not said it closed since."""
        window = getattr(channel, "reply_window", None)
        if window is None:
            return True
        last, closed = row.last_inbound_at, row.window_closed_at
        if last is None or (closed is not None and closed >= last):
            return False
        return self.clock.now() - last < window - WINDOW_MARGIN

    def _reports(self, channel: str) -> bool:
        return bool(getattr(self.channels.get(channel), "reports_delivery", False))

    async def _record(self, results: list[tuple[outbox.OutboxRow, SendResult]],
                      urgent: bool = False) -> None:
        await retrying(self.store, lambda: self._record_once(results, urgent))

    async def _record_once(self, results: list[tuple[outbox.OutboxRow, SendResult]],
                           urgent: bool) -> None:
        now = self.clock.now()
        async with self.store.transaction(urgent=urgent, lane=LANE_FLOW) as db:
            sent = [row for row, result in results if result.status is SendStatus.OK]
            await outbox.mark_sent_many(db, [row.id for row in sent], now, frozenset(
                row.id for row in sent if self._reports(row.channel)))
            await outbox.remember_refs(db, [(result.ref, row.id) for row, result in results
                                            if result.status is SendStatus.OK and result.ref
                                            and (row.keeps_ref or self._reports(row.channel))])
            for row, result in results:
                if result.window_closed:  # the platform said so: no free-form until they write
                    await windows.closed(db, row.recipient_key, now)
                if result.status is SendStatus.OK:
                    continue
                if result.status is SendStatus.PERMANENT:
                    log.warning("dead letter; outbox_id=%s detail=%s", row.id, result.detail)
                    await outbox.mark_dead(db, row.id, result.detail)
                    await self._undeliverable(db, row.recipient_key, row.case_code,
                                              row.audience, row.id, now)
                elif result.status is SendStatus.HELD:
                    await self._hold(db, row, result, now)
                elif result.status is SendStatus.RETRY_AFTER:
                    until = now + dt.timedelta(seconds=result.retry_after)
                    # throttling is not an attempt of this row: counting it would inflate
                    # later backoffs to minutes under a 429 storm
                    await outbox.retry_later(db, row.id, until, "retry_after", attempt=False)
                else:
                    backoff = dt.timedelta(seconds=2 ** min(row.attempts + 1, 10))  # 2, 4, 8 s
                    await outbox.retry_later(db, row.id, now + min(MAX_BACKOFF, backoff),
                                             result.detail or "transient")

    async def _hold(self, db, row: outbox.OutboxRow, result: SendResult,
                    now: dt.datetime) -> None:
        """Wait for the recipient to write; after the channel's hold_for (staff_hold_for for
        what staff should answer), drop it with a record (a dead letter and an audit row) and
        treat it as undeliverable: the case learns of it (the ladder climbs, a helper who does
        not answer is replaced, a student's helper is told)."""
        channel = self.channels.get(row.channel)
        hold_for = getattr(channel, "hold_for", HOLD_FOR)
        if row.purpose in ("alert", "notice"):
            hold_for = getattr(channel, "staff_hold_for", hold_for)
        expires = (row.created_at or now) + hold_for
        if now < expires:
            await outbox.hold(db, row.id, expires, result.ref)
            return
        log.warning("dropped a message held for %s min (no reply window); outbox_id=%s",
                    round(hold_for.total_seconds() / 60), row.id)
        await outbox.mark_dead(db, row.id, "held: no reply window")
        await audit.record(db, None, "message_dropped", {
            "outbox_id": row.id, "code": row.case_code, "audience": row.audience,
            "reason": "no reply window"}, now)
        await self._undeliverable(db, row.recipient_key, row.case_code, row.audience, row.id,
                                  now)

    async def _undeliverable(self, db, recipient_key: str, case_code: str | None,
                             audience: str | None, row_id: int, now: dt.datetime) -> None:
        """A permanent failure: the person is marked unreachable, and a failure of a case's
        message becomes an event of that case: once per unreachable spell for a student, once
        per case for staff (so a ladder whose every level fails still keeps its pace)."""
        first = await users.mark_unreachable(db, recipient_key, now)
        if not case_code or not audience:
            return
        if not first and (audience == "student"
                          or await outbox.failed_before(db, recipient_key, case_code, row_id)):
            return
        student = await users.key_by_code(db, case_code)
        if student is not None:
            await timers.start(db, student, f"{UNDELIVERABLE}:{audience}", now,
                               {"recipient": recipient_key})
            self.on_timer()

    async def delivery_reports(self, channel: str, reports: list[DeliveryReport],
                               again: bool = True) -> int:
        """Delivery reports from a channel (WhatsApp statuses, in any order, repeated):
        recorded monotonically; a failure of a sent message is handled like a failed send:
        a closed window (131047) closes it and sends the message again (as a template, or held
        until the person writes), a retryable one backs off, anything else dead-letters it and
        is an event of its case (a failed crisis alert climbs the ladder at once). Returns how
        many reports were recorded. A report about a message not recorded yet (it overtook the
        bookkeeping of its send) is looked at again a moment later, once.

        Meta sends three statuses for every message, each in its own webhook call: reports
        arriving while a transaction records others wait for the next one (group commit), so
        under load one transaction records many."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._report_queue.append((channel, reports, again, future))
        if self._reporter is None or self._reporter.done():
            self._reporter = asyncio.get_running_loop().create_task(self._record_reports())
        return await future

    async def _record_reports(self) -> None:
        while self._report_queue:
            batch, self._report_queue = self._report_queue, []
            try:
                counts = await self._apply_reports([(c, r, a) for c, r, a, _ in batch])
            except Exception as exc:
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (*_, future), count in zip(batch, counts, strict=True):
                if not future.done():
                    future.set_result(count)

    async def _apply_reports(self, batch: list[tuple[str, list[DeliveryReport], bool]]
                             ) -> list[int]:
        return await retrying(self.store, lambda: self._apply_reports_once(batch))

    async def _apply_reports_once(self, batch: list[tuple[str, list[DeliveryReport], bool]]
                                  ) -> list[int]:
        counts: list[int] = []
        unmatched: dict[str, list[DeliveryReport]] = {}
        async with self.store.transaction(lane=LANE_FLOW) as db:
            now = self.clock.now()
            for channel, reports, again in batch:
                passed = [r for r in reports if r.state != "failed"]
                count = await outbox.record_deliveries(  # sent/delivered/read: one statement
                    db, channel, [(r.ref, r.state) for r in passed])
                if again and count < len(passed):  # some overtook their send's bookkeeping?
                    for report in passed:
                        if await outbox.by_ref(db, channel, report.ref) is None:
                            unmatched.setdefault(channel, []).append(report)
                for report in (r for r in reports if r.state == "failed"):
                    row = await outbox.by_ref(db, channel, report.ref)
                    if row is None:  # purged, a part of a split message, or not recorded yet
                        if again:
                            unmatched.setdefault(channel, []).append(report)
                        continue
                    count += 1
                    if not await outbox.record_delivery(db, row.id, "failed", report.detail) \
                            or row.status != "sent":
                        continue  # delivered already, a repeated failure, or handled already
                    await self._failed_after_send(db, row, report, now)
                counts.append(count)
        if any(counts):
            self.wake.set()  # a message sent again goes now (crisis priority first)
        for channel, reports in unmatched.items():
            self._later(self._again(channel, reports))
        return counts

    async def _again(self, channel: str, reports: list[DeliveryReport]) -> None:
        await asyncio.sleep(2.0)
        try:
            await self.delivery_reports(channel, reports, again=False)
        except Exception:  # stopping, or the store went away: Meta's records remain
            log.info("late delivery reports not recorded")

    def _later(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._urgent_tasks.add(task)  # kept referenced until done, like the urgent passes
        task.add_done_callback(self._urgent_tasks.discard)

    async def _failed_after_send(self, db, row: outbox.SentRow, report: DeliveryReport,
                                 now: dt.datetime) -> None:
        if report.outcome == "window":
            await windows.closed(db, row.recipient_key, now)
        if report.outcome in ("window", "retry") and row.has_payload:
            backoff = dt.timedelta(seconds=2 ** min(row.attempts + 1, 10))
            when = now if report.outcome == "window" else now + min(MAX_BACKOFF, backoff)
            await outbox.reopen(db, row.id, when, f"failed {report.detail}".strip())
            return
        log.warning("dead letter after a failed delivery report; outbox_id=%s detail=%s",
                    row.id, report.detail)
        await outbox.mark_dead(db, row.id, f"failed {report.detail}".strip())
        await self._undeliverable(db, row.recipient_key, row.case_code, row.audience, row.id,
                                  now)

    async def flush(self, max_passes: int = 100) -> int:
        """Send until nothing due is left (tests and the console use this)."""
        total = 0
        for _ in range(max_passes):
            while self._drains:  # the background loop's drains finish first
                await asyncio.gather(*list(self._drains), return_exceptions=True)
            sent = await self.send_due()
            total += sent
            if not sent:
                break
        return total

    async def run(self) -> None:
        """Background loop: start drains for whoever is free, then sleep until woken (new work,
        a drain finished) or the next retry is due."""
        while True:
            try:
                await self._send_due()
                async with self.store.read() as db:  # ordinary lane: never ahead of real work
                    next_at = await outbox.next_due_at(db)
            except self.store.unavailable:  # PostgreSQL restarting: try again at the next poll
                log.warning("database unavailable; sending waits for it")
                await sleep_until(self.clock, None, self.wake, self.poll)
                continue
            if self._busy and (next_at is None or next_at <= self.clock.now()):
                next_at = None  # due rows wait for their recipient's drain: it wakes us
            await sleep_until(self.clock, next_at, self.wake, self.poll)
