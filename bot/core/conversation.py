"""What the core reads and returns for one turn. Plain data, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot.core.effects import Effect
from bot.core.events import Kind
from bot.core.keys import UserKey

if TYPE_CHECKING:
    from bot.core.angket import AngketView
    from bot.reports.figures import ReportData


@dataclass(frozen=True)
class Conversation:
    """Where a person is: flow and state (None when idle), variables, language, version."""

    user: UserKey
    lang: str = "id"
    flow: str | None = None
    state: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    def moved(self, **changes: Any) -> Conversation:
        """The next version. Variables named with a leading "_" are the bot's own bookkeeping
        (rate limits, a pending safety question): they survive every reset of the variables,
        and go only when set to None."""
        if "vars" in changes:
            kept = {k: v for k, v in self.vars.items() if k.startswith("_")}
            merged = {**kept, **changes["vars"]}
            changes["vars"] = {k: v for k, v in merged.items()
                               if not (k.startswith("_") and v is None)}
        return replace(self, **changes, version=self.version + 1)


def within_rate(conv: Conversation, name: str, now: dt.datetime, limit: int,
                window: dt.timedelta) -> tuple[bool, Conversation]:
    """Count one more ``name`` action; False when ``limit`` were done within ``window``."""
    key = "_rate_" + name
    since = now - window
    recent = [t for t in conv.vars.get(key, []) if dt.datetime.fromisoformat(t) > since]
    if len(recent) >= limit:
        return False, conv
    return True, conv.moved(vars={**conv.vars, key: [*recent, now.isoformat()]})


FLOW_IDLE_TIMER = "flow_idle"  # a flow waits for an answer: one gentle nudge
CONSENTED = "consented"  # a flow sets it when the student accepts the consent text ...
RETURNING = "_returning"  # ... and the bot keeps it (also after a crisis, whose reply says
# guru BK knows): flows read it to welcome a returning student back without the whole consent


SAID = "said"  # what the student wrote that no flow step saved: words typed at a button step,
# or before the intake began (bot/core/first_words.py); it joins the story the helper reads


def carried(variables: dict[str, Any], said: bool = False) -> dict[str, Any]:
    """What survives a fresh start of a flow or service: concern flags not yet on a case, and
    the bot's own bookkeeping (variables named with a leading "_"). ``said``: also what the
    student wrote that no step saved yet (a fresh start of a flow, not a case opened)."""
    keep = ("risk_flags", SAID) if said else ("risk_flags",)
    return {k: v for k, v in variables.items() if k in keep or k.startswith("_")}


def told(variables: dict[str, Any]) -> str:
    """What the student has told so far: the story, then what they wrote that no step saved
    (each on its own line)."""
    story = str(variables.get("story") or "")
    said = [str(s) for s in variables.get(SAID, ()) if str(s) not in story]
    return "\n".join([story, *said] if story else said)


@dataclass(frozen=True)
class CaseView:
    """A case as the core may see it: pseudonymous keys, alias and code, never an address."""

    id: int
    code: str
    route: str
    status: str  # waiting | active | closed
    level: str  # normal | concern | crisis
    student: UserKey
    alias: str = ""
    assignee: UserKey | None = None
    assignee_name: str | None = None
    category: str | None = None
    lang: str = ""  # the student's language
    recent: tuple[tuple[str, str], ...] = ()  # (sender, text), loaded for a staff take-over
    topic: str = "lainnya"
    weight: int = 1
    story: str = ""
    offered: tuple[UserKey, ...] = ()  # peers holding an open offer of this case
    opened_at: str = ""
    flags: tuple[str, ...] = ()  # concern/crisis rule ids recorded on the case
    position: int = 0  # place in the queue of waiting peer cases (1 = next)
    on_duty: int | None = None  # peers on duty for it, busy or not (None: not counted)
    unrelayed: tuple[str, ...] = ()  # the student's messages the helper has not got (newest
    unrelayed_total: int = 0  # last, at most a screenful) and how many there are in all
    last_student_at: str = ""  # when the student last wrote (for a staff member's held cases)
    crisis_at: str = ""  # when it became a crisis (a requeued alert's waiting counts from it)


@dataclass(frozen=True)
class NoteView:
    """A note on a case for supervision: a peer's /catatan, or the closing note."""

    author: str  # pseudonym or name, "" when unknown
    role: str  # peer | counselor | backup | student | system
    at: str
    text: str


@dataclass(frozen=True)
class CaseRecord:
    """One case of a student as guru BK reviews it (/lihat): what happened, start to end."""

    id: int
    number: int  # 1 = the student's first case
    route: str
    level: str
    status: str
    topic: str
    weight: int
    opened_at: str
    story: str = ""
    category: str | None = None
    flags: tuple[str, ...] = ()
    helper: str = ""  # who holds or held it
    closed_at: str = ""
    closing: NoteView | None = None
    notes: tuple[NoteView, ...] = ()
    score: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class AppointmentView:
    """A student's appointment with guru BK (one active at a time). ``ref`` is the student's
    code; the identity (when shared with consent) never enters the core after the request."""

    id: int
    ref: str
    student: UserKey
    slot: dt.datetime
    topic: str
    status: str  # requested | confirmed | cancelled | done
    alias: str = ""
    lang: str = "id"
    confirmed_by: UserKey | None = None
    confirmed_name: str | None = None
    pending_slot: dt.datetime | None = None  # a new time one side asked for, waiting for the
    pending_from: str = ""  # other ("student" | "counselor"); the agreed slot stays meanwhile
    pending_by: UserKey | None = None  # the counselor who proposed it


@dataclass(frozen=True)
class GroupSessionView:
    """An upcoming group session; ``count`` sign-ups, ``joined``: this student signed up."""

    id: int
    topic: str
    starts_at: dt.datetime
    place: str
    seats: int
    count: int = 0
    joined: bool = False


@dataclass(frozen=True)
class InviteCheck:
    """What the dispatcher found for a /join code: ok | unknown | used | expired | throttled."""

    status: str
    invite_id: int = 0
    role: str = ""
    name: str | None = None


@dataclass(frozen=True)
class WebLinkOffer:
    """For a counselor's /dasbor: a fresh sign-in link (the dispatcher drew the token; the
    core decides whether to send it), its keyed hash, and how many links they asked for in
    the last hour. ``url`` is empty when the web view is not served."""

    url: str
    token_hash: str = ""
    recent: int = 0


@dataclass(frozen=True)
class Party:
    """The sender as the core may know them: key, role, alias, never a platform id."""

    key: UserKey
    role: str
    alias: str
    code: str
    display_name: str | None = None
    pseudonym: str | None = None
    duty: str = "auto"
    load: int = 0  # active cases this staff member holds
    unreachable_since: str = ""  # messages to them failed for good since then (UTC)
    trained: bool = False  # a peer passed every training module (bot/core/training.py)
    approved: bool = False  # ... and guru BK approved them: only then on duty
    trained_at: str = ""  # when (UTC, as stored): a refresher after an approval expired
    approved_at: str = ""  # counts when it is later than the approval


@dataclass(frozen=True)
class Turn:
    party: Party
    kind: Kind
    text: str
    data: str
    now: dt.datetime
    conversation: Conversation
    case: CaseView | None = None  # the student's open case, or the case a staff turn is about
    subject: CaseView | None = None  # the case a staff button names (k:take:CODE)
    held: tuple[CaseView, ...] = ()  # the active cases a staff member holds, newest first
    replied: CaseView | None = None  # the case of the message a staff member replied to
    reply_code: str = ""  # that message's case code, even when the case is closed now
    replying: bool = False  # the staff member replied to one of the bot's messages
    alertable: bool = True  # a counselor or backup contact can receive a crisis alert now
    invite: InviteCheck | None = None  # for /join CODE
    listing: tuple[CaseView, ...] = ()  # for a counselor's /kasus
    history: tuple[CaseRecord, ...] = ()  # for /lihat: every case of that student, oldest first
    appointment: AppointmentView | None = None  # the student's active one, or the one a
    # staff button names
    sessions: tuple[GroupSessionView, ...] = ()  # upcoming group sessions (menu, /sesi)
    report: ReportData | None = None  # the last 30 days' figures, for a counselor's /laporan
    named: Party | None = None  # the staff member a counselor's /setujui NAMA names
    web_link: WebLinkOffer | None = None  # for /dasbor
    angket: AngketView | None = None  # for /angket and its buttons (bot/core/angket.py)
    reads: dict[str, Any] = field(default_factory=dict)  # a feature's other declared reads


@dataclass
class Outcome:
    """The new conversation (None: the person asked to be forgotten) and effects to perform."""

    conversation: Conversation | None
    effects: list[Effect] = field(default_factory=list)
