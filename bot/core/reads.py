"""The declarative queries a feature may ask for (plain data: no I/O here).

A feature's ``Read`` builds one of these from the event; the runtime's read registry
(``bot/runtime/reads.py``) runs each inside the event's transaction, and a test fails when a
query here has no implementation. Adding a query is adding a dataclass here and one function
there; a new feature usually reuses these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenCaseNamed:
    """The open case of the student with this code, with its last ``recent`` messages; on
    several workers the student is locked first (two presses are decided one after the
    other)."""

    code: str
    recent: int = 10


@dataclass(frozen=True)
class LatestCaseNamed:
    """The latest case of the student with this code (open or not), locked like above."""

    code: str
    recent: int = 40


@dataclass(frozen=True)
class CaseById:
    """A case by its id (a survey button names it)."""

    case_id: int


@dataclass(frozen=True)
class OpenCasesSince:
    """Open cases, and cases of the last ``since`` (a counselor's listing)."""

    since: dt.timedelta


@dataclass(frozen=True)
class StudentHistory:
    """Every case of the student with this code, and case ``number`` (the newest when None)
    with its last messages: (history, that case)."""

    code: str
    number: int | None = None


@dataclass(frozen=True)
class StaffNamed:
    """The staff member this name names, if exactly one."""

    name: str


@dataclass(frozen=True)
class OwnAppointment:
    """The person's active appointment."""


@dataclass(frozen=True)
class AppointmentByRef:
    """The active appointment of the student with this reference (a staff button names it)."""

    ref: str


@dataclass(frozen=True)
class UpcomingSessions:
    """Upcoming group sessions (``own``: marked with whether this person signed up)."""

    own: bool = True


@dataclass(frozen=True)
class ReportFigures:
    """The report's figures for the local days ``start`` .. ``end``."""

    start: dt.date
    end: dt.date
    tz: dt.tzinfo


@dataclass(frozen=True)
class WebLink:
    """A fresh sign-in link for the web view, and how many the person asked for in the last
    hour (``url`` empty when the web view is not served)."""


@dataclass(frozen=True)
class InviteCode:
    """What an invite code is worth: ok, unknown, used, expired, or throttled after
    ``attempts_per_hour`` wrong codes."""

    code: str
    attempts_per_hour: int = 5


@dataclass(frozen=True)
class AvailablePeers:
    """Peers who may be offered the person's open case now (fairest first)."""

    capacity: int


@dataclass(frozen=True)
class AnyoneAlertable:
    """Whether a counselor or backup contact can receive a crisis alert now."""


@dataclass(frozen=True)
class AngketRuns:
    """Every angket run; for guru BK with how many answered, for a student which angkets they
    began and their keyed mark for each."""

    for_student: bool


@dataclass(frozen=True)
class ShiftHolds:
    """Who holds the shifts starting from ``start`` to before ``end`` (peers still enrolled)."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class ShiftSwap:
    """A shift swap request by its token, with the slot's current holders."""

    token: str


@dataclass(frozen=True)
class SwapPeers:
    """Every enrolled peer (who may be asked to take a shift over)."""


@dataclass(frozen=True)
class PeerLoads:
    """Each peer's hours on their shifts, cases accepted and no-shows, for ``weeks`` weeks
    ending with the week of ``monday`` (newest first)."""

    monday: dt.date
    weeks: int
    tz: dt.tzinfo


@dataclass(frozen=True)
class HeldCases:
    """The active cases the person holds (a staff member's timer: their kept messages)."""


@dataclass(frozen=True)
class FormerCase:
    """For a staff member's /catatan: the open case with this code, or (no code) the open
    case they last took (accepted or claimed), whoever holds it now."""

    code: str = ""


@dataclass(frozen=True)
class TakenSlots:
    """The coming appointment slots other students' active appointments hold."""


@dataclass(frozen=True)
class PseudonymTaken:
    """Whether another staff member of the school has this nickname (any case): a free
    suggestion like "Bintang 2" when so, else None."""

    name: str


QUERIES = (OpenCaseNamed, LatestCaseNamed, CaseById, OpenCasesSince, StudentHistory,
           StaffNamed, OwnAppointment, AppointmentByRef, UpcomingSessions, ReportFigures,
           WebLink, InviteCode, AvailablePeers, AnyoneAlertable, AngketRuns, ShiftHolds,
           ShiftSwap, SwapPeers, PeerLoads, HeldCases, FormerCase, TakenSlots, PseudonymTaken)
