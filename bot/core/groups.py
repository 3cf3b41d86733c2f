"""Group sessions (BK group counseling, psychosocial community activities).

Guru BK creates one with ``/sesi Topik | 2026-12-01 13:00 | Tempat | 12`` and lists upcoming
ones with their sign-up counts with ``/sesi``. Students find them in the menu and sign up
anonymously (``gs:join:ID`` / ``gs:leave:ID``); they get a reminder before it starts. Guru BK
sees how many, never who.
"""

from __future__ import annotations

import datetime as dt

from bot.core.appointments import SERVICES, when
from bot.core.context import Context
from bot.core.conversation import Conversation, Outcome, Turn
from bot.core.effects import Audit, CancelTimer, CreateGroupSession, GroupSignup, Send, StartTimer
from bot.core.events import Button
from bot.core.feature import (
    COUNSELORS,
    STAFF,
    ButtonRoute,
    Command,
    Feature,
    MenuEntry,
    Read,
    TimerKind,
    counselors_only,
    refused_to_students,
)
from bot.core.reads import UpcomingSessions
from bot.core.textclean import button_parts, is_small_id

PREFIX = "gs:"
REMINDER = "group"  # timer kind: group:<session id>
MAX_SEATS = 200


def listing(ctx: Context, turn: Turn, conv: Conversation) -> Outcome:
    """The student's list of upcoming sessions, each with a join or leave button."""
    outcome = Outcome(conv)
    lang = conv.lang
    if not turn.sessions:
        ctx.say(outcome, turn, "groups.none")
        return outcome
    lines = [ctx.text("groups.list", lang)]
    buttons = []
    for session in turn.sessions:
        lines.append("• " + ctx.text("groups.item", lang, topic=session.topic,
                                      when=when(ctx, session.starts_at, lang),
                                      place=session.place,
                                      left=max(0, session.seats - session.count)))
        action = "leave" if session.joined else "join"
        buttons.append(Button(ctx.text(f"groups.{action}", lang, topic=session.topic)[:60],
                              f"{PREFIX}{action}:{session.id}"))
    outcome.effects.append(Send(turn.party.key, "\n".join(lines), tuple(buttons)))
    return outcome


def student_button(ctx: Context, turn: Turn) -> Outcome:
    _, action, value = button_parts(turn.data)
    lang = turn.conversation.lang
    outcome = Outcome(turn.conversation)
    session = next((s for s in turn.sessions if str(s.id) == value), None)
    if session is None or action not in ("join", "leave"):
        outcome.effects.append(Audit(turn.party.key, "button_refused", {}))
        ctx.say(outcome, turn, "groups.gone")
        return outcome
    values = {"topic": session.topic, "when": when(ctx, session.starts_at, lang),
              "place": session.place}
    if action == "leave":
        outcome.effects += [GroupSignup(session.id, turn.party.key, join=False),
                            CancelTimer(turn.party.key, f"{REMINDER}:{session.id}")]
        ctx.say(outcome, turn, "groups.left", **values)
        return outcome
    if not session.joined and session.count >= session.seats:
        ctx.say(outcome, turn, "groups.full", **values)
        return outcome
    due = max(turn.now, session.starts_at - ctx.policy.appointments.reminder)
    outcome.effects += [
        GroupSignup(session.id, turn.party.key),
        StartTimer(turn.party.key, f"{REMINDER}:{session.id}", due,
                   {"topic": session.topic, "starts_at": session.starts_at.isoformat(),
                    "place": session.place}),
        Audit(None, "service_used", {"service": "group_signup"}),
    ]
    ctx.say(outcome, turn, "groups.joined", **values)
    return outcome


def reminder(ctx: Context, conv: Conversation, payload: dict) -> list:
    try:
        starts = dt.datetime.fromisoformat(str(payload.get("starts_at")))
    except ValueError:
        return []
    return [Send(conv.user, ctx.text("groups.reminder", conv.lang, topic=payload.get("topic"),
                                      when=when(ctx, starts, conv.lang),
                                      place=payload.get("place")))]


def staff_command(ctx: Context, turn: Turn, args: str) -> Outcome:
    """/sesi (list) or /sesi Topic | YYYY-MM-DD HH:MM | Place | seats (create)."""
    outcome = Outcome(turn.conversation)
    lang = turn.conversation.lang
    if not args.strip():
        if not turn.sessions:
            ctx.say(outcome, turn, "groups.staff_none")
            return outcome
        lines = [ctx.text("groups.staff_list_header", lang)]
        lines += [ctx.text("groups.staff_list_item", lang, id=s.id, topic=s.topic,
                            when=when(ctx, s.starts_at, lang), place=s.place,
                            count=s.count, seats=s.seats) for s in turn.sessions]
        outcome.effects.append(Send(turn.party.key, "\n".join(lines)))
        return outcome
    parts = [p.strip() for p in args.split("|")]
    if len(parts) != 4 or not parts[0] or not parts[2] or not is_small_id(parts[3]) \
            or not 1 <= int(parts[3]) <= MAX_SEATS:
        ctx.say(outcome, turn, "groups.staff_usage")
        return outcome
    try:
        starts = dt.datetime.strptime(parts[1], "%Y-%m-%d %H:%M").replace(tzinfo=ctx.policy.tz)
    except ValueError:
        starts = None
    if starts is None or starts <= turn.now:
        ctx.say(outcome, turn, "groups.staff_bad_time")
        return outcome
    topic, place, seats = parts[0][:80], parts[2][:80], int(parts[3])
    outcome.effects += [CreateGroupSession(topic, starts, place, seats, turn.party.key),
                        Audit(turn.party.key, "group_session_created", {"seats": seats})]
    ctx.say(outcome, turn, "groups.staff_created", topic=topic,
             when=when(ctx, starts, lang), place=place, seats=seats)
    return outcome


FEATURE = Feature(
    "groups",
    commands=(Command("sesi", staff_command, STAFF, aliases=("sessions",), roles=COUNSELORS,
                      refuse=counselors_only,
                      reads=(Read("sessions", lambda ask: UpcomingSessions(own=False)),),
                      menu=(MenuEntry(("counselor",), 50, "Sesi kelompok"),)),
              *refused_to_students("sesi")),
    buttons=(ButtonRoute(PREFIX, student_button, reads=SERVICES),),
    timers=(TimerKind(REMINDER, lambda ctx, t: reminder(ctx, t.conversation, dict(t.payload)),
                      family=True, context="reminder"),),
)
