"""Appointments with guru BK (individual counseling), one active per student.

The appointment flow (flows/appointment.yaml) asks anonymous-or-named (explicit consent) and
the topic, then hands over here: the student picks a proposed time (buttons, school days only),
gives name and class if they consented (sealed at rest, shown to guru BK only), guru BK
confirms or asks for another time, both get a reminder, and the student can see, move or cancel
it with /janji. Moving a confirmed appointment keeps it until guru BK confirms the new time (a
declined move leaves it as it was); guru BK may also propose a time, which the student accepts
or answers with another. The student's code (REF, from identity.appointment_ref) is what they
give at the BK office: shown on confirmation and by /janji.
Button data: ``ap:slot:YYYYMMDDHHMM``, ``ap:ok|no|pr:REF``, ``ap:ps:REF:YYYYMMDDHHMM``
(staff: confirm, another time, propose, the proposed time), ``ap:cancel|move|take:REF``
(student: cancel, change, accept guru BK's time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.core.context import Context
from bot.core.conversation import (
    AppointmentView,
    Conversation,
    Outcome,
    Turn,
    carried,
    within_rate,
)
from bot.core.crisis import quoted
from bot.core.effects import (
    Audit,
    CancelTimer,
    ProposeAppointment,
    RequestAppointment,
    RetractButtons,
    Send,
    SetAppointment,
    StartTimer,
)
from bot.core.events import Button
from bot.core.feature import (
    STAFF,
    STUDENT,
    ButtonRoute,
    Command,
    Feature,
    MenuEntry,
    Read,
    TimerKind,
)
from bot.core.identity import appointment_ref
from bot.core.keys import RoleTarget, UserKey
from bot.core.localized import Localized, per_lang, staff_text
from bot.core.policy import AppointmentPolicy  # noqa: F401  (its home was here)
from bot.core.reads import AppointmentByRef, OwnAppointment, TakenSlots, UpcomingSessions
from bot.core.textclean import button_parts

PREFIX = "ap:"
ANSWER_PREFIX = PREFIX + "ok:"  # the first button of a request guru BK answers
REMINDER = "appt_reminder"
AWAIT_IDENTITY = "ap_identity"
ACTIVE = ("requested", "declined", "confirmed")
_SLOT_FORMAT = "%Y%m%d%H%M"


def proposed_slots(ctx: Context, now: dt.datetime) -> list[dt.datetime]:
    """The next school days' configured times (school time zone), from tomorrow."""
    policy = ctx.policy.appointments
    local = now.astimezone(ctx.policy.tz)
    days: list[dt.date] = []
    for offset in range(1, 22):
        day = local.date() + dt.timedelta(days=offset)
        if ctx.policy.roster is None or ctx.policy.roster.school_day(day):
            days.append(day)
        if len(days) == policy.days_ahead:
            break
    return [dt.datetime.combine(day, t, tzinfo=ctx.policy.tz) for day in days for t in policy.slots]


def when(ctx: Context, moment: dt.datetime, lang: str) -> str:
    local = moment.astimezone(ctx.policy.tz)
    return ctx.text(f"day.{local.weekday()}", lang) + local.strftime(" %d/%m %H.%M")


def _place(ctx: Context) -> str:
    return ctx.policy.appointments.place or str(ctx.context("id").get("bk_office", ""))


def _slot_buttons(ctx: Context, now: dt.datetime, lang: str,
                  taken: tuple[dt.datetime, ...] = ()) -> tuple[Button, ...]:
    return tuple(Button(when(ctx, slot, lang), PREFIX + "slot:" + slot.strftime(_SLOT_FORMAT))
                 for slot in proposed_slots(ctx, now) if slot not in taken)


def _taken(turn: Turn) -> tuple[dt.datetime, ...]:
    """The slots other students hold (read with a student's appointment buttons)."""
    return tuple(turn.reads.get("taken") or ())


def _choose(ctx: Context, turn: Turn, conv: Conversation, key: str = "appointment.choose_slot",
            **values: Any) -> Outcome:
    outcome = Outcome(conv)
    buttons = _slot_buttons(ctx, turn.now, conv.lang, _taken(turn))
    if not buttons:
        ctx.say(outcome, turn, "appointment.no_slots")
        return outcome
    ctx.say(outcome, turn, key, buttons, **values)
    return outcome


def start(ctx: Context, turn: Turn, conv: Conversation, variables: dict[str, Any]) -> Outcome:
    """The flow handed over: topic and the consent answer are in ``variables``."""
    current = turn.appointment
    if current is not None and current.status in ACTIVE:  # one at a time: show it, with
        return show(ctx, replace(turn, conversation=conv))  # its buttons (no dead end)
    kept = {**carried(variables), "ap_topic": str(variables.get("topic") or "lainnya"),
            "ap_share": bool(variables.get("share"))}
    return _choose(ctx, turn, conv.moved(vars=kept))


def _valid_slot(ctx: Context, turn: Turn, raw: str) -> dt.datetime | None:
    try:
        wanted = dt.datetime.strptime(raw, _SLOT_FORMAT).replace(tzinfo=ctx.policy.tz)
    except ValueError:
        return None
    return wanted if wanted in proposed_slots(ctx, turn.now) else None


STAFF_NOTICES_PER_HOUR = 4  # requests, moves and cancellations that reach guru BK


def student_button(ctx: Context, turn: Turn) -> Outcome:
    _, action, value = button_parts(turn.data)
    if action in ("slot", "cancel"):  # these reach guru BK: a few an hour, not forty
        allowed, conv = within_rate(turn.conversation, "appointment", turn.now,
                                    STAFF_NOTICES_PER_HOUR, dt.timedelta(hours=1))
        if not allowed:
            return _say(ctx, turn, "appointment.slow_down", audit="button_throttled")
        turn = replace(turn, conversation=conv)
    conv, current = turn.conversation, turn.appointment
    active = current if current is not None and current.status in ACTIVE else None
    if action == "slot":
        slot = _valid_slot(ctx, turn, value)
        if slot is None:  # a time that passed: the times still open, never nothing
            outcome = _choose(ctx, turn, conv, "appointment.slot_passed")
            outcome.effects.append(Audit(turn.party.key, "button_refused", {}))
            return outcome
        if slot in _taken(turn):  # another student booked it first: kindly, other times
            outcome = _choose(ctx, turn, conv, "appointment.slot_taken",
                              when=when(ctx, slot, conv.lang))
            outcome.effects.append(Audit(turn.party.key, "appointment_slot_taken", {}))
            return outcome
        if active is not None:
            return _move(ctx, turn, active, slot)
        if conv.vars.get("ap_share"):
            outcome = Outcome(conv.moved(vars={**conv.vars, "await": AWAIT_IDENTITY,
                                               "ap_slot": value}))
            ctx.say(outcome, turn, "appointment.ask_identity")
            return outcome
        return _request(ctx, turn, slot, None)
    if active is None or value != active.ref or action not in ("cancel", "move", "take"):
        return _say(ctx, turn, "appointment.gone", audit="button_refused")
    if action == "cancel":
        return _cancel(ctx, turn, active)
    if action == "take":
        return _take_proposal(ctx, turn, active)
    return _choose(ctx, turn, conv)


def identity_text(ctx: Context, turn: Turn, text: str) -> Outcome:
    """Name and class, typed after consenting: goes into the request (sealed), never kept in
    the conversation."""
    conv = turn.conversation
    if len(text.strip()) < 3:
        return _say(ctx, turn, "appointment.identity_short")
    slot = _valid_slot(ctx, turn, str(conv.vars.get("ap_slot", "")))
    if slot is None:  # the proposed time passed while they typed: choose again
        rest = {k: v for k, v in conv.vars.items() if k not in ("await", "ap_slot")}
        return _choose(ctx, turn, conv.moved(vars=rest))
    return _request(ctx, turn, slot, text.strip()[:120])


def _request(ctx: Context, turn: Turn, slot: dt.datetime, identity: str | None) -> Outcome:
    conv = turn.conversation
    topic = str(conv.vars.get("ap_topic") or "lainnya")
    who = (staff_text(ctx, "appointment.staff_identity", identity=quoted(identity)) if identity
           else staff_text(ctx, "appointment.staff_anonymous", alias=turn.party.alias))
    ref = appointment_ref(turn.party.key)  # never the case code: a shared name stays here
    outcome = Outcome(conv.moved(vars=carried(conv.vars)), [
        RequestAppointment(turn.party.key, slot, topic, identity, ref),
        _staff_request(ctx, ref, slot, topic, who),
        Audit(turn.party.key, "appointment_requested",
              {"identity_shared_with_consent": identity is not None}),
    ])
    ctx.say(outcome, turn, "appointment.requested", when=when(ctx, slot, conv.lang), ref=ref)
    return outcome


def _answered_notice(ctx: Context, turn: Turn, ref: str) -> Send:
    """The other counselors' answer buttons vanish: a short line says why (not silence)."""
    return Send(RoleTarget("counselors_only", exclude=turn.party.key), staff_text(
        ctx, "appointment.staff_answered", ref=ref,
        name=turn.party.display_name or staff_text(ctx, "role.counselor")))


def _answer_buttons(ctx: Context, ref: str) -> tuple[Button, ...]:
    return (Button(staff_text(ctx, "appointment.btn.confirm"), ANSWER_PREFIX + ref),
            Button(staff_text(ctx, "appointment.btn.decline"), f"{PREFIX}no:{ref}"),
            Button(staff_text(ctx, "appointment.btn.propose"), f"{PREFIX}pr:{ref}"))


def _when_for_staff(ctx: Context, moment: dt.datetime) -> Localized:
    """``when`` in every language (a staff text's value, filled in per recipient)."""
    return per_lang(ctx, lambda lang: when(ctx, moment, lang))


def _staff_request(ctx: Context, ref: str, slot: dt.datetime, topic: str, who: str,
                   key: str = "appointment.staff_request") -> Send:
    text = staff_text(ctx, key, ref=ref, when=_when_for_staff(ctx, slot),
                      topic=staff_text(ctx, f"topic.{topic}"), who=who)
    return Send(RoleTarget("counselor"), text, _answer_buttons(ctx, ref))


def _reminder_cancels(appt: AppointmentView) -> list:
    out: list = [CancelTimer(appt.student, REMINDER)]
    if appt.confirmed_by is not None:
        out.append(CancelTimer(appt.confirmed_by, f"{REMINDER}:{appt.ref}"))
    return out


def _move(ctx: Context, turn: Turn, appt: AppointmentView, slot: dt.datetime) -> Outcome:
    """Another time. A confirmed appointment stays confirmed until guru BK says yes to the new
    one (reminders and all); a request not confirmed yet simply asks for the new time."""
    lang = turn.conversation.lang
    rescheduled = staff_text(ctx, "appointment.staff_rescheduled", ref=appt.ref,
                             when=_when_for_staff(ctx, slot),
                             current=_when_for_staff(ctx, appt.slot))
    to = appt.confirmed_by or RoleTarget("counselor")
    if appt.status == "confirmed":
        outcome = Outcome(turn.conversation, [
            ProposeAppointment(appt.id, slot, "student"),
            Send(to, rescheduled, _answer_buttons(ctx, appt.ref)),
            Audit(turn.party.key, "appointment_moved", {"ref": appt.ref})])
        ctx.say(outcome, turn, "appointment.move_requested", when=when(ctx, slot, lang),
                 current=when(ctx, appt.slot, lang))
        return outcome
    outcome = Outcome(turn.conversation, [
        RequestAppointment(turn.party.key, slot, appt.topic),
        RetractButtons(ANSWER_PREFIX + appt.ref),  # the earlier request's buttons go
        Send(to, staff_text(ctx, "appointment.staff_request_moved", ref=appt.ref,
                            when=_when_for_staff(ctx, slot)), _answer_buttons(ctx, appt.ref)),
        Audit(turn.party.key, "appointment_moved", {"ref": appt.ref})])
    ctx.say(outcome, turn, "appointment.requested", when=when(ctx, slot, lang), ref=appt.ref)
    return outcome


def _take_proposal(ctx: Context, turn: Turn, appt: AppointmentView) -> Outcome:
    """The student accepts the time guru BK proposed: confirmed, by the proposing counselor."""
    slot = appt.pending_slot
    if appt.pending_from != "counselor" or slot is None or slot <= turn.now:
        return _say(ctx, turn, "appointment.gone", audit="button_refused")
    staff = appt.pending_by or appt.confirmed_by
    effects = [*_reminder_cancels(appt),
               *_confirmed(ctx, appt, slot, staff),
               Audit(turn.party.key, "appointment_accepted", {"ref": appt.ref})]
    effects.append(Send(staff or RoleTarget("counselor"), staff_text(
        ctx, "appointment.staff_accepted", ref=appt.ref, when=_when_for_staff(ctx, slot))))
    return Outcome(turn.conversation, effects)


def _confirmed(ctx: Context, appt: AppointmentView, slot: dt.datetime,
               staff: UserKey | None) -> list:
    """Confirmed at ``slot``: the student is told (with the code for the BK office) and both
    get a reminder."""
    lang = appt.lang
    due = slot - ctx.policy.appointments.reminder
    effects: list = [
        SetAppointment(appt.id, "confirmed", staff, slot),
        Send(appt.student, ctx.text("appointment.confirmed", lang, ref=appt.ref,
                                     when=when(ctx, slot, lang), place=_place(ctx))),
        StartTimer(appt.student, REMINDER, due, {"slot": slot.isoformat()})]
    if staff is not None:
        effects.append(StartTimer(staff, f"{REMINDER}:{appt.ref}", due,
                                  {"slot": slot.isoformat(), "ref": appt.ref}))
    return effects


def _cancel(ctx: Context, turn: Turn, appt: AppointmentView) -> Outcome:
    outcome = Outcome(turn.conversation, [
        SetAppointment(appt.id, "cancelled"),
        *_reminder_cancels(appt),
        Send(appt.confirmed_by or RoleTarget("counselor"), staff_text(
            ctx, "appointment.staff_cancelled", ref=appt.ref,
            when=_when_for_staff(ctx, appt.slot))),
        Audit(turn.party.key, "appointment_cancelled", {"ref": appt.ref}),
        RetractButtons(ANSWER_PREFIX + appt.ref),
    ])
    ctx.say(outcome, turn, "appointment.cancelled")
    return outcome


def show(ctx: Context, turn: Turn) -> Outcome:
    """The student's /janji: the appointment, its code, a new time waiting for an answer, and
    buttons (accept guru BK's time, change, cancel)."""
    appt, lang = turn.appointment, turn.conversation.lang
    outcome = Outcome(turn.conversation)
    if appt is None or appt.status not in ACTIVE:
        ctx.say(outcome, turn, "appointment.none")
        return outcome
    lines = [ctx.text("appointment.status", lang, when=when(ctx, appt.slot, lang),
                       status=ctx.text(f"appointment.status_{appt.status}", lang),
                       place=_place(ctx), ref=appt.ref)]
    buttons: tuple[Button, ...] = ()
    if appt.pending_slot is not None and appt.pending_from == "counselor":
        lines.append(ctx.text("appointment.pending_counselor", lang,
                               when=when(ctx, appt.pending_slot, lang)))
        buttons = (Button(ctx.text("appointment.btn.take", lang), f"{PREFIX}take:{appt.ref}"),)
    elif appt.pending_slot is not None:
        lines.append(ctx.text("appointment.pending_student", lang,
                               when=when(ctx, appt.pending_slot, lang)))
    buttons += (Button(ctx.text("appointment.btn.reschedule", lang), f"{PREFIX}move:{appt.ref}"),
                Button(ctx.text("appointment.btn.cancel", lang), f"{PREFIX}cancel:{appt.ref}"))
    ctx.say(outcome, turn, "appointment.show", buttons, text="\n".join(lines))
    return outcome


def staff_button(ctx: Context, turn: Turn) -> Outcome:
    """Guru BK confirms (``ap:ok:REF``), asks for another time (``ap:no:REF``) or proposes one
    (``ap:pr:REF``, then ``ap:ps:REF:YYYYMMDDHHMM``). A student's move of a confirmed
    appointment is answered the same way; declining it keeps the confirmed time."""
    _, action, value = button_parts(turn.data)
    ref, _, raw_slot = value.partition(":")
    appt, lang = turn.appointment, turn.conversation.lang
    if turn.party.role not in ("counselor", "backup"):
        return _say(ctx, turn, "supervision.counselors_only", audit="button_refused")
    if appt is None or appt.ref != ref or appt.status not in ACTIVE:
        return _say(ctx, turn, "appointment.gone")
    moving = appt.status == "confirmed" and appt.pending_from == "student" \
        and appt.pending_slot is not None
    open_to_answer = appt.status == "requested" or moving
    if action == "ps" and appt.pending_from == "counselor":
        open_to_answer = True  # a second pick replaces the first proposal
    if not open_to_answer:
        return _say(ctx, turn, "appointment.staff_done", ref=ref,
                    name=appt.confirmed_name or "-")
    if action == "ok":
        slot = appt.pending_slot if moving and appt.pending_slot else appt.slot
        return Outcome(turn.conversation, [
            *(_reminder_cancels(appt) if moving else []),
            *_confirmed(ctx, appt, slot, turn.party.key),
            Send(turn.party.key, ctx.text("appointment.staff_confirmed", lang, ref=ref,
                                           when=when(ctx, slot, lang))),
            Audit(turn.party.key, "appointment_confirmed", {"ref": ref}),
            RetractButtons(ANSWER_PREFIX + ref),  # the other counselors' buttons go ...
            _answered_notice(ctx, turn, ref),  # ... and they are told why
        ])
    if action == "no" and moving:
        assert appt.pending_slot is not None
        student_lang = appt.lang
        return Outcome(turn.conversation, [
            SetAppointment(appt.id, "confirmed", appt.confirmed_by),  # as it was
            Send(appt.student, ctx.text(
                "appointment.move_declined", student_lang,
                when=when(ctx, appt.pending_slot, student_lang),
                current=when(ctx, appt.slot, student_lang), ref=ref)),
            Send(turn.party.key, ctx.text("appointment.staff_move_declined", lang, ref=ref,
                                           when=when(ctx, appt.slot, lang))),
            Audit(turn.party.key, "appointment_move_declined", {"ref": ref}),
            RetractButtons(ANSWER_PREFIX + ref), _answered_notice(ctx, turn, ref),
        ])
    if action == "no":
        student_lang = appt.lang
        buttons = _slot_buttons(ctx, turn.now, student_lang)
        return Outcome(turn.conversation, [
            SetAppointment(appt.id, "declined", turn.party.key),
            Send(appt.student, ctx.text("appointment.declined", student_lang,
                                         when=when(ctx, appt.slot, student_lang)), buttons),
            Send(turn.party.key, ctx.text("appointment.staff_declined", lang, ref=ref)),
            Audit(turn.party.key, "appointment_declined", {"ref": ref}),
            RetractButtons(ANSWER_PREFIX + ref), _answered_notice(ctx, turn, ref),
        ])
    if action == "pr":
        buttons = tuple(Button(when(ctx, slot, lang),
                               f"{PREFIX}ps:{ref}:{slot.strftime(_SLOT_FORMAT)}")
                        for slot in proposed_slots(ctx, turn.now))
        return _say(ctx, turn, "appointment.staff_pick" if buttons
                    else "appointment.staff_no_slots", buttons=buttons, ref=ref)
    if action == "ps":
        slot = _valid_slot(ctx, turn, raw_slot)
        if slot is None:
            return _say(ctx, turn, "core.stale_button", audit="button_refused")
        return _propose(ctx, turn, appt, slot)
    return _say(ctx, turn, "core.stale_button")


def _propose(ctx: Context, turn: Turn, appt: AppointmentView, slot: dt.datetime) -> Outcome:
    """Guru BK proposes ``slot``: the student accepts it or picks another; until then the
    appointment stays as it is (a confirmed one keeps its time)."""
    lang, student_lang = turn.conversation.lang, appt.lang
    buttons = (Button(ctx.text("appointment.btn.take", student_lang),
                      f"{PREFIX}take:{appt.ref}"),
               Button(ctx.text("appointment.btn.other_time", student_lang),
                      f"{PREFIX}move:{appt.ref}"))
    key = "appointment.proposed_moved" if appt.status == "confirmed" else "appointment.proposed"
    return Outcome(turn.conversation, [
        ProposeAppointment(appt.id, slot, "counselor", turn.party.key),
        Send(appt.student, ctx.text(key, student_lang, when=when(ctx, slot, student_lang),
                                     current=when(ctx, appt.slot, student_lang)), buttons),
        Send(turn.party.key, ctx.text("appointment.staff_proposed", lang, ref=appt.ref,
                                       when=when(ctx, slot, lang))),
        Audit(turn.party.key, "appointment_proposed", {"ref": appt.ref}),
        RetractButtons(ANSWER_PREFIX + appt.ref),
    ])


def reminder(ctx: Context, conv: Conversation, kind: str, payload: dict) -> list:
    """A reminder timer fired (the student's, or the confirming counselor's)."""
    try:
        slot = dt.datetime.fromisoformat(str(payload.get("slot")))
    except ValueError:
        return []
    key = "appointment.staff_reminder" if ":" in kind else "appointment.reminder"
    return [Send(conv.user, ctx.text(key, conv.lang, when=when(ctx, slot, conv.lang),
                                      place=_place(ctx), ref=payload.get("ref", "")))]


def _say(ctx: Context, turn: Turn, key: str, audit: str = "",
         buttons: tuple[Button, ...] = (), **values: Any) -> Outcome:
    outcome = Outcome(turn.conversation)
    if audit:
        outcome.effects.append(Audit(turn.party.key, audit, {}))
    ctx.say(outcome, turn, key, buttons, **values)
    return outcome


SERVICES = (Read("appointment", lambda ask: OwnAppointment()),  # what a student's services
            Read("sessions", lambda ask: UpcomingSessions()))  # (menu, /janji) show


def _staff_ref(ask) -> AppointmentByRef:
    return AppointmentByRef(button_parts(ask.data)[2].partition(":")[0])  # ap:ps:REF:TIME too


FEATURE = Feature(
    "appointments",
    commands=(Command("janji", lambda ctx, turn, _: show(ctx, turn), aliases=("appointment",),
                      reads=SERVICES, menu=(MenuEntry((STUDENT,), 30, "Janji temu guru BK",
                                                      "Counselor appointment"),)),),
    buttons=(ButtonRoute(PREFIX, student_button,
                         reads=(*SERVICES, Read("taken", lambda ask: TakenSlots()))),
             ButtonRoute(PREFIX, staff_button, STAFF, reads=(Read("appointment", _staff_ref),))),
    retractable=(ANSWER_PREFIX,),
    timers=(TimerKind(REMINDER, lambda ctx, t: reminder(ctx, t.conversation, t.kind,
                                                         dict(t.payload)),
                      family=True, context="reminder"),),
)
