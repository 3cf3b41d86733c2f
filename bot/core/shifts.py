"""Shift commitment (issue #17 item 3): who holds which shift, a reminder before it, a no-show
noticed, swaps between peers, and guru BK's view of each peer's hours and cases.

The roster (config.yaml ``roster.shifts``, or the Staff page's) says when shifts run; a shift
on one day is a *slot*, named by its local start (``YYYYMMDDHHMM``). ``/jadwal`` shows this
week's slots: a trained, approved peer takes or leaves one with a button (``roster.
shift_capacity`` peers per slot; no slot on a holiday); guru BK sees who holds which, by
pseudonym only. Taking a slot starts two durable timers of the peer: ``shift_remind:SLOT``
(``reminder_minutes`` before) and ``shift_check:SLOT`` (``no_show_minutes`` into it: a peer
not on duty is reminded, and ``no_show_escalate_minutes`` later guru BK is told, nickname and
slot only). ``/onduty`` marks the arrival and cancels the check. ``/tukar`` asks the other
trained, approved peers to take one of the peer's upcoming slots; the first "Ambil" gets it
(``shift_swaps``), the requester and guru BK are told; one nobody took by the start is said
to the requester (``shift_swap:SLOT``), who still holds it. ``/beban``: each peer's hours on
their shifts and cases accepted, this week and last. Everything is audited by slot, never
with a student or a case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from bot.core import training
from bot.core.context import Context
from bot.core.conversation import Outcome, Party, Turn
from bot.core.effects import Audit, CancelTimer, RetractButtons, Send, StartTimer
from bot.core.events import Button
from bot.core.feature import (
    COUNSELORS,
    STAFF,
    Ask,
    ButtonRoute,
    Command,
    Feature,
    MenuEntry,
    Read,
    TimerKind,
    TimerTurn,
    counselors_only,
    refused_to_students,
)
from bot.core.keys import RoleTarget, UserKey
from bot.core.localized import per_lang, staff_text
from bot.core.reads import PeerLoads, ShiftHolds, ShiftSwap, SwapPeers

PREFIX = "sh:"  # sh:take:SLOT, sh:leave:SLOT
SWAP_PREFIX = "sw:"  # sw:ask:SLOT (the requester), sw:acc:TOKEN (another peer)
ACCEPT_PREFIX = SWAP_PREFIX + "acc:"
REMIND, CHECK, LAPSE = "shift_remind", "shift_check", "shift_swap"  # timer families :SLOT
SLOT_FORMAT = "%Y%m%d%H%M"
WEEK_DAYS = 7
SWAP_DAYS = 14  # how far ahead /tukar offers the peer's slots
MAX_BUTTONS = 10
LOAD_WEEKS = 2  # /beban: this week and last
TEXTS = tuple(f"shifts.{k}" for k in (  # checked at start (bot/app.py)
    "already", "bk_footer", "bk_header", "bk_line", "bk_nobody", "cancelled", "full", "hint",
    "holiday_line", "late", "leave_button", "left", "load_header", "load_line", "load_no_show",
    "load_none", "load_note", "mine", "no_show_bk", "none", "not_ready", "not_yours",
    "peers_only", "reminder", "slot_line", "started", "swap_accept_button", "swap_asked",
    "swap_button", "swap_choose", "swap_gone", "swap_lapsed", "swap_nobody", "swap_none",
    "swap_offer", "swap_own", "swap_pending", "swap_taken_bk", "swap_taken_requester",
    "swap_yours", "take_button", "taken", "week_header"))


# -- what the store gives back -----------------------------------------------------------------


@dataclass(frozen=True)
class HoldView:
    """A peer holding a slot: pseudonym (never a real name), arrival, and an open swap."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    peer: UserKey
    name: str
    arrived_at: dt.datetime | None = None
    no_show: bool = False
    swap_open: bool = False


@dataclass(frozen=True)
class SwapView:
    """A request to take over a slot, with who holds that slot now."""

    token: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    requester: UserKey
    requester_name: str
    status: str  # open | taken | lapsed | withdrawn
    holders: tuple[UserKey, ...] = ()


@dataclass(frozen=True)
class WeekLoad:
    """One peer's week: hours on their shifts (from /onduty to /offduty or the shift's end),
    cases accepted, no-shows. Counts only."""

    hours: float = 0.0
    cases: int = 0
    no_shows: int = 0


@dataclass(frozen=True)
class PeerLoad:
    name: str
    weeks: tuple[WeekLoad, ...]  # the newest week first


# -- effects of this feature (applied in bot/runtime/effects.py) ---------------------------------


@dataclass(frozen=True)
class TakeShift:
    """The peer holds the slot, if it has room (else the event is decided afresh)."""

    peer: UserKey
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int


@dataclass(frozen=True)
class LeaveShift:
    """The peer no longer holds the slot (and their open swap of it is withdrawn)."""

    peer: UserKey
    starts_at: dt.datetime


@dataclass(frozen=True)
class MarkShift:
    """``arrived`` (at ``at``; a later /onduty after an /offduty resumes), ``left``, or
    ``no_show`` (guru BK was told) on the peer's hold of the slot; nothing if they hold none."""

    peer: UserKey
    starts_at: dt.datetime
    mark: str
    at: dt.datetime


@dataclass(frozen=True)
class AskSwap:
    token: str
    peer: UserKey
    starts_at: dt.datetime


@dataclass(frozen=True)
class TakeSwap:
    """The first peer to accept takes the slot over from the requester (a second press is
    decided afresh and finds it taken)."""

    token: str
    taker: UserKey
    requester: UserKey
    starts_at: dt.datetime


@dataclass(frozen=True)
class LapseSwap:
    """Nobody took it before the shift began."""

    token: str


EFFECTS = (TakeShift, LeaveShift, MarkShift, AskSwap, TakeSwap, LapseSwap)


# -- slots ------------------------------------------------------------------------------------


def slot_key(start: dt.datetime, ctx: Context) -> str:
    return start.astimezone(ctx.policy.tz).strftime(SLOT_FORMAT)


def _today(ctx: Context, now: dt.datetime) -> dt.date:
    return now.astimezone(ctx.policy.tz).date()


def week_slots(ctx: Context, now: dt.datetime, days: int = WEEK_DAYS
               ) -> list[tuple[dt.datetime, dt.datetime]]:
    """The roster's slots from today for ``days`` days that have not ended."""
    roster = ctx.policy.roster
    if roster is None:
        return []
    return [(s, e) for s, e in roster.slots(_today(ctx, now), days) if e > now]


def slot_named(ctx: Context, key: str, now: dt.datetime, days: int = SWAP_DAYS
               ) -> tuple[dt.datetime, dt.datetime] | None:
    """The roster's slot with this key (None: not a slot, a holiday, or over)."""
    return next(((s, e) for s, e in week_slots(ctx, now, days) if slot_key(s, ctx) == key),
                None)


def swap_token(peer: UserKey, key: str) -> str:
    """A swap's name in button data: the same for one peer's one slot, and no key in it."""
    return hashlib.sha256(f"swap:{peer.value}:{key}".encode()).hexdigest()[:16]


def when(ctx: Context, moment: dt.datetime, lang: str) -> str:
    local = moment.astimezone(ctx.policy.tz)
    return ctx.text(f"day.{local.weekday()}", lang) + local.strftime(" %d/%m %H.%M")


def _until(ctx: Context, moment: dt.datetime) -> str:
    return moment.astimezone(ctx.policy.tz).strftime("%H.%M")


def _values(ctx: Context, start: dt.datetime, end: dt.datetime, lang: str) -> dict:
    return {"when": when(ctx, start, lang), "end": _until(ctx, end)}


def _staff_values(ctx: Context, start: dt.datetime, end: dt.datetime) -> dict:
    """The slot for a text in every language (staff_text)."""
    return {"when": per_lang(ctx, lambda lang: when(ctx, start, lang)),
            "end": _until(ctx, end)}


def _name(party: Party) -> str:
    return party.pseudonym or party.alias  # never the name on the invite


def timers_for(ctx: Context, peer: UserKey, start: dt.datetime, end: dt.datetime,
               now: dt.datetime) -> list:
    """A held slot's reminder and no-show check."""
    key, payload = slot_key(start, ctx), {"start": start.isoformat(), "end": end.isoformat()}
    policy = ctx.policy.shifts
    return [StartTimer(peer, f"{REMIND}:{key}", max(now, start - policy.reminder), payload),
            StartTimer(peer, f"{CHECK}:{key}", max(now, start + policy.no_show),
                       {**payload, "stage": 0})]


def _cancel_all(ctx: Context, peer: UserKey, start: dt.datetime) -> list:
    key = slot_key(start, ctx)
    return [CancelTimer(peer, f"{kind}:{key}") for kind in (REMIND, CHECK, LAPSE)]


# -- /jadwal ----------------------------------------------------------------------------------


def schedule(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """/jadwal: this week's slots; a peer gets take and leave buttons, guru BK the holders."""
    lang = turn.conversation.lang
    holds: tuple[HoldView, ...] = turn.reads.get("holds", ())
    slots = week_slots(ctx, turn.now)
    counselor = turn.party.role in COUNSELORS
    lines = [ctx.text("shifts.bk_header" if counselor else "shifts.week_header", lang,
                      cap=ctx.policy.shifts.capacity)]
    buttons: list[Button] = []
    ready = training.may_serve(ctx, turn.party, turn.now)
    roster = ctx.policy.roster
    today = _today(ctx, turn.now)
    for offset in range(WEEK_DAYS):
        day = today + dt.timedelta(days=offset)
        if roster is not None and day in roster.holidays:
            lines.append(ctx.text("shifts.holiday_line", lang,
                                  day=ctx.text(f"day.{day.weekday()}", lang)
                                  + day.strftime(" %d/%m")))
    for start, end in slots:
        here = [h for h in holds if h.starts_at == start]
        values = _values(ctx, start, end, lang)
        if counselor:
            names = ", ".join(h.name + (" ⚠️" if h.no_show else "") for h in here)
            lines.append(ctx.text("shifts.bk_line", lang, **values,
                                  names=names or ctx.text("shifts.bk_nobody", lang)))
            continue
        mine = any(h.peer == turn.party.key for h in here)
        lines.append(ctx.text("shifts.slot_line", lang, **values, n=len(here),
                              cap=ctx.policy.shifts.capacity,
                              mine=ctx.text("shifts.mine", lang) if mine else ""))
        if not ready or start <= turn.now or len(buttons) >= MAX_BUTTONS:
            continue
        key = slot_key(start, ctx)
        if mine:
            buttons.append(Button(ctx.text("shifts.leave_button", lang, **values),
                                  f"{PREFIX}leave:{key}"))
        elif len(here) < ctx.policy.shifts.capacity:
            buttons.append(Button(ctx.text("shifts.take_button", lang, **values),
                                  f"{PREFIX}take:{key}"))
    if not slots:
        lines.append(ctx.text("shifts.none", lang))
    elif counselor:
        lines.append(ctx.text("shifts.bk_footer", lang))
    else:
        lines.append(ctx.text("shifts.hint" if ready else "shifts.not_ready", lang))
    effects: list = [Send(turn.party.key, "\n".join(lines), tuple(buttons))]
    if counselor:  # who holds which shift, like /kasus's listing
        effects.append(Audit(turn.party.key, "shifts_viewed", {"slots": len(slots)}))
    return Outcome(turn.conversation, effects)


def _reply(ctx: Context, turn: Turn, key: str, audit: str = "", **values) -> Outcome:
    outcome = Outcome(turn.conversation, [Send(turn.party.key, ctx.text(
        key, turn.conversation.lang, **values))])
    if audit:
        outcome.effects.append(Audit(turn.party.key, audit, {}))
    return outcome


def press(ctx: Context, turn: Turn) -> Outcome:
    """``sh:take:SLOT`` or ``sh:leave:SLOT``."""
    action, _, key = turn.data.removeprefix(PREFIX).partition(":")
    slot = slot_named(ctx, key, turn.now, WEEK_DAYS)
    if action not in ("take", "leave") or slot is None or turn.party.role != "peer":
        return _reply(ctx, turn, "core.stale_button", audit="button_refused")
    start, end = slot
    lang = turn.conversation.lang
    values = _values(ctx, start, end, lang)
    if start <= turn.now:
        return _reply(ctx, turn, "shifts.started", **values)
    if not training.may_serve(ctx, turn.party, turn.now):
        return _reply(ctx, turn, "shifts.not_ready", audit="shift_refused")
    holds = [h for h in turn.reads.get("holds", ()) if h.starts_at == start]
    mine = any(h.peer == turn.party.key for h in holds)
    detail = {"slot": key}
    if action == "leave":
        if not mine:
            return _reply(ctx, turn, "shifts.not_yours", **values)
        token = swap_token(turn.party.key, key)
        return Outcome(turn.conversation, [
            LeaveShift(turn.party.key, start), *_cancel_all(ctx, turn.party.key, start),
            RetractButtons(ACCEPT_PREFIX + token),
            Send(turn.party.key, ctx.text("shifts.left", lang, **values)),
            Audit(turn.party.key, "shift_left", detail)])
    if mine:
        return _reply(ctx, turn, "shifts.already", **values)
    if len(holds) >= ctx.policy.shifts.capacity:
        return _reply(ctx, turn, "shifts.full", **values)
    minutes = int(ctx.policy.shifts.reminder.total_seconds() // 60)
    return Outcome(turn.conversation, [
        TakeShift(turn.party.key, start, end, ctx.policy.shifts.capacity),
        *timers_for(ctx, turn.party.key, start, end, turn.now),
        Send(turn.party.key, ctx.text("shifts.taken", lang, **values, minutes=minutes)),
        Audit(turn.party.key, "shift_taken", detail)])


# -- reminder and no-show ----------------------------------------------------------------------


def _timer_slot(ctx: Context, t: TimerTurn) -> tuple[dt.datetime, dt.datetime, HoldView | None]:
    start = dt.datetime.fromisoformat(str(t.payload["start"]))
    end = dt.datetime.fromisoformat(str(t.payload["end"]))
    hold = next((h for h in t.reads.get("holds", ()) if h.peer == t.party.key
                 and h.starts_at == start), None)
    return start, end, hold


def reminder(ctx: Context, t: TimerTurn) -> list:
    """Before the shift: a reminder, unless the slot is no longer in the roster (a holiday
    added, a shift removed): then it is let go and the peer told."""
    start, end, hold = _timer_slot(ctx, t)
    if hold is None or t.party.role != "peer":
        return []
    lang = t.conversation.lang
    values = _values(ctx, start, end, lang)
    if slot_named(ctx, slot_key(start, ctx), min(t.now, start), SWAP_DAYS) != (start, end):
        return [LeaveShift(t.party.key, start), *_cancel_all(ctx, t.party.key, start),
                Send(t.party.key, ctx.text("shifts.cancelled", lang, **values)),
                Audit(t.party.key, "shift_cancelled", {"slot": slot_key(start, ctx)})]
    return [Send(t.party.key, ctx.text("shifts.reminder", lang, name=_name(t.party),
                                       **values))]


def check(ctx: Context, t: TimerTurn) -> list:
    """Into the shift: not on duty yet -> a reminder; still not -> guru BK is told."""
    start, end, hold = _timer_slot(ctx, t)
    if hold is None or hold.arrived_at is not None or t.party.role != "peer" or t.now >= end:
        return []
    key = slot_key(start, ctx)
    if slot_named(ctx, key, start) != (start, end):  # a holiday now, or the shift removed
        return []
    if t.party.duty == "on":  # on duty since before the shift: that is an arrival
        return [MarkShift(t.party.key, start, "arrived", start)]
    lang = t.conversation.lang
    values = _values(ctx, start, end, lang)
    if int(t.payload.get("stage", 0)) == 0:
        return [Send(t.party.key, ctx.text("shifts.late", lang, **values)),
                StartTimer(t.party.key, f"{CHECK}:{key}",
                           t.now + ctx.policy.shifts.escalate_after,
                           {**t.payload, "stage": 1}),
                Audit(t.party.key, "shift_late", {"slot": key})]
    return [MarkShift(t.party.key, start, "no_show", t.now),
            Send(RoleTarget("counselor"), staff_text(ctx, "shifts.no_show_bk",
                                                     name=_name(t.party),
                                                     **_staff_values(ctx, start, end))),
            Audit(t.party.key, "shift_no_show", {"slot": key})]


def on_duty(ctx: Context, party: Party, now: dt.datetime, on: bool) -> list:
    """/onduty or /offduty by a peer: the arrival at (or leaving of) the slot running now or
    about to start; coming on duty cancels its pending no-show check."""
    if party.role != "peer":
        return []
    early = max(ctx.policy.shifts.reminder, dt.timedelta(minutes=15))
    roster = ctx.policy.roster
    yesterday = _today(ctx, now) - dt.timedelta(days=1)  # a shift may run past midnight
    effects: list = []
    for start, end in roster.slots(yesterday, 3) if roster is not None else ():
        if not start - early <= now < end:
            continue
        if on:
            effects += [MarkShift(party.key, start, "arrived", max(now, start)),
                        CancelTimer(party.key, f"{CHECK}:{slot_key(start, ctx)}")]
        else:
            effects.append(MarkShift(party.key, start, "left", now))
    return effects


# -- /tukar -----------------------------------------------------------------------------------


def swap(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """/tukar: which of the peer's upcoming slots to hand over (buttons)."""
    lang = turn.conversation.lang
    if turn.party.role != "peer":
        return _reply(ctx, turn, "shifts.peers_only")
    mine = [h for h in turn.reads.get("holds", ())
            if h.peer == turn.party.key and h.starts_at > turn.now][:MAX_BUTTONS]
    if not mine:
        return _reply(ctx, turn, "shifts.swap_none")
    buttons = tuple(Button(ctx.text("shifts.swap_button", lang,
                                    **_values(ctx, h.starts_at, h.ends_at, lang)),
                           f"{SWAP_PREFIX}ask:{slot_key(h.starts_at, ctx)}") for h in mine)
    return Outcome(turn.conversation, [Send(turn.party.key, ctx.text("shifts.swap_choose",
                                                                     lang), buttons)])


def ask_swap(ctx: Context, turn: Turn) -> Outcome:
    """``sw:ask:SLOT``: the other trained, approved peers who do not hold it are asked."""
    key = turn.data.removeprefix(SWAP_PREFIX + "ask:")
    slot = slot_named(ctx, key, turn.now)
    lang = turn.conversation.lang
    hold = next((h for h in turn.reads.get("holds", ()) if slot is not None
                 and h.starts_at == slot[0] and h.peer == turn.party.key), None)
    if slot is None or hold is None or turn.party.role != "peer":
        return _reply(ctx, turn, "core.stale_button", audit="button_refused")
    start, end = slot
    values = _values(ctx, start, end, lang)
    if start <= turn.now:
        return _reply(ctx, turn, "shifts.started", **values)
    if hold.swap_open:
        return _reply(ctx, turn, "shifts.swap_pending", **values)
    holders = {h.peer for h in turn.reads.get("holds", ()) if h.starts_at == start}
    peers = [p for p in turn.reads.get("peers", ()) if p.key not in holders
             and training.may_serve(ctx, p, turn.now)]
    if not peers:
        return _reply(ctx, turn, "shifts.swap_nobody", **values)
    token = swap_token(turn.party.key, key)
    offer = staff_text(ctx, "shifts.swap_offer", name=_name(turn.party),
                       **_staff_values(ctx, start, end))
    button = Button(staff_text(ctx, "shifts.swap_accept_button"), ACCEPT_PREFIX + token)
    return Outcome(turn.conversation, [
        AskSwap(token, turn.party.key, start),
        *[Send(p.key, offer, (button,)) for p in peers],
        StartTimer(turn.party.key, f"{LAPSE}:{key}", start, {"token": token,
                                                            "start": start.isoformat(),
                                                            "end": end.isoformat()}),
        Send(turn.party.key, ctx.text("shifts.swap_asked", lang, **values, n=len(peers))),
        Audit(turn.party.key, "shift_swap_asked", {"slot": key, "peers": len(peers)})])


def accept_swap(ctx: Context, turn: Turn) -> Outcome:
    """``sw:acc:TOKEN``: the first trained, approved peer to press takes the slot."""
    request: SwapView | None = turn.reads.get("swap")
    if request is None or turn.party.role != "peer":
        return _reply(ctx, turn, "shifts.swap_gone", audit="button_refused")
    lang = turn.conversation.lang
    start, end = request.starts_at, request.ends_at
    values = _values(ctx, start, end, lang)
    key = slot_key(start, ctx)
    if request.status != "open" or start <= turn.now:
        return _reply(ctx, turn, "shifts.swap_gone", audit="shift_swap_refused")
    if request.requester == turn.party.key:
        return _reply(ctx, turn, "shifts.swap_own")
    if turn.party.key in request.holders:
        return _reply(ctx, turn, "shifts.already", **values)
    if not training.may_serve(ctx, turn.party, turn.now):
        return _reply(ctx, turn, "shifts.not_ready", audit="shift_refused")
    taker = _name(turn.party)
    return Outcome(turn.conversation, [
        TakeSwap(request.token, turn.party.key, request.requester, start),
        *_cancel_all(ctx, request.requester, start),
        *timers_for(ctx, turn.party.key, start, end, turn.now),
        RetractButtons(ACCEPT_PREFIX + request.token),
        Send(turn.party.key, ctx.text("shifts.swap_yours", lang, **values)),
        Send(request.requester, staff_text(ctx, "shifts.swap_taken_requester", name=taker,
                                           **_staff_values(ctx, start, end))),
        Send(RoleTarget("counselor"), staff_text(ctx, "shifts.swap_taken_bk",
                                                 **{"from": request.requester_name,
                                                    "to": taker},
                                                 **_staff_values(ctx, start, end))),
        Audit(turn.party.key, "shift_swapped", {"slot": key})])


def lapse(ctx: Context, t: TimerTurn) -> list:
    """The shift begins and nobody took the swap: the requester is told they still hold it."""
    request: SwapView | None = t.reads.get("swap")
    if request is None or request.status != "open" or request.requester != t.party.key:
        return []
    lang = t.conversation.lang
    return [LapseSwap(request.token), RetractButtons(ACCEPT_PREFIX + request.token),
            Send(t.party.key, ctx.text("shifts.swap_lapsed", lang,
                                       **_values(ctx, request.starts_at, request.ends_at,
                                                 lang))),
            Audit(t.party.key, "shift_swap_lapsed", {"slot": slot_key(request.starts_at,
                                                                       ctx)})]


# -- /beban -----------------------------------------------------------------------------------


def hours_text(value: float, lang: str) -> str:
    """Hours as 2,5 (id) or 2.5 (en); whole hours without decimals."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "id" else text


def load(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """/beban: each peer's hours on their shifts and cases accepted, this week and last
    (counts, never content)."""
    lang = turn.conversation.lang
    loads: tuple[PeerLoad, ...] = turn.reads.get("loads", ())
    if not loads:
        return _reply(ctx, turn, "shifts.load_none")
    lines = [ctx.text("shifts.load_header", lang)]
    for peer in loads:
        now, before = (*peer.weeks, WeekLoad(), WeekLoad())[:2]
        no_shows = sum(w.no_shows for w in peer.weeks)
        lines.append(ctx.text(
            "shifts.load_line", lang, name=peer.name, hours=hours_text(now.hours, lang),
            cases=now.cases, hours_before=hours_text(before.hours, lang), cases_before=before.cases,
            no_show=ctx.text("shifts.load_no_show", lang, n=no_shows) if no_shows else ""))
    lines.append(ctx.text("shifts.load_note", lang))
    return Outcome(turn.conversation, [Send(turn.party.key, "\n".join(lines)),
                                       Audit(turn.party.key, "peer_load_viewed",
                                             {"peers": len(loads)})])


# -- declarations -----------------------------------------------------------------------------


def _week(ask: Ask) -> ShiftHolds:
    today = ask.now.astimezone(ask.tz).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=ask.tz)
    return ShiftHolds(start, start + dt.timedelta(days=SWAP_DAYS + 1))


def _slot_of_timer(ask: Ask) -> ShiftHolds | None:
    try:
        start = dt.datetime.fromisoformat(str(ask.payload["start"]))
    except (KeyError, ValueError):
        return None
    return ShiftHolds(start, start + dt.timedelta(seconds=1))


def _swap_named(ask: Ask) -> ShiftSwap | None:
    token = ask.data.removeprefix(ACCEPT_PREFIX) if ask.data else str(
        ask.payload.get("token", ""))
    return ShiftSwap(token) if token.isalnum() and len(token) <= 32 else None


def _loads(ask: Ask) -> PeerLoads:
    today = ask.now.astimezone(ask.tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    return PeerLoads(monday, LOAD_WEEKS, ask.tz)


def _menu(rank: int, text: str, *roles: str) -> MenuEntry:
    return MenuEntry(roles, rank, text)


WEEK = Read("holds", _week)
FEATURE = Feature(
    "shifts",
    commands=(
        Command("jadwal", schedule, STAFF, aliases=("shifts",), roles=("peer", *COUNSELORS),
                refuse=counselors_only, reads=(WEEK,),
                menu=(_menu(52, "Jadwal shift", "peer"),
                      _menu(70, "Jadwal shift konselor sebaya", "counselor"))),
        Command("tukar", swap, STAFF, aliases=("swap",), reads=(WEEK,),
                menu=(_menu(54, "Tukar shift", "peer"),)),
        Command("beban", load, STAFF, aliases=("load",), roles=COUNSELORS, refuse=counselors_only,
                reads=(Read("loads", _loads),),
                menu=(_menu(72, "Jam & kasus konselor sebaya", "counselor"),)),
        *refused_to_students("jadwal", "tukar", "beban"),
    ),
    buttons=(
        ButtonRoute(PREFIX, press, STAFF, reads=(WEEK,)),
        ButtonRoute(SWAP_PREFIX + "ask:", ask_swap, STAFF,
                    reads=(WEEK, Read("peers", lambda ask: SwapPeers()))),
        ButtonRoute(ACCEPT_PREFIX, accept_swap, STAFF, reads=(Read("swap", _swap_named),)),
    ),
    timers=(
        # context "reminder": on WhatsApp, outside the 24-hour window, the reminder template
        # carries them (a peer rarely wrote to the bot the day before a shift)
        TimerKind(REMIND, reminder, family=True, reads=(Read("holds", _slot_of_timer),),
                  context="reminder"),
        TimerKind(CHECK, check, family=True, reads=(Read("holds", _slot_of_timer),),
                  context="reminder"),
        TimerKind(LAPSE, lapse, family=True, reads=(Read("swap", _swap_named),),
                  context="reminder"),
    ),
    retractable=(ACCEPT_PREFIX,),
    effects=EFFECTS,
)
