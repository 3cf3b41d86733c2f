"""Becoming staff in chat: /join CODE, then (peers) a pseudonym; /onduty and /offduty."""

from __future__ import annotations

import re

from bot.core import pseudonym, shifts, training
from bot.core.context import Context
from bot.core.conversation import Outcome, Turn
from bot.core.crisis import LADDER_TIMER
from bot.core.effects import AllDueNow, Audit, EnrolStaff, OfferWaiting, Send, UpdateStaff
from bot.core.feature import (
    STAFF,
    Ask,
    Command,
    Feature,
    MenuEntry,
    Read,
    refused_to_students,
)
from bot.core.handoff import OFFER_TIMER
from bot.core.reads import InviteCode, PseudonymTaken
from bot.core.staffhelp import staff_help

AWAIT_PSEUDONYM = "pseudonym"
ALERTED_ROLES = ("counselor", "backup")  # who crisis alerts reach: a new one gets them at once
_PSEUDONYM = re.compile(r"^[^\W_][\w .'-]{1,22}[^\W_]$")


def join(ctx: Context, turn: Turn) -> Outcome:
    """A student-side /join: the invite was checked by the dispatcher in this transaction."""
    lang = turn.conversation.lang
    outcome = Outcome(turn.conversation)
    check = turn.invite
    if check is None:
        outcome.effects.append(Send(turn.party.key, ctx.text("enrol.usage", lang)))
        return outcome
    if check.status != "ok":
        outcome.effects += [
            Send(turn.party.key, ctx.text(f"enrol.{check.status}", lang)),
            Audit(turn.party.key, "join_failed", {"reason": check.status}),
        ]
        return outcome
    role = ctx.text(f"role.{check.role}", lang)
    outcome.effects += [
        EnrolStaff(turn.party.key, check.invite_id, check.role, check.name),
        Audit(turn.party.key, "staff_enrolled", {"role": check.role}),
        Send(turn.party.key, ctx.text("enrol.welcome", lang, role=role)),
    ]
    if check.role in ALERTED_ROLES:  # crises waiting for anyone reach the newcomer now
        outcome.effects.append(AllDueNow(LADDER_TIMER))
    conv = turn.conversation.moved(flow=None, state=None, vars={})
    if check.role == "peer":
        conv = conv.moved(vars={"await": AWAIT_PSEUDONYM})
        outcome.effects.append(Send(turn.party.key, ctx.text("enrol.ask_pseudonym", lang)))
    outcome.conversation = conv
    return outcome


def pseudonym_read(ask: Ask) -> PseudonymTaken | None:
    """A staff text that could be a nickname: is it taken (read with every such text, since
    the fallback cannot see whether a nickname was asked for)?"""
    name = " ".join(ask.text.split())
    return PseudonymTaken(name) if _PSEUDONYM.match(name) else None


def set_pseudonym(ctx: Context, turn: Turn, text: str) -> Outcome:
    lang = turn.conversation.lang
    name = " ".join(text.split())
    outcome = Outcome(turn.conversation)
    if not _PSEUDONYM.match(name) or name.startswith("/"):
        outcome.effects.append(Send(turn.party.key, ctx.text("enrol.bad_pseudonym", lang)))
        return outcome
    if pseudonym.impersonates(name):  # "Guru BK", "Admin", "Polisi": kindly, with the reason
        outcome.effects += [Send(turn.party.key, ctx.text("enrol.pseudonym_reserved", lang)),
                            Audit(turn.party.key, "pseudonym_refused", {"reason": "reserved"})]
        return outcome
    suggestion = turn.reads.get("pseudonym_taken")
    if suggestion:  # another peer has it: students would mix them up
        outcome.effects += [Send(turn.party.key, ctx.text("enrol.pseudonym_taken", lang,
                                                          name=name, suggestion=suggestion)),
                            Audit(turn.party.key, "pseudonym_refused", {"reason": "taken"})]
        return outcome
    outcome.conversation = turn.conversation.moved(
        vars={k: v for k, v in turn.conversation.vars.items() if k != "await"})
    outcome.effects += [UpdateStaff(turn.party.key, pseudonym=name),
                        Send(turn.party.key, ctx.text("enrol.pseudonym_set", lang, name=name))]
    if turn.party.role == "peer" and not turn.party.pseudonym:  # a new peer: training next
        return training.begin(ctx, turn, outcome, name)
    return outcome


def duty(ctx: Context, turn: Turn, on: bool) -> Outcome:
    if on and turn.party.role == "peer" and not turn.party.pseudonym:
        conv = turn.conversation  # students must never see the name on the invite
        return Outcome(conv.moved(vars={**conv.vars, "await": AWAIT_PSEUDONYM}), [
            Send(turn.party.key, ctx.text("enrol.pseudonym_first", conv.lang))])
    refused = training.duty_refusal(ctx, turn) if on else None
    if refused is not None:  # kindly: training first, then guru BK's approval
        return refused
    key = "staff.on_duty" if on else "staff.off_duty"
    return Outcome(turn.conversation, [
        UpdateStaff(turn.party.key, duty="on" if on else "off"),
        Send(turn.party.key, ctx.text(key, turn.conversation.lang)),
        Audit(turn.party.key, "duty_on" if on else "duty_off", {}),
        *([OfferWaiting(OFFER_TIMER)] if on and turn.party.role == "peer" else []),
        *([AllDueNow(LADDER_TIMER)] if on and turn.party.role in ALERTED_ROLES else []),
        *shifts.on_duty(ctx, turn.party, turn.now, on),  # the shift's arrival (or leaving)
    ])


def _nama(ctx: Context, turn: Turn, args: str) -> Outcome:
    """/nama NAME sets the pseudonym; /nama alone is the staff help."""
    return set_pseudonym(ctx, turn, args) if args else staff_help(ctx, turn)


def _already_staff(ctx: Context, turn: Turn, _: str) -> Outcome:
    outcome = Outcome(turn.conversation)
    ctx.say(outcome, turn, "enrol.already_staff")
    return outcome


def _duty_line(rank_peer: int, rank_counselor: int, text: str) -> tuple[MenuEntry, ...]:
    return (MenuEntry(("peer",), rank_peer, text), MenuEntry(("counselor",), rank_counselor, text))


FEATURE = Feature(
    "enrol",
    commands=(
        Command("join", lambda ctx, turn, _: join(ctx, turn), reads=(
            Read("invite", lambda ask: InviteCode(ask.args) if ask.args else None),)),
        Command("join", _already_staff, STAFF),
        Command("onduty", lambda ctx, turn, _: duty(ctx, turn, on=True), STAFF,
                menu=_duty_line(40, 80, "Mulai bertugas")),
        Command("offduty", lambda ctx, turn, _: duty(ctx, turn, on=False), STAFF,
                menu=_duty_line(50, 85, "Berhenti bertugas")),
        Command("nama", _nama, STAFF, aliases=("name",),
                menu=(MenuEntry(("peer",), 60, "Ganti nama samaran"),)),
        *refused_to_students("onduty", "offduty", "nama"),
    ),
)
