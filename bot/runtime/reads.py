"""The read registry: each declarative query of ``bot/core/reads.py`` -> one store read.

The dispatcher asks the core's feature registry what an event needs (``Registry.reads``) and
runs the answers here, together, inside the event's transaction: the core decides from a
snapshot nobody else can change before it commits. Nothing here knows a command or a button.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core import angket as angket_core
from bot.core import reads as q
from bot.core.conversation import CaseView, InviteCheck, Party, WebLinkOffer
from bot.core.identity import IdentityVault
from bot.core.keys import UserKey
from bot.reports import data as reports
from bot.store import angket as angket_rows
from bot.store import audit, cases, invites, services, shifts, users, web
from bot.store.users import UserRow


def party_of(user: UserRow) -> Party:
    """A user row as the core may know them."""
    staff = user.role != "student"  # a removed staff member's name stays for the record only
    return Party(user.key, user.role, user.alias, user.code,
                 user.display_name if staff else None, user.pseudonym if staff else None,
                 user.duty, unreachable_since=user.unreachable_since,
                 trained=bool(user.trained_at), approved=bool(user.approved_at),
                 trained_at=user.trained_at, approved_at=user.approved_at)


@dataclass
class ReadContext:
    """What a read may use besides its query: the transaction's connection, the person, the
    moment, and the runtime's means (keys, the web view's address, the roster)."""

    db: Any
    key: UserKey  # the person whose event (or timer) this is
    now: dt.datetime
    vault: IdentityVault
    store: Any  # the store port (several workers lock people)
    web_url: str = ""
    on_shift: bool = True
    case: CaseView | None = None  # a timer's: the owner's open case


async def _lock_student(rc: ReadContext, code: str) -> None:
    """Several workers: a staff event that acts on a student's case holds that student too
    (their person lock), so the case it reads cannot change before it commits. Staff lock
    themselves first, then the student; a student's events lock only the student: no cycle."""
    if rc.store.several_workers and code:
        student = await users.key_by_code(rc.db, code)
        if student is not None:
            await rc.store.lock_person(rc.db, student.value)


async def _open_case_named(rc: ReadContext, query: q.OpenCaseNamed) -> CaseView | None:
    return await cases.open_by_code(rc.db, query.code, with_recent=query.recent)


async def _latest_case_named(rc: ReadContext, query: q.LatestCaseNamed) -> CaseView | None:
    return await cases.latest_by_code(rc.db, query.code, with_recent=query.recent)


async def _case_by_id(rc: ReadContext, query: q.CaseById) -> CaseView | None:
    return await cases.by_id(rc.db, query.case_id)


async def _open_cases_since(rc: ReadContext, query: q.OpenCasesSince) -> tuple[CaseView, ...]:
    return tuple(await cases.supervision(rc.db, rc.now - query.since))


async def _history(rc: ReadContext, query: q.StudentHistory) -> tuple:
    history = await cases.history(rc.db, query.code)
    if not history:
        return (), None
    chosen = history[-1]
    if query.number is not None:
        chosen = next((r for r in history if r.number == query.number), chosen)
    return history, await cases.by_id(rc.db, chosen.id, with_recent=40)


async def _staff_named(rc: ReadContext, query: q.StaffNamed) -> Party | None:
    found = await users.find_staff(rc.db, query.name)
    return party_of(found) if found is not None else None


async def _own_appointment(rc: ReadContext, _: q.OwnAppointment) -> Any:
    return await services.active_for(rc.db, rc.key)


async def _appointment_by_ref(rc: ReadContext, query: q.AppointmentByRef) -> Any:
    return await services.active_by_ref(rc.db, query.ref)


async def _sessions(rc: ReadContext, query: q.UpcomingSessions) -> Any:
    if query.own:
        return await services.upcoming_sessions(rc.db, rc.now, rc.key)
    return await services.upcoming_sessions(rc.db, rc.now)


async def _report(rc: ReadContext, query: q.ReportFigures) -> Any:
    return await reports.gather(rc.db, query.start, query.end, query.tz)


async def _web_link(rc: ReadContext, _: q.WebLink) -> WebLinkOffer:
    """A fresh token (used only if the core sends it) and the person's links of the hour."""
    if not rc.web_url:
        return WebLinkOffer("")
    token = secrets.token_urlsafe(32)
    recent = await web.links_since(rc.db, rc.key, rc.now - dt.timedelta(hours=1))
    return WebLinkOffer(f"{rc.web_url}/masuk/{token}", rc.vault.web_hash("link", token),
                        recent)


async def _invite(rc: ReadContext, query: q.InviteCode) -> InviteCheck:
    """Is the code good, and not brute-forced?"""
    if await audit.count_since(rc.db, rc.key.value, "join_failed",
                               rc.now - dt.timedelta(hours=1)) >= query.attempts_per_hour:
        return InviteCheck("throttled")
    invite = await invites.find(rc.db, rc.vault.token_hash(query.code))
    if invite is None:
        return InviteCheck("unknown")
    if invite.used:
        return InviteCheck("used")
    if invite.expires_at <= rc.now:
        return InviteCheck("expired")
    return InviteCheck("ok", invite.id, invite.role, invite.name)


async def _available_peers(rc: ReadContext, query: q.AvailablePeers) -> tuple[Party, ...]:
    if rc.case is None:
        return ()
    return tuple(party_of(u) for u in await users.available_peers(
        rc.db, rc.on_shift, query.capacity, rc.case.id))


async def _alertable(rc: ReadContext, _: q.AnyoneAlertable) -> bool:
    return await users.anyone_alertable(rc.db)


async def _angket(rc: ReadContext, query: q.AngketRuns) -> angket_core.AngketView:
    runs = await angket_rows.runs(rc.db)
    if not query.for_student:
        return angket_core.AngketView(tuple(runs.values()))
    marks = {i: rc.vault.angket_mark(i, rc.key) for i in runs}
    return angket_core.AngketView(tuple(runs.values()), await angket_rows.begun(rc.db, marks),
                                  marks)


async def _shift_holds(rc: ReadContext, query: q.ShiftHolds) -> tuple:
    return await shifts.holds_between(rc.db, query.start, query.end)


async def _shift_swap(rc: ReadContext, query: q.ShiftSwap) -> Any:
    return await shifts.swap(rc.db, query.token)


async def _swap_peers(rc: ReadContext, _: q.SwapPeers) -> tuple[Party, ...]:
    return tuple(party_of(u) for u in await users.with_role(rc.db, "peer"))


async def _peer_loads(rc: ReadContext, query: q.PeerLoads) -> tuple:
    return await shifts.peer_loads(rc.db, query.monday, query.weeks, query.tz, rc.now)


async def _held_cases(rc: ReadContext, _: q.HeldCases) -> tuple:
    return await cases.held_by(rc.db, rc.key)


async def _former_case(rc: ReadContext, query: q.FormerCase) -> CaseView | None:
    code = query.code
    if not code:
        last = await audit.last_of(rc.db, rc.key, ("offer_accepted", "case_claimed"))
        code = str(last.get("code", "")) if last else ""
    return await cases.open_by_code(rc.db, code) if code else None


async def _taken_slots(rc: ReadContext, _: q.TakenSlots) -> tuple:
    return await services.taken_slots(rc.db, rc.key, rc.now)


async def _pseudonym_taken(rc: ReadContext, query: q.PseudonymTaken) -> str | None:
    return await users.pseudonym_suggestion(rc.db, query.name, rc.key)


READS: Mapping[type, Callable[[ReadContext, Any], Awaitable[Any]]] = {
    q.OpenCaseNamed: _open_case_named, q.LatestCaseNamed: _latest_case_named,
    q.CaseById: _case_by_id, q.OpenCasesSince: _open_cases_since, q.StudentHistory: _history,
    q.StaffNamed: _staff_named, q.OwnAppointment: _own_appointment,
    q.AppointmentByRef: _appointment_by_ref, q.UpcomingSessions: _sessions,
    q.ReportFigures: _report, q.WebLink: _web_link, q.InviteCode: _invite,
    q.AvailablePeers: _available_peers, q.AnyoneAlertable: _alertable,
    q.AngketRuns: _angket, q.ShiftHolds: _shift_holds, q.ShiftSwap: _shift_swap,
    q.SwapPeers: _swap_peers, q.PeerLoads: _peer_loads, q.HeldCases: _held_cases,
    q.FormerCase: _former_case, q.TakenSlots: _taken_slots,
    q.PseudonymTaken: _pseudonym_taken,
}


LOCKS: Mapping[type, Callable[[ReadContext, Any], Awaitable[None]]] = {
    q.OpenCaseNamed: lambda rc, query: _lock_student(rc, query.code),
    q.LatestCaseNamed: lambda rc, query: _lock_student(rc, query.code),
}


async def lock_first(rc: ReadContext, wanted: Sequence[tuple[Any, object]]) -> None:
    """Take the locks the queries need (several workers: the student a staff button names),
    one after the other and before anything else of the event is read: a lock waits for
    another worker's transaction, and nothing may be read before it (on one worker: none)."""
    for _, query in wanted:
        lock = LOCKS.get(type(query))
        if lock is not None:
            await lock(rc, query)


async def run_reads(rc: ReadContext, wanted: Sequence[tuple[str | tuple[str, ...], object]]
                    ) -> dict[str, Any]:
    """Run the declared reads together (their statements go to the database one after the
    other without waiting in between) and name each result by its field."""
    values = await asyncio.gather(*(READS[type(query)](rc, query) for _, query in wanted))
    found: dict[str, Any] = {}
    for (into, _), value in zip(wanted, values, strict=True):
        if isinstance(into, tuple):
            found.update(zip(into, value, strict=True))
        else:
            found[into] = value
    return found
