"""Asking directly: "are you thinking about ending your life or hurting yourself?"

Asking does not plant the idea (Dazzi et al. 2014) and is how youth screening works (ASQ). The bot
asks once, kindly, with three buttons, when it is unsure:

- the risk screen says concern with hopelessness / death-adjacent signals, or its learned model
  is in the band just below its crisis threshold (``RiskVerdict.ask``), in any state;
- the intake's weight question was answered "heaviest" (the intake hands over with
  ``service: ask_direct``).

"Iya" takes the crisis path (category ASK_YES, even when pressed late); "Tidak" thanks them and
carries on (the intake goes on to a peer); "Aku nggak mau jawab", or no answer within
ASK_TIMEOUT, sends the case to guru BK (a light case: reminders, not the crisis ladder), never to
a peer. Not asked
again within REASK_AFTER unless a clearly stronger signal comes. In a case a counselor holds the
bot does not ask: guru BK is already reading.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from bot.core import crisis, handoff
from bot.core.context import Context, RiskVerdict
from bot.core.conversation import (
    CaseView,
    Conversation,
    Outcome,
    Party,
    Turn,
    carried,
    told,
)
from bot.core.effects import (
    Audit,
    CancelTimer,
    OpenCase,
    RequeueCase,
    Send,
    StartTimer,
    to_student,
)
from bot.core.events import Button
from bot.core.feature import ButtonRoute, Feature, TimerKind
from bot.core.localized import staff_text
from bot.core.textclean import button_parts
from bot.engine.shared import with_shared

BUTTON = "ask"  # global buttons g:ask:yes | g:ask:no | g:ask:skip
TIMER = "ask_direct"
PENDING = "_ask"  # the question waits for an answer: {"text": ..., "intake": {...}}
ASKED = "_asked"  # when it was last asked and how strong the signal was
ASK_TIMEOUT = dt.timedelta(minutes=15)
REASK_AFTER = dt.timedelta(hours=12)
STRONGER = 0.2
HEAVIEST = 0.6  # the strength of a "heaviest" weight, or of a rule that asks
YES = frozenset({"iya", "ya", "iy", "y", "yes", "yess", "iyaa", "iyah", "yup", "he'em", "hooh",
                 "enggih", "nggih", "muhun", "heeh", "iyo", "yo", "kadang", "kadang-kadang",
                 "kadang2", "sering", "pernah", "lumayan", "dikit", "sedikit", "mungkin",
                 "sometimes", "often", "maybe", "kinda", "yeah", "yea"})
NO = frozenset({"tidak", "nggak", "ngga", "gak", "ga", "enggak", "engga", "no", "nope", "ora",
                "henteu", "teu", "mboten", "endak", "never", "gapernah", "nggakpernah"})


def strength(verdict: RiskVerdict) -> float:
    """How strongly this verdict asks for the question (0: not at all)."""
    if not getattr(verdict, "ask", False) or verdict.level == "crisis":
        return 0.0
    return max(float(getattr(verdict, "model_score", 0.0) or 0.0), HEAVIEST)


def due(conv: Conversation, case: CaseView | None, signal: float, now: dt.datetime) -> bool:
    """Whether to ask now: a signal, no question pending, not asked lately with a like signal,
    and not in a case guru BK already holds."""
    if signal <= 0 or conv.vars.get(PENDING) is not None:
        return False
    if case is not None and case.route == "counselor" and case.status == "active":
        return False
    last = conv.vars.get(ASKED) or {}
    if last and now - dt.datetime.fromisoformat(last["at"]) < REASK_AFTER:
        return signal >= float(last.get("strength", 1.0)) + STRONGER
    return True


def question(ctx: Context, conv: Conversation, now: dt.datetime, signal: float, text: str = "",
             intake: dict[str, Any] | None = None) -> tuple[Conversation, list]:
    """The question with its three buttons, and the timer that sends the case to guru BK if
    nobody answers."""
    lang = conv.lang
    buttons = tuple(Button(ctx.text(f"ask.btn_{answer}", lang), f"g:{BUTTON}:{answer}")
                    for answer in ("yes", "no", "skip"))
    pending = {"text": text[:2000], "intake": intake}
    new = conv.moved(vars={**conv.vars, PENDING: pending,
                           ASKED: {"at": now.isoformat(), "strength": signal}})
    return new, [Send(conv.user, ctx.text("ask.question", lang), buttons),
                 StartTimer(conv.user, TIMER, now + ASK_TIMEOUT),
                 Audit(None, "direct_question_asked", {"trigger": "intake" if intake
                                                       else "risk_screen"})]


def start(ctx: Context, turn: Turn, conv: Conversation, variables: dict[str, Any]) -> Outcome:
    """``service: ask_direct`` from the intake: ask before routing; the answer routes."""
    intake = {k: variables.get(k) for k in ("topic", "story", "weight")}
    intake["story"] = with_shared(told(variables), variables)  # share: true answers, and the
    intake["risk_flags"] = list(variables.get("risk_flags", ()))  # words no step saved
    new, effects = question(ctx, conv, turn.now, HEAVIEST, str(variables.get("story") or ""),
                            intake)
    return Outcome(new, effects)


def typed_answer(text: str) -> str:
    """A typed reply while the question waits: "yes" ("iya kak", "kadang-kadang sih", "sering
    malah"), "no" ("nggak kok"), or "" when it is not clear (then it is asked again). Anything
    that is not a clear no counts for a human to look at: a "maybe" or "sometimes" is a yes."""
    words = [w.strip(".!?,~'\"") for w in text.casefold().split()]
    words = [w for w in words if w]
    if not words:
        return ""
    head = words[:3]
    if any(w in YES for w in head):
        return "yes"
    if head[0] in NO and len(words) <= 4:
        return "no"
    return ""


def answer(ctx: Context, turn: Turn, value: str) -> Outcome:
    """One of the three buttons (or a typed yes/no). A "yes" is never dropped: pressed after
    the question timed out, it still takes the crisis path."""
    conv = turn.conversation
    pending = conv.vars.get(PENDING)
    if value == "yes" and pending is None:
        pending = {"text": "", "intake": None}
    if pending is None or value not in ("yes", "no", "skip"):
        outcome = Outcome(conv, [Audit(turn.party.key, "button_refused", {"kind": "ask"})])
        ctx.say(outcome, turn, "ask.already_answered")
        return outcome
    rest = _answered(conv)
    turn = replace(turn, conversation=rest)
    cancel = [CancelTimer(conv.user, TIMER),
              Audit(None, "direct_question_answered", {"answer": value})]
    if value == "yes":
        return _yes(ctx, turn, pending, cancel)
    if value == "no":
        return _no(ctx, turn, pending, cancel)
    return _to_guru_bk(ctx, rest, turn.party, turn.case, pending, turn.now, cancel, "ask.to_bk")


def timed_out(ctx: Context, conv: Conversation, case: CaseView | None, party: Party,
              now: dt.datetime) -> Outcome:
    """Nobody answered: the case goes to guru BK (the student is told, kindly)."""
    pending = conv.vars.get(PENDING)
    if pending is None:
        return Outcome(conv)
    return _to_guru_bk(ctx, _answered(conv), party, case, pending, now,
                       [Audit(None, "direct_question_unanswered", {})], "ask.to_bk_quiet")


def unclear(ctx: Context, turn: Turn, text: str) -> Outcome:
    """Something else was typed while the question waits: kept with the question, and the
    question comes back with its buttons (the timer keeps running)."""
    conv = turn.conversation
    pending = dict(conv.vars.get(PENDING) or {})
    pending["text"] = (str(pending.get("text") or "") + "\n" + text).strip()[-2000:]
    again = not pending.get("reasked")
    pending["reasked"] = True
    outcome = Outcome(conv.moved(vars={**conv.vars, PENDING: pending}))
    if again:
        buttons = tuple(Button(ctx.text(f"ask.btn_{a}", conv.lang), f"g:{BUTTON}:{a}")
                        for a in ("yes", "no", "skip"))
        ctx.say(outcome, turn, "ask.again", buttons)
    else:  # asked twice is enough: keep listening; no answer in time sends it to guru BK
        ctx.say(outcome, turn, "ask.kept")
    return outcome


def _answered(conv: Conversation) -> Conversation:
    return conv.moved(vars={**conv.vars, PENDING: None})


def _yes(ctx: Context, turn: Turn, pending: dict, effects: list) -> Outcome:
    conv = turn.conversation
    intake = pending.get("intake")
    if intake:  # the intake's story goes with the crisis case
        conv = conv.moved(vars={**conv.vars, **{k: v for k, v in intake.items() if v}})
        turn = replace(turn, conversation=conv)
    said = pending.get("text") or ctx.text("ask.note_yes", ctx.catalog.default_lang)
    outcome = crisis.raise_crisis(ctx, turn, ctx.text("ask.note_yes",
                                                        ctx.catalog.default_lang),
                                  "ASK_YES", ("ASK.yes",), excerpt=said)
    outcome.effects[:0] = effects
    return outcome


def _no(ctx: Context, turn: Turn, pending: dict, effects: list) -> Outcome:
    conv = turn.conversation
    outcome = Outcome(conv, effects)
    intake = pending.get("intake")
    if intake:  # the intake goes on as it would have: to a peer (the offer says where it is)
        outcome.effects += [_open(turn.party, intake, "peer", pending),
                            handoff.first_offer(turn.party.key, turn.now)]
        ctx.say(outcome, turn, "ask.to_peer")
        outcome.conversation = conv.moved(flow=None, state=None, vars=carried(conv.vars))
    else:
        ctx.say(outcome, turn, "ask.thanks_no")
        ctx.reprompt(outcome, conv)
    return outcome


def _to_guru_bk(ctx: Context, conv: Conversation, party: Party, case: CaseView | None,
                pending: dict, now: dt.datetime, effects: list, key: str) -> Outcome:
    """Refused or unanswered: guru BK looks (a light case for guru BK, never a peer's)."""
    lang = conv.lang
    outcome = Outcome(conv, list(effects))
    if case is None:  # what the intake has gathered so far goes with it
        intake = pending.get("intake") or {
            "topic": conv.vars.get("topic"), "weight": conv.vars.get("weight"),
            "story": _with_pending(told(conv.vars), str(pending.get("text") or "")),
            "risk_flags": list(conv.vars.get("risk_flags", ()))}
        outcome.effects += [_open(party, intake, "counselor", pending),
                            crisis.counselor_notice(ctx, party.code, party.alias,
                                                    str(intake.get("topic") or "lainnya"),
                                                    int(intake.get("weight") or 3),
                                                    str(intake.get("story") or ""),
                                                    key="ask.staff_notice"),
                            crisis.light_ladder(ctx, party.key, now)]
        outcome.conversation = conv.moved(flow=None, state=None, vars=carried(conv.vars))
    elif case.route == "peer":
        outcome.effects += [RequeueCase(case.id, route="counselor"),
                            CancelTimer(case.student, handoff.OFFER_TIMER),
                            CancelTimer(case.student, handoff.IDLE_TIMER),
                            crisis.counselor_notice(ctx, case.code, case.alias, case.topic,
                                                    case.weight, case.story,
                                                    key="ask.staff_notice"),
                            crisis.light_ladder(ctx, case.student, now)]
        if case.assignee is not None:
            outcome.effects.append(Send(case.assignee, staff_text(ctx, "ask.peer_moved",
                                                                  code=case.code)))
    outcome.effects.append(to_student(party.code, party.key, ctx.text(key, lang)))
    return outcome


def _with_pending(story: str, pending: str) -> str:
    """The story so far and what was written while the question waited (once each)."""
    if not pending or pending in story:
        return story
    return pending if story in pending else f"{story}\n{pending}"


def _open(party: Party, intake: dict, route: str, pending: dict) -> OpenCase:
    flags = tuple(intake.get("risk_flags") or ()) + ("ASK.refused",) * (route == "counselor")
    return OpenCase(student=party.key, route=route,
                    topic=str(intake.get("topic") or "lainnya"),
                    weight=int(intake.get("weight") or 3), story=str(intake.get("story") or ""),
                    vars={**{k: v for k, v in intake.items() if v}, "risk_flags": list(flags)},
                    level="concern",
                    first_message=str(pending.get("text") or "") if not intake.get("story")
                    else "")


FEATURE = Feature(
    "ask",
    buttons=(ButtonRoute(f"g:{BUTTON}:", lambda ctx, turn: answer(
        ctx, turn, button_parts(turn.data)[2])),),
    timers=(TimerKind(TIMER, lambda ctx, t: timed_out(ctx, t.conversation, t.case, t.party,
                                                       t.now)),),
)
