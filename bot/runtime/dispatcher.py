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
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import aiosqlite

from bot.clock import Clock
from bot.core import angket as angket_core
from bot.core.angket import AngketView
from bot.core.appointments import PREFIX as APPOINTMENT_PREFIX
from bot.core.appointments import REMINDER as APPOINTMENT_REMINDER
from bot.core.conversation import CaseRecord, CaseView, InviteCheck, Party, Turn, WebLinkOffer
from bot.core.core import RETENTION_TIMER, Core
from bot.core.crisis import LADDER_TIMER, TAKE_PREFIX
from bot.core.delivery import UNDELIVERABLE
from bot.core.effects import ForgetUser
from bot.core.events import InboundEvent, Kind
from bot.core.groups import REMINDER as GROUP_REMINDER
from bot.core.handoff import ACCEPT_PREFIX, OFFER_TIMER, SURVEY_PREFIX
from bot.core.identity import IdentityVault
from bot.core.keys import SYSTEM, UserKey
from bot.core.requeue import REQUEUED_TIMER
from bot.core.roster import Roster
from bot.core.staff import ENGLISH as STAFF_ENGLISH
from bot.core.textclean import button_parts, command_name, is_small_id
from bot.reports import data as reports
from bot.runtime.effects import apply_effects
from bot.store import angket as angket_rows
from bot.store import (
    audit,
    cases,
    conversations,
    inbox,
    invites,
    outbox,
    services,
    timers,
    users,
    web,
    windows,
)
from bot.store.db import LANE_FLOW, Store
from bot.store.port import retrying
from bot.store.users import UserRow

log = logging.getLogger("sebaya.dispatcher")
JOIN_ATTEMPTS_PER_HOUR = 5  # wrong /join codes before a person must wait


class _OlderFirst(Exception):
    """An older event of the same person is still pending: it must be handled first."""


class _Busy(Exception):
    """A timer's person is held by another transaction: the timer waits for the next pass."""


def timer_context(kind: str) -> str:
    """What the messages of a timer are, for channels that need a template to send them
    outside a reply window: reminders, or updates about a student's place in the queue."""
    if kind.split(":")[0] in (APPOINTMENT_REMINDER, GROUP_REMINDER):
        return "reminder"
    if kind in (OFFER_TIMER, LADDER_TIMER, REQUEUED_TIMER):
        return "queue"
    return ""


def party_of(user: UserRow) -> Party:
    staff = user.role != "student"  # a removed staff member's name stays for the record only
    return Party(user.key, user.role, user.alias, user.code,
                 user.display_name if staff else None, user.pseudonym if staff else None,
                 user.duty, unreachable_since=user.unreachable_since,
                 trained=bool(user.trained_at), approved=bool(user.approved_at),
                 trained_at=user.trained_at, approved_at=user.approved_at)


class Dispatcher:
    """Turns inbound events and fired timers into committed state and queued messages."""

    def __init__(self, store: Store, vault: IdentityVault, core: Core, clock: Clock,
                 default_lang: str = "id", on_queued: Callable[[bool], None] = lambda _: None,
                 roster: Roster | None = None, windowed: frozenset[str] = frozenset(),
                 web_url: str = "") -> None:
        self.store = store
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
            if self.store.several_workers:  # ours to handle, unless too busy (crisis: ours)
                keep = [row_id for row_id in rows if row_id is not None]
                if not urgent:
                    keep = keep[:max(0, self.capacity - len(self._scheduled))]
                await inbox.lease(db, keep, self.worker, now + self.lease, inserted=rows)
                left = {row_id for row_id in rows if row_id is not None} - set(keep)
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

        async def handle() -> None:
            try:
                await self._handle(row_id, key, urgent, event)
            finally:
                self._scheduled.discard(row_id)

        self._spawn(handle())
        return True

    async def sweep(self) -> int:
        """Several workers: lease and schedule the pending events nobody holds a live lease
        on (their worker died, lost the database, or left them to others when it was busy).
        Handling them twice is impossible: the claim is conditional, and per person they go
        in order. Returns how many were scheduled."""
        if len(self._scheduled) >= self.capacity:
            return 0
        now = self.clock.now()
        async with self.store.transaction() as db:
            rows = await inbox.claim_unleased(db, self.worker, now, now + self.lease,
                                              self.capacity - len(self._scheduled))
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
            user = await users.touch(db, key, event.channel, lambda: self.vault.seal(address),
                                     lang, now, existing=existing)
            conv = replace(conv, lang=user.lang)
            party = party_of(user)
            if user.role != "student":
                party = replace(party, load=await users.active_load(db, key))
            own_case, subject, held, replied, reply_code, replying = await self._cases_for(
                db, user, event, own_case)
            history: tuple[CaseRecord, ...] = ()
            if user.role in ("counselor", "backup") and event.kind is Kind.COMMAND:
                history, subject = await self._history_for(db, event, subject)
            turn = Turn(party, event.kind, event.text, event.data, now, conv, own_case, subject,
                        held=held, replied=replied, reply_code=reply_code, replying=replying,
                        alertable=alertable,
                        invite=await self._invite_for(db, user, event, now),
                        listing=await self._listing_for(db, user, event, now), history=history,
                        named=await self._named_for(db, user, event),
                        angket=await self._angket_for(db, user, event),
                        **await self._services_for(db, user, event, now))
            outcome = self.core.handle(turn)
            queued = await apply_effects(db, outcome.effects, now, self._on_shift(now),
                                         known={user.key: user}, seal=self.vault.seal)
            if outcome.conversation is not None:
                await conversations.save(db, outcome.conversation, now)
        if any(isinstance(effect, ForgetUser) for effect in outcome.effects):
            await self.store.checkpoint()  # /hapus: no copy of the deleted pages left in the WAL
        return queued

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
            # unreachable_since cleared: acting on the web does not show that the chat works
            party = replace(party_of(user), load=await users.active_load(db, key),
                            unreachable_since="")
            event = InboundEvent(user.channel, "", "", "", kind, text, data)
            own_case, subject, held, _, _, _ = await self._cases_for(db, user, event, None)
            turn = Turn(party, kind, text, data, now, conv, own_case, subject, held=held,
                        alertable=await users.anyone_alertable(db))
            outcome = self.core.handle(turn)
            queued = await apply_effects(db, outcome.effects, now, self._on_shift(now),
                                         known={user.key: user}, seal=self.vault.seal)
            if outcome.conversation is not None:
                await conversations.save(db, outcome.conversation, now)
        if queued:
            self.on_queued(urgent)
        return True

    @staticmethod
    async def _history_for(db: aiosqlite.Connection, event: InboundEvent,
                           subject: CaseView | None
                           ) -> tuple[tuple[CaseRecord, ...], CaseView | None]:
        """For a counselor's "/lihat CODE [N]": every case of that student, and case N (the
        newest when N is not given) with its last messages."""
        name, args = command_name(event.text)
        if STAFF_ENGLISH.get(name, name) != "lihat" or not args:
            return (), subject
        code, _, number = args.partition(" ")
        history = await cases.history(db, code)
        if not history:
            return (), None
        chosen = history[-1]
        if number.strip().lstrip("#").isdigit():
            chosen = next((r for r in history if r.number == int(number.strip().lstrip("#"))),
                          chosen)
        return history, await cases.by_id(db, chosen.id, with_recent=40)

    @staticmethod
    async def _listing_for(db: aiosqlite.Connection, user: UserRow, event: InboundEvent,
                           now: dt.datetime) -> tuple[CaseView, ...]:
        name = command_name(event.text)[0] if event.kind is Kind.COMMAND else ""
        if user.role in ("counselor", "backup") and STAFF_ENGLISH.get(name, name) == "kasus":
            return tuple(await cases.supervision(db, now - dt.timedelta(days=1)))
        return ()

    @staticmethod
    async def _named_for(db: aiosqlite.Connection, user: UserRow,
                         event: InboundEvent) -> Party | None:
        """The staff member a counselor's /setujui NAMA (/approve) names, if exactly one."""
        if event.kind is not Kind.COMMAND or user.role not in ("counselor", "backup"):
            return None
        name, args = command_name(event.text)
        if name not in ("setujui", "approve") or not args.strip():
            return None
        found = await users.find_staff(db, args)
        return party_of(found) if found is not None else None

    async def _angket_for(self, db: aiosqlite.Connection, user: UserRow,
                          event: InboundEvent) -> AngketView | None:
        """For /angket and its buttons: every run (with how many answered, for guru BK) and,
        for a student, which angkets they began and their keyed mark for each."""
        name = command_name(event.text)[0] if event.kind is Kind.COMMAND else ""
        button = event.kind is Kind.BUTTON and event.data.startswith(angket_core.PREFIX)
        if name not in angket_core.COMMANDS and not button:
            return None
        runs = await angket_rows.runs(db)
        if user.role != "student":
            views = [angket_core.RunView(r.angket_id, r.opened_at, r.closes_at, r.closed_at,
                                         (await angket_rows.counts(db, r.angket_id))[0])
                     for r in runs.values()]
            return angket_core.AngketView(tuple(views))
        marks = {i: self.vault.angket_mark(i, user.key) for i in runs}
        begun = frozenset([i for i in runs if await angket_rows.answered(db, i, marks[i])])
        return angket_core.AngketView(
            tuple(angket_core.RunView(r.angket_id, r.opened_at, r.closes_at, r.closed_at)
                  for r in runs.values()), begun, marks)

    async def _services_for(self, db: aiosqlite.Connection, user: UserRow, event: InboundEvent,
                            now: dt.datetime) -> dict:
        """The appointment and group sessions a turn may need: a student's own (on buttons and
        commands), the appointment a staff button names, the sessions for a counselor's /sesi."""
        if event.kind not in (Kind.BUTTON, Kind.COMMAND):
            return {}
        if user.role == "student":
            if not self.core.needs_services(event.kind, event.text, event.data):
                return {}
            return {"appointment": await services.active_for(db, user.key),
                    "sessions": await services.upcoming_sessions(db, now, user.key)}
        if event.kind is Kind.BUTTON and event.data.startswith(APPOINTMENT_PREFIX):
            ref = button_parts(event.data)[2].partition(":")[0]  # ap:ps:REF:TIME too
            return {"appointment": await services.active_by_ref(db, ref)}
        command = command_name(event.text)[0] if event.kind is Kind.COMMAND else ""
        if command in ("dasbor", "dashboard"):
            return {"web_link": await self._web_link_for(db, user, now)}
        if command == "sesi":
            return {"sessions": await services.upcoming_sessions(db, now)}
        if command == "laporan" and user.role in ("counselor", "backup"):
            today = now.astimezone(self.core.tz).date()
            return {"report": await reports.gather(db, today - dt.timedelta(days=29), today,
                                                   self.core.tz)}
        return {}

    async def _web_link_for(self, db: aiosqlite.Connection, user: UserRow,
                            now: dt.datetime) -> WebLinkOffer:
        """A fresh sign-in token for /dasbor (used only if the core sends it) and how many
        links the person asked for in the last hour."""
        if not self.web_url:
            return WebLinkOffer("")
        token = secrets.token_urlsafe(32)
        recent = await web.links_since(db, user.key, now - dt.timedelta(hours=1))
        return WebLinkOffer(f"{self.web_url}/masuk/{token}",
                            self.vault.web_hash("link", token), recent)

    async def _invite_for(self, db: aiosqlite.Connection, user: UserRow, event: InboundEvent,
                          now: dt.datetime) -> InviteCheck | None:
        """For "/join CODE" from a non-staff person: is the code good, and not brute-forced?"""
        if event.kind is not Kind.COMMAND or user.role != "student":
            return None
        name, code = command_name(event.text)
        if name != "join" or not code:
            return None
        if await audit.count_since(db, user.key.value, "join_failed",
                                   now - dt.timedelta(hours=1)) >= JOIN_ATTEMPTS_PER_HOUR:
            return InviteCheck("throttled")
        invite = await invites.find(db, self.vault.token_hash(code))
        if invite is None:
            return InviteCheck("unknown")
        if invite.used:
            return InviteCheck("used")
        if invite.expires_at <= now:
            return InviteCheck("expired")
        return InviteCheck("ok", invite.id, invite.role, invite.name)

    async def _fire_system_timer(self, timer_id: int) -> None:
        async with self.store.transaction() as db:
            timer = await timers.claim(db, timer_id, self.clock.now())
            if timer is None:
                return
            effects = self.core.on_system_timer(timer.kind, self.clock.now())
            await apply_effects(db, effects, self.clock.now(), seal=self.vault.seal)
        if timer.kind == RETENTION_TIMER:
            await self.store.checkpoint()  # no copy of purged pages left in the WAL

    def _on_shift(self, now: dt.datetime) -> bool:
        return self.roster.on_shift(now) if self.roster is not None else True

    async def _lock_case(self, db: aiosqlite.Connection, code: str) -> None:
        """Several workers: a staff event that acts on a student's case holds that student
        too (their person lock), so the case it reads cannot change before it commits: two
        presses of "Saya tangani" on two workers are decided one after the other, as on
        SQLite's single writer. Staff lock themselves first, then the student; a student's
        events lock only the student: no cycle."""
        if self.store.several_workers and code:
            student = await users.key_by_code(db, code)
            if student is not None:
                await self.store.lock_person(db, student.value)

    async def _cases_for(self, db: aiosqlite.Connection, user: UserRow, event: InboundEvent,
                         own_case: CaseView | None
                         ) -> tuple[CaseView | None, CaseView | None, tuple[CaseView, ...],
                                    CaseView | None, str, bool]:
        """(the person's own case, the case a staff button names, the cases a staff member
        holds, the case of the message they replied to), read inside the event's transaction:
        what the core decides from them cannot be raced by another event."""
        subject = None
        data = event.data if event.kind is Kind.BUTTON else ""
        if user.role == "student":
            if data.startswith(SURVEY_PREFIX):
                case_id = data.removeprefix(SURVEY_PREFIX).partition(":")[0]
                subject = await cases.by_id(db, int(case_id)) if is_small_id(case_id) else None
            return own_case, subject, (), None, "", False
        for prefix in (TAKE_PREFIX, ACCEPT_PREFIX):
            if data.startswith(prefix):
                await self._lock_case(db, data.removeprefix(prefix))
                subject = await cases.open_by_code(db, data.removeprefix(prefix),
                                                   with_recent=10)
        if event.kind is Kind.COMMAND:
            name, code = command_name(event.text)
            if STAFF_ENGLISH.get(name, name) == "ambil" and code:
                await self._lock_case(db, code)
                subject = await cases.latest_by_code(db, code, with_recent=40)
        held = await cases.held_by(db, user.key)
        replied, code = None, ""
        ref = str(event.meta.get("reply_to") or "")
        if ref:
            code = await outbox.case_replied_to(db, user.key.value, ref) or ""
            replied = await cases.open_by_code(db, code) if code else None
        return (held[0] if held else None), subject, held, replied, code, bool(ref)

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
            self.on_queued(fired[0] == LADDER_TIMER)

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
            peers: list = []
            if timer.kind == OFFER_TIMER and case is not None:
                peers = [party_of(u) for u in await users.available_peers(
                    db, self._on_shift(now), self.core.peer_capacity, case.id)]
            alertable = not timer.kind.startswith((REQUEUED_TIMER, UNDELIVERABLE)) \
                or await users.anyone_alertable(db)
            outcome = self.core.on_timer(conv, party_of(user), timer.kind, timer.payload,
                                         now, case, peers, alertable)
            queued = await apply_effects(db, outcome.effects, self.clock.now(),
                                         self._on_shift(self.clock.now()), seal=self.vault.seal,
                                         context=timer_context(timer.kind))
            if outcome.conversation is not None and outcome.conversation != conv:
                await conversations.save(db, outcome.conversation, self.clock.now())
        return timer.kind, queued
