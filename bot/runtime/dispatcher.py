"""The dispatcher: persist every inbound event first, then handle it in one transaction.

``accept`` commits the sealed event to the inbox and returns: only then may a channel confirm
receipt to its platform. Handling runs as a task per event; a per-person lock keeps each
person's events in order while different people proceed concurrently. ``replay`` handles what
a crash left pending. A failure in the core is caught here: the transaction rolls back, the
event is marked failed (no poison loop), the person gets a safe fallback, and the log line
carries only the inbox id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import fields, replace

from bot.clock import Clock
from bot.core.conversation import CaseView, Outcome, Party, Turn
from bot.core.core import Core
from bot.core.effects import ForgetUser, Purge
from bot.core.events import InboundEvent, Kind
from bot.core.feature import Ask
from bot.core.identity import IdentityVault
from bot.core.keys import SYSTEM, UserKey
from bot.core.roster import Roster
from bot.core.textclean import command_name
from bot.runtime.effects import apply_effects
from bot.runtime.reads import ReadContext, lock_first, party_of, run_reads
from bot.runtime.urgency import Urgency
from bot.store import (
    audit,
    cases,
    conversations,
    inbox,
    outbox,
    timers,
    users,
    windows,
)
from bot.store.db import LANE_FLOW, Store
from bot.store.port import retrying
from bot.store.users import UserRow

log = logging.getLogger("sebaya.dispatcher")
TURN_FIELDS = frozenset(f.name for f in fields(Turn))


class _OlderFirst(Exception):
    """An older event of the same person is still pending: it must be handled first."""


class _Busy(Exception):
    """A timer's person is held by another transaction: the timer waits for the next pass."""


class Dispatcher:
    """Turns inbound events and fired timers into committed state and queued messages."""

    def __init__(self, store: Store, vault: IdentityVault, core: Core, clock: Clock,
                 default_lang: str = "id", on_queued: Callable[[bool], None] = lambda _: None,
                 roster: Roster | None = None, windowed: frozenset[str] = frozenset(),
                 web_url: str = "", urgency: Urgency | None = None) -> None:
        self.store = store
        # crisis work in flight: ordinary events wait before they start (bounded)
        self.urgency = urgency if urgency is not None else Urgency()
        self.web_url = web_url.rstrip("/")  # the web view's public base ("": not served)
        self.windowed = windowed  # channels with a reply window (WhatsApp): see windows.py
        self.vault = vault
        self.core = core
        self.clock = clock
        self.default_lang = default_lang
        self.on_queued = on_queued
        self.roster = roster
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}  # events holding or awaiting each person's lock
        self._tasks: set[asyncio.Task] = set()
        self._scheduled: set[int] = set()  # inbox ids this process is handling
        # several workers (PostgreSQL): who this worker is in inbox leases, for how long a
        # lease holds, and how many events it takes on at once (beyond it, new ones are left
        # to the other workers' sweeps)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease = dt.timedelta(seconds=30)
        self.capacity = 64
        # events were left unleased (this worker was busy): wake the sweep when room frees
        self.on_room: Callable[[], None] = lambda: None
        self._left = False

    # -- intake ------------------------------------------------------------------------------

    async def accept(self, event: InboundEvent) -> int | None:
        """Commit the event to the inbox and schedule its handling; None for a duplicate."""
        return (await self.accept_many([event]))[0]

    async def accept_many(self, events: list[InboundEvent]) -> list[int | None]:
        """Commit a batch in one transaction (a polled batch), then schedule each; a text that
        screens as a crisis is handled ahead of ordinary work."""
        prepared = []
        for event in events:
            key = self.vault.user_key(event.channel, event.user_id)
            payload = self.vault.seal(json.dumps(event.to_json(), ensure_ascii=False))
            prepared.append((event, key, payload, self.core.urgent(event.kind, event.text)))
        crisis = any(urgent for *_, urgent in prepared)
        if crisis:  # from now until its alert is sent, ordinary work waits (urgency.py)
            self.urgency.begin()
        try:
            return await self._accept_prepared(prepared)
        finally:
            if crisis:
                self.urgency.end()

    async def _accept_prepared(self, prepared: list) -> list[int | None]:
        # A crisis in the batch is committed and scheduled first, ahead of the rest of it
        # (unless the same person wrote earlier in the batch: one person's order holds).
        seen: set[str] = set()
        first: list[int] = []
        for n, (_, key, _, urgent) in enumerate(prepared):
            if urgent and key.value not in seen:
                first.append(n)
            seen.add(key.value)
        rest = [n for n in range(len(prepared)) if n not in set(first)]
        ids: dict[int, int | None] = {}
        released = 0
        for part in (first, rest):
            if not part:
                continue
            rows, opened, left = await retrying(self.store, lambda part=part: self._insert(
                prepared, part, urgent=part is first))
            released += opened
            for n, row_id in zip(part, rows, strict=True):
                ids[n] = row_id
                event, key, _, urgent = prepared[n]
                if row_id is not None and row_id not in left:
                    self._schedule(row_id, key.value, urgent, event)
        if released:
            self.on_queued(False)
        return [ids[n] for n in range(len(prepared))]

    async def _insert(self, prepared: list, part: list[int], urgent: bool
                      ) -> tuple[list[int | None], int, set[int]]:
        """Commit part of a batch to the inbox; (row ids or None for duplicates, how many held
        messages their writing released, the ids left to other workers: several workers on
        PostgreSQL, this one busy)."""
        released, left = 0, set()
        async with self.store.transaction(urgent=urgent, lane=LANE_FLOW) as db:
            now = self.clock.now()
            rows = await inbox.insert_many(db, [
                (prepared[n][0].channel, prepared[n][0].external_id, prepared[n][1].value,
                 prepared[n][2]) for n in part], now)
            if urgent and hasattr(db, "announce"):  # other workers pause ordinary work too
                db.announce("urgent")
            if self.store.several_workers:  # ours to handle, unless too busy (crisis: ours)
                keep = [row_id for row_id in rows if row_id is not None]
                if not urgent:
                    keep = keep[:max(0, self.capacity - len(self._scheduled))]
                await inbox.lease(db, keep, self.worker, now + self.lease, inserted=rows)
                left = {row_id for row_id in rows if row_id is not None} - set(keep)
                self._left = self._left or bool(left)
            if self.windowed:  # they wrote: their window opens, held messages may go
                released += await windows.opened(db, [
                    (prepared[n][1].value, self._wrote_at(prepared[n][0], now))
                    for n, row_id in zip(part, rows, strict=True)
                    if row_id is not None and prepared[n][0].channel in self.windowed],
                    now)
        return rows, released, left

    @staticmethod
    def _wrote_at(event: InboundEvent, now: dt.datetime) -> dt.datetime:
        """When the person wrote (the platform's timestamp: a message delivered late opened
        its window when it was written), never later than now nor older than a week."""
        try:
            at = dt.datetime.fromtimestamp(float(event.meta.get("at", "")), dt.UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            return now
        return at if now - dt.timedelta(days=7) <= at <= now else now

    async def replay(self) -> int:
        """Schedule every event a previous run left unhandled, in arrival order (several
        workers: those whose lease is not another live worker's)."""
        if self.store.several_workers:
            return await self.sweep()
        async with self.store.transaction() as db:
            rows = await inbox.pending(db)
        for row in rows:
            self._schedule(row["id"], row["user_key"])
        return len(rows)

    @property
    def busy(self) -> bool:
        """True while any accepted event or replay is still being handled."""
        return bool(self._tasks)

    async def drain(self) -> None:
        """Wait until every scheduled event has been handled (tests, console, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _schedule(self, row_id: int, key: str, urgent: bool = False,
                  event: InboundEvent | None = None) -> bool:
        """Handle the event in a task, unless this process already does."""
        if row_id in self._scheduled:
            return False
        self._scheduled.add(row_id)
        if urgent:  # counted from now: the task may start after the intake is done
            self.urgency.begin()

        async def handle() -> None:
            try:
                if not urgent:  # crisis work in flight here or elsewhere goes first
                    await self.urgency.calm()
                await self._handle(row_id, key, urgent, event)
            finally:
                self._scheduled.discard(row_id)
                if urgent:
                    self.urgency.end()
                if self._left and len(self._scheduled) < self.capacity:
                    self._left = False  # what was left may be nobody's: sweep it now
                    self.on_room()

        self._spawn(handle())
        return True

    async def sweep(self) -> int:
        """Several workers: lease and schedule the pending events nobody holds a live lease
        on (their worker died, lost the database, or left them to others when it was busy).
        Handling them twice is impossible: the claim is conditional, and per person they go
        in order. Returns how many were scheduled."""
        if len(self._scheduled) >= self.capacity:
            return 0
        await self.urgency.calm()
        now = self.clock.now()
        room = self.capacity - len(self._scheduled)
        async with self.store.transaction() as db:
            rows = await inbox.claim_unleased(db, self.worker, now, now + self.lease, room)
        self._left = self._left or len(rows) >= room  # there may be more
        return sum(self._schedule(row["id"], row["user_key"]) for row in rows)

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @contextlib.asynccontextmanager
    async def _person(self, key: str) -> AsyncIterator[None]:
        """Serialise one person's events; the lock is dropped when nobody needs it."""
        self._holders[key] = self._holders.get(key, 0) + 1
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key], self._locks[key]

    # -- handling -----------------------------------------------------------------------------

    async def _handle(self, row_id: int, key: str, urgent: bool = False,
                      event: InboundEvent | None = None) -> None:
        async with self._person(key):
            queued = 0
            try:
                # several workers: an older event of this person held elsewhere is found
                # inside the transaction (_OlderFirst), which then handles it first
                queued += await self._handle_one(row_id, key, urgent, event)
            except self.store.unavailable:  # PostgreSQL went away: the sweep tries again
                log.warning("database unavailable; event left pending; inbox_id=%s", row_id)
        if queued:
            self.on_queued(urgent)

    async def _handle_one(self, row_id: int, key: str, urgent: bool = False,
                          event: InboundEvent | None = None) -> int:
        """Handle one event (run again after a serialisation conflict); a failure of the core
        marks it failed; a database that went away leaves it pending for a later pass."""
        while True:
            try:
                return await retrying(self.store, lambda: self._handle_locked(
                    row_id, urgent, event, key))
            except _OlderFirst:  # committed by another worker meanwhile: it goes first
                await self._older_first(row_id, key, urgent)
            except self.store.unavailable:
                log.warning("database unavailable; event left pending; inbox_id=%s", row_id)
                return 0
            except Exception:
                log.exception("event failed; inbox_id=%s", row_id)
                return await retrying(self.store, lambda: self._fail(row_id, UserKey(key)))

    async def _older_first(self, row_id: int, key: str, urgent: bool) -> int:
        """Handle this person's older pending events first, whoever accepted them: one
        person's events are handled in inbox order across all workers."""
        queued = 0
        while True:
            async with self.store.read(urgent=urgent) as db:  # a crisis: its own pool
                older = await inbox.older_pending(db, key, row_id)
            if older is None:
                return queued
            queued += await self._handle_one(older, key, urgent)

    async def _handle_locked(self, row_id: int, urgent: bool = False,
                             event: InboundEvent | None = None, person: str = "") -> int:
        async with self.store.transaction(urgent=urgent) as db:
            if self.store.several_workers:
                await self.store.lock_person(db, person)  # held until this commits
                if await inbox.older_pending(db, person, row_id) is not None:
                    raise _OlderFirst
            now = self.clock.now()
            if event is None:  # a replay: the event comes back from the sealed inbox row
                row = await inbox.get_pending(db, row_id)
                if row is None:
                    return 0
                event = InboundEvent.from_json(json.loads(self.vault.open(row["payload"])))
            key = self.vault.user_key(event.channel, event.user_id)
            # Independent statements go to the database thread together (it runs them in
            # order): one round trip instead of four.
            claimed, existing, conv, own_case, alertable = await asyncio.gather(
                inbox.claim(db, row_id, now), users.get(db, key),
                conversations.load(db, key, self.default_lang), cases.open_for(db, key),
                users.anyone_alertable(db))
            if not claimed:
                return 0  # already handled (a replay racing a live delivery)
            lang = "en" if event.lang_hint.startswith("en") else self.default_lang
            address = event.address

            async def person() -> tuple[UserRow, Party]:
                user = await users.touch(db, key, event.channel,
                                         lambda: self.vault.seal(address), lang, now,
                                         existing=existing)
                if user.role == "student":
                    return user, party_of(user)
                return user, replace(party_of(user), load=await users.active_load(db, key))

            role = existing.role if existing is not None else "student"  # touch keeps it
            user, turn = await self._turn(db, key, role, person(), conv, event, now,
                                          own_case, alertable)
            outcome, queued = await self._decide(db, turn, user, now)
        await self._after(outcome.effects)
        return queued

    async def _decide(self, db, turn: Turn, user: UserRow,
                      now: dt.datetime) -> tuple[Outcome, int]:
        """The core decides the turn; its effects and the new conversation are written in the
        caller's transaction. Returns the outcome and how many outbox rows were queued."""
        outcome = self.core.handle(turn)
        queued = await apply_effects(db, outcome.effects, now, self._on_shift(now),
                                     known={user.key: user}, seal=self.vault.seal,
                                     retractable=self.core.registry.retractable())
        if outcome.conversation is not None:
            await conversations.save(db, outcome.conversation, now)
        return outcome, queued

    async def act_as_staff(self, key: UserKey, kind: Kind, text: str = "", data: str = "",
                           urgent: bool = False) -> bool:
        """A staff member acts from the web view (a "Saya tangani" press, a command): the
        same turn the chat would make, read, decided and committed in one transaction, so a
        web claim and a chat claim cannot both win. False if the person is not staff."""
        async with self._person(key.value), self.store.transaction(urgent=urgent) as db:
            if self.store.several_workers:  # this person's chat events, in every worker
                await self.store.lock_person(db, key.value)
            now = self.clock.now()
            user = await users.get(db, key)
            if user is None or user.role == "student":
                return False
            conv = replace(await conversations.load(db, key, self.default_lang),
                           lang=user.lang)

            async def person() -> tuple[UserRow, Party]:
                # unreachable_since cleared: acting on the web does not show the chat works
                return user, replace(party_of(user), load=await users.active_load(db, key),
                                     unreachable_since="")

            event = InboundEvent(user.channel, "", "", "", kind, text, data)
            _, turn = await self._turn(db, key, user.role, person(), conv, event, now, None,
                                       await users.anyone_alertable(db))
            _, queued = await self._decide(db, turn, user, now)
        if queued:
            self.on_queued(urgent)
        return True

    async def _turn(self, db, key: UserKey, role: str,
                    person: Awaitable[tuple[UserRow, Party]], conv, event: InboundEvent,
                    now: dt.datetime, own_case: CaseView | None, alertable: bool
                    ) -> tuple[UserRow, Turn]:
        """The turn the core decides: the person (``person`` touches their row), what every
        staff event reads, and what the features declared for this event
        (``Registry.reads``): statements sent to the database together, inside the event's
        transaction, so what the core decides from them cannot be raced by another event."""
        name, args = command_name(event.text) if event.kind is Kind.COMMAND else ("", "")
        ask = Ask(role, event.kind, name, args, event.data if event.kind is Kind.BUTTON
                  else "", now, self.core.policy.tz, self.core.policy.peer_capacity,
                  text=event.text if event.kind is Kind.TEXT else "")
        rc = ReadContext(db, key, now, self.vault, self.store, self.web_url,
                         self._on_shift(now))
        ref = str(event.meta.get("reply_to") or "")
        staff = role != "student"
        wanted = self.core.registry.reads(ask)
        await lock_first(rc, wanted)  # (several workers) before anything is read
        (user, party), found, held, code = await asyncio.gather(
            person, run_reads(rc, wanted),
            cases.held_by(db, key) if staff else _nothing(()),  # the cases staff hold, and
            outbox.case_replied_to(db, key.value, ref) if staff and ref else _nothing(""))
        if staff:  # the case of the message they replied to
            own_case = held[0] if held else None
        replied = await cases.open_by_code(db, code) if code else None
        extra = {k: v for k, v in found.items() if k not in TURN_FIELDS}
        known = {k: v for k, v in found.items() if k in TURN_FIELDS}
        return user, Turn(party, event.kind, event.text, event.data, now,
                          replace(conv, lang=user.lang), own_case, held=tuple(held),
                          replied=replied, reply_code=code or "", replying=bool(ref) and staff,
                          alertable=alertable, reads=extra, **known)

    async def _after(self, effects) -> None:
        """After the commit: /hapus and the retention purge leave no copy of deleted pages
        in the WAL."""
        if any(isinstance(effect, ForgetUser | Purge) for effect in effects):
            await self.store.checkpoint()

    async def _fire_system_timer(self, timer_id: int) -> None:
        async with self.store.transaction() as db:
            timer = await timers.claim(db, timer_id, self.clock.now())
            if timer is None:
                return
            effects = self.core.on_system_timer(timer.kind, self.clock.now())
            await apply_effects(db, effects, self.clock.now(), seal=self.vault.seal,
                                retractable=self.core.registry.retractable())
        await self._after(effects)

    def _on_shift(self, now: dt.datetime) -> bool:
        return self.roster.on_shift(now) if self.roster is not None else True

    async def _fail(self, row_id: int, key: UserKey) -> int:
        """Mark the event failed and send the person a safe fallback, in a fresh transaction.

        The reply address comes from the event itself (still sealed in the inbox row), so even a
        first message that failed (its user row rolled back with it) gets an answer.
        """
        async with self.store.transaction() as db:
            now = self.clock.now()
            row = await inbox.get_pending(db, row_id)
            await inbox.finish(db, row_id, now, status="failed")
            await audit.record(db, key.value, "event_failed", {"inbox_id": row_id}, now)
            if row is None or row["payload"] is None:
                return 0
            event = InboundEvent.from_json(json.loads(self.vault.open(row["payload"])))
            user = await users.get(db, key)
            text = self.core.text("core.error", user.lang if user else self.default_lang)
            await outbox.enqueue(db, event.channel, key.value, self.vault.seal(event.address),
                                 text, (), 0, now, self.vault.seal)
        return 1

    async def fire_timer(self, timer_id: int) -> bool | None:
        """Handle one due timer: claimed, handled and committed together. Several workers:
        False when its person is busy (here, or their lock held elsewhere): it stays due for
        the next pass rather than holding up the other people's timers (a crisis ladder)."""
        async with self.store.read() as db:
            owner = await timers.owner_of(db, timer_id)
        if owner is None:
            return None
        if owner == SYSTEM:
            await retrying(self.store, lambda: self._fire_system_timer(timer_id))
            return None
        if self.store.several_workers and owner.value in self._holders:
            return False
        async with self._person(owner.value):
            try:
                fired = await retrying(self.store, lambda: self._fire_locked(timer_id, owner))
            except _Busy:
                return False
            except self.store.unavailable:
                log.warning("database unavailable; timer left due; timer_id=%s", timer_id)
                return None
        if fired is not None and fired[1]:
            self.on_queued(self.core.registry.timer_urgent(fired[0]))

    async def _fire_locked(self, timer_id: int, owner: UserKey) -> tuple[str, int] | None:
        """Claim, handle and commit one person's timer: (its kind, messages queued)."""
        async with self.store.transaction() as db:
            if self.store.several_workers and not await self.store.try_lock_person(
                    db, owner.value):
                raise _Busy  # held by a long transaction elsewhere: not waited for
            timer = await timers.claim(db, timer_id, self.clock.now())
            if timer is None:
                return None
            user = await users.get(db, timer.owner)
            if user is None:
                return None
            conv = await conversations.load(db, user.key, user.lang)
            case = await cases.open_for(db, user.key)
            if case is not None:  # with its open offers (a fallback tells those peers) and place
                case = await cases.by_id(db, case.id)
                if case is not None and case.status == "waiting":
                    case = replace(case, position=await cases.queue_position(db, case.id),
                                   on_duty=await users.peers_on_duty(  # "busy" or "nobody"
                                       db, self._on_shift(self.clock.now()), case.id))
            now = self.clock.now()
            ask = Ask(user.role, None, now=now, tz=self.core.policy.tz,
                      peer_capacity=self.core.policy.peer_capacity, timer=timer.kind,
                      payload=timer.payload)
            rc = ReadContext(db, user.key, now, self.vault, self.store, self.web_url,
                             self._on_shift(now), case)
            wanted = self.core.registry.reads(ask)
            await lock_first(rc, wanted)
            found = await run_reads(rc, wanted)
            outcome = self.core.on_timer(
                conv, party_of(user), timer.kind, timer.payload, now, case,
                found.pop("peers", ()), found.pop("alertable", True), found)
            queued = await apply_effects(db, outcome.effects, self.clock.now(),
                                         self._on_shift(self.clock.now()), seal=self.vault.seal,
                                         retractable=self.core.registry.retractable(),
                                         context=self.core.registry.timer_context(timer.kind))
            if outcome.conversation is not None and outcome.conversation != conv:
                await conversations.save(db, outcome.conversation, self.clock.now())
        return timer.kind, queued


async def _nothing(value):
    return value
