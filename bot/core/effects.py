"""Effects the core asks for. The dispatcher performs them inside one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.core.events import Button
from bot.core.keys import RoleTarget, UserKey

PRIORITY_NORMAL = 0
PRIORITY_CRISIS = 10


@dataclass(frozen=True, slots=True)
class Send:
    """Send text (and buttons) to a person or to everyone in a staff role."""

    to: UserKey | RoleTarget
    text: str
    buttons: tuple[Button, ...] = ()
    priority: int = PRIORITY_NORMAL
    chart: dict[str, Any] | None = None  # a chart spec, drawn when sent (reports/charts.py)
    case: str | None = None  # the code of the case this message belongs to
    audience: str | None = None  # student | helper | staff (alerted/offered): who it is for


def to_student(case_code: str, student: UserKey, text: str, buttons: tuple[Button, ...] = (),
               priority: int = PRIORITY_NORMAL) -> Send:
    """A message of a case to its student."""
    return Send(student, text, buttons, priority, case=case_code, audience="student")


def to_helper(case_code: str, helper: UserKey, text: str, buttons: tuple[Button, ...] = (),
              priority: int = PRIORITY_NORMAL) -> Send:
    """A message of a case to the staff member holding it (staff reply to it to answer)."""
    return Send(helper, text, buttons, priority, case=case_code, audience="helper")


def to_staff(case_code: str, target: UserKey | RoleTarget, text: str,
             buttons: tuple[Button, ...] = (), priority: int = PRIORITY_NORMAL) -> Send:
    """A message about a case to staff who do not hold it (an alert, an offer, a notice)."""
    return Send(target, text, buttons, priority, case=case_code, audience="staff")


@dataclass(frozen=True, slots=True)
class OpenCase:
    """The student's story is ready for a human: open a case routed to peers or guru BK."""

    student: UserKey
    route: str  # "peer" | "counselor"
    topic: str
    weight: int
    story: str
    vars: dict[str, Any] = field(default_factory=dict)
    level: str = "normal"  # normal | concern | crisis
    category: str | None = None
    rules: tuple[str, ...] = ()
    first_message: str = ""  # the student's words that opened it, kept on the case


@dataclass(frozen=True, slots=True)
class EscalateCase:
    """An open case becomes a crisis for guru BK (waiting, unassigned)."""

    case_id: int
    category: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlagCase:
    """Concern-level signals recorded on a case, without alarming the student."""

    case_id: int
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClaimCase:
    """A staff member takes a waiting case (decided inside the event's transaction)."""

    case_id: int
    staff: UserKey


@dataclass(frozen=True, slots=True)
class CloseCase:
    case_id: int
    staff: UserKey  # who closed it (the student, a peer, a counselor)
    note: str  # for supervision; never shown to the student


@dataclass(frozen=True, slots=True)
class OfferCase:
    """Record open offers of a waiting case to these peers (round 0: the fairest one)."""

    case_id: int
    peers: tuple[UserKey, ...]
    round: int


@dataclass(frozen=True, slots=True)
class RequeueCase:
    """Back to waiting and unassigned; ``exclude`` is never offered this case again."""

    case_id: int
    exclude: UserKey | None = None
    route: str | None = None  # set to move it (e.g. to "counselor" after unanswered offers)


@dataclass(frozen=True, slots=True)
class TakeOver:
    """A counselor takes over a case from a peer (or joins a waiting one)."""

    case_id: int
    staff: UserKey


@dataclass(frozen=True, slots=True)
class RecordSurvey:
    case_id: int
    score: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class AddNote:
    """A private note for the supervisor (peer /catatan)."""

    case_id: int
    author: UserKey
    text: str


@dataclass(frozen=True, slots=True)
class CaseMessage:
    """A message joins an open case's transcript."""

    case_id: int
    sender: str  # "student" | "peer" | "counselor" | "system"
    text: str
    relayed: bool = True  # a student message the case's helper has not got yet: False


@dataclass(frozen=True, slots=True)
class MarkRelayed:
    """The case's helper now has every student message of it (a take-over summary, a digest)."""

    case_id: int


@dataclass(frozen=True, slots=True)
class SetReachable:
    """A person's messages failed for good (``since`` set) or they wrote again (None)."""

    user: UserKey
    since: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SetLanguage:
    user: UserKey
    lang: str


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Fire a timer event for ``owner`` at ``due``; replaces a pending timer of the same kind."""

    owner: UserKey
    kind: str
    due: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DueNow:
    """Fire the owner's pending timer of this kind now (its payload unchanged)."""

    owner: UserKey
    kind: str


@dataclass(frozen=True, slots=True)
class CancelTimer:
    owner: UserKey
    kind: str


@dataclass(frozen=True, slots=True)
class Audit:
    """A row in the audit log. ``detail`` holds ids and codes, never message text."""

    actor: UserKey | None
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EnrolStaff:
    """Redeem an invite and make this person staff (one transaction: single use holds)."""

    user: UserKey
    invite_id: int
    role: str
    name: str | None


@dataclass(frozen=True, slots=True)
class UpdateStaff:
    """Change a staff member's pseudonym or duty toggle (None: leave as is)."""

    user: UserKey
    pseudonym: str | None = None
    duty: str | None = None
    trained: bool = False  # the peer passed every training module
    approved_by: str | None = None  # guru BK's key (or "operator") approving the peer


@dataclass(frozen=True, slots=True)
class Purge:
    """Retention: delete what is older than the school's policy allows."""

    light_before: dt.datetime  # closed non-crisis cases closed before this
    crisis_before: dt.datetime  # closed crisis cases closed before this
    processed_before: dt.datetime  # handled inbox rows and delivered outbox copies


@dataclass(frozen=True, slots=True)
class IssueWebLink:
    """Store a web sign-in link for a staff member (its keyed hash only), valid until
    ``expires``."""

    staff: UserKey
    token_hash: str
    expires: dt.datetime


@dataclass(frozen=True, slots=True)
class EndWebSessions:
    """Sign a staff member out of the web view everywhere ("/dasbor keluar")."""

    staff: UserKey


@dataclass(frozen=True, slots=True)
class ForgetUser:
    """Delete what we hold about this person (student-initiated /hapus)."""

    user: UserKey


@dataclass(frozen=True, slots=True)
class OfferWaiting:
    """A peer may have become free (a case closed, a peer came on duty): start offering the
    oldest waiting peer case that has no open offer now, instead of at its next round."""

    timer_kind: str


@dataclass(frozen=True, slots=True)
class AllDueNow:
    """Somebody who can act became reachable (a counselor joined or came on duty): every
    pending timer of this kind (the crisis ladders) fires now instead of at its next step, so
    a waiting crisis reaches them at once."""

    kind: str


@dataclass(frozen=True, slots=True)
class RetractButtons:
    """Remove the buttons of every message sent with this button data (an offer or an alert
    somebody has taken), so nobody presses a button that can only be refused."""

    data: str


@dataclass(frozen=True, slots=True)
class RequestAppointment:
    """Create (or move, when the student already has one) the student's appointment request.
    ``identity`` is what the student typed after consenting; the runtime seals it."""

    student: UserKey
    slot: dt.datetime
    topic: str
    identity: str | None = None
    ref: str | None = None  # the appointment's own code (identity.appointment_ref)


@dataclass(frozen=True, slots=True)
class SetAppointment:
    """Change an appointment's status: confirmed (by ``staff``), requested, cancelled; with
    ``slot``, at that time. Any time waiting for an answer (a move, a proposal) is settled."""

    appointment_id: int
    status: str
    staff: UserKey | None = None
    slot: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ProposeAppointment:
    """One side asks for another time (``by``: student | counselor); the appointment stays as
    it is until the other side answers."""

    appointment_id: int
    slot: dt.datetime
    by: str
    staff: UserKey | None = None


@dataclass(frozen=True, slots=True)
class CreateGroupSession:
    topic: str
    starts_at: dt.datetime
    place: str
    seats: int
    created_by: UserKey


@dataclass(frozen=True, slots=True)
class GroupSignup:
    """Join (``join``) or leave a group session; the seat limit is re-checked in SQL."""

    session_id: int
    student: UserKey
    join: bool = True


Effect = (
    Send | OpenCase | EscalateCase | FlagCase | ClaimCase | CloseCase | CaseMessage | SetLanguage
    | StartTimer | CancelTimer | Audit | ForgetUser | EnrolStaff | UpdateStaff | OfferCase
    | RequeueCase | RecordSurvey | AddNote | TakeOver | Purge | OfferWaiting
    | RequestAppointment | ProposeAppointment | SetAppointment | CreateGroupSession
    | GroupSignup | RetractButtons | MarkRelayed | SetReachable | DueNow | AllDueNow
    | IssueWebLink | EndWebSessions
)
