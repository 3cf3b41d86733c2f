"""Peer handoff: offer a waiting case to the fairest available peer, then to everyone on duty,
then to guru BK; first "Terima" wins; relay until someone closes; a survey at the end.

Offer rounds are a durable timer (``offer``) per student, so a restart never loses a handoff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core import choice, coaching, crisis, training, wellbeing
from bot.core.context import Context
from bot.core.conversation import CaseView, Outcome, Party, Turn
from bot.core.effects import (
    PRIORITY_CRISIS,
    AddNote,
    Audit,
    CancelTimer,
    ClaimCase,
    CloseCase,
    EscalateCase,
    MarkRelayed,
    OfferCase,
    OfferWaiting,
    RecordSurvey,
    RequeueCase,
    RetractButtons,
    Send,
    StartTimer,
    to_helper,
    to_staff,
    to_student,
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
from bot.core.keys import UserKey
from bot.core.localized import staff_text
from bot.core.reads import AvailablePeers, CaseById
from bot.core.textclean import is_small_id

OFFER_TIMER = "offer"
IDLE_TIMER = "case_idle"
CHECKIN_TIMER = wellbeing.CHECKIN_TIMER  # its home is bot/core/wellbeing.py
ACCEPT_PREFIX = "o:acc:"
SURVEY_PREFIX = "s:"
FALLBACK_ROUND = 2  # round 0: the fairest peer; round 1: everyone on duty; then guru BK


def first_offer(student: UserKey, now: dt.datetime) -> StartTimer:
    """Start offering right after the case opens (the timer loop runs it at once)."""
    return StartTimer(student, OFFER_TIMER, now, {"round": 0})


def _offer_text(ctx: Context, case: CaseView) -> str:
    return staff_text(ctx, "handoff.offer", code=case.code, alias=case.alias,
                      topic=staff_text(ctx, f"topic.{case.topic}"), weight=case.weight,
                      story=crisis.quoted(coaching.for_peer(ctx, case, case.story))
                      if case.story else staff_text(ctx, "core.staff_no_story"))


def offer_round(ctx: Context, case: CaseView | None, peers: Sequence[Party], payload: dict,
                now: dt.datetime) -> list:
    """The offer timer fired: offer, re-offer, or hand the case to guru BK."""
    if case is None or case.status != "waiting" or case.route != "peer":
        return []
    round_ = int(payload.get("round", 0))
    lang = case.lang or ctx.catalog.default_lang
    peers = [p for p in peers if training.may_serve(ctx, p, now)]  # approval not expired
    effects: list = []
    if payload.get("requeued") and round_ == 0:
        effects.append(Send(case.student, ctx.text("handoff.requeued", lang)))
    if round_ >= FALLBACK_ROUND:
        return effects + to_guru_bk(ctx, case, now)
    if not peers:
        on_shift = ctx.policy.roster is None or ctx.policy.roster.on_shift(now)
        if on_shift:  # everyone busy, or nobody on duty: wait one round, then guru BK
            if round_ == 0:
                effects.append(Send(case.student, _wait_text(ctx, case, lang)))
            return [*effects, StartTimer(case.student, OFFER_TIMER, now + ctx.policy.offer_timeout,
                                         {"round": round_ + 1})]
        start = ctx.policy.roster.next_start(now) if ctx.policy.roster else None
        when = (ctx.text(f"day.{start.weekday()}", lang) + start.strftime(" %H:%M") if start
                else ctx.text("handoff.soon", lang))
        effects.append(Send(case.student, ctx.text("handoff.nobody", lang, when=when)))
        retry = start.astimezone(dt.UTC) if start else now + dt.timedelta(hours=12)
        return [*effects, StartTimer(case.student, OFFER_TIMER, retry, {"round": 0})]
    chosen = tuple(peers[:1] if round_ == 0 else peers)
    button = Button(staff_text(ctx, "handoff.accept_button"),
                    ACCEPT_PREFIX + case.code)
    effects.append(OfferCase(case.id, tuple(p.key for p in chosen), round_))
    effects += [to_staff(case.code, p.key, _offer_text(ctx, case), (button,)) for p in chosen]
    if round_ == 0 and not payload.get("requeued"):
        effects.append(Send(case.student, ctx.text("handoff.offered", lang)))
    effects.append(StartTimer(case.student, OFFER_TIMER, now + ctx.policy.offer_timeout,
                              {"round": round_ + 1}))
    effects.append(Audit(None, "case_offered", {"code": case.code, "round": round_,
                                                "peers": len(chosen)}))
    return effects


def _wait_text(ctx: Context, case: CaseView, lang: str) -> str:
    """The truth while the shift runs and nobody can take the case: a place in the queue when
    peers are on duty but busy; when none is on duty, that, when guru BK gets it instead, and
    the hotlines for what cannot wait."""
    if case.on_duty == 0:
        minutes = int(ctx.policy.offer_timeout.total_seconds() // 60) * FALLBACK_ROUND
        return ctx.text("handoff.nobody_on_duty", lang, minutes=max(minutes, 1))
    return ctx.text("handoff.queued", lang, position=max(case.position, 1))


def to_guru_bk(ctx: Context, case: CaseView, now: dt.datetime) -> list:
    """Nobody accepted: the case goes to guru BK, with a take button and reminders until
    somebody takes it, and the student is told."""
    lang = case.lang or ctx.catalog.default_lang
    return [RequeueCase(case.id, route="counselor"),
            *[Send(p, staff_text(ctx, "handoff.taken", code=case.code))
              for p in case.offered],
            crisis.counselor_notice(ctx, case.code, case.alias, case.topic, case.weight,
                                    case.story, key="handoff.fallback_notice"),
            crisis.light_ladder(ctx, case.student, now),
            to_student(case.code, case.student, ctx.text("handoff.to_bk", lang)),
            RetractButtons(ACCEPT_PREFIX + case.code),
            Audit(None, "case_fallback_bk", {"code": case.code})]


def accept(ctx: Context, turn: Turn) -> Outcome:
    """A peer pressed "Terima": first press wins; expired, foreign or over-capacity refused."""
    party, case = turn.party, turn.subject
    lang = turn.conversation.lang
    outcome = Outcome(turn.conversation)
    code = turn.data.removeprefix(ACCEPT_PREFIX)

    def refuse(key: str, reason: str, **values: object) -> Outcome:
        outcome.effects += [Send(party.key, ctx.text(key, lang, code=code, **values)),
                            Audit(party.key, "offer_refused", {"code": code, "reason": reason})]
        return outcome

    if party.role != "peer":
        return refuse("handoff.not_offered", "role")
    if case is None or case.route != "peer":
        return refuse("handoff.gone", "no such open case")
    if case.status != "waiting":
        return refuse("handoff.taken", "taken")
    if party.key not in case.offered:
        return refuse("handoff.not_offered", "not offered or expired")
    if party.load >= ctx.policy.peer_capacity:
        return refuse("handoff.at_capacity", "capacity", n=party.load, cap=ctx.policy.peer_capacity)
    name = party.pseudonym or party.alias  # never the name on the invite
    story = crisis.quoted(coaching.for_peer(ctx, case, case.story)) if case.story \
        else ctx.text("core.staff_no_story", lang)
    outcome.effects += [
        ClaimCase(case.id, party.key),
        CancelTimer(case.student, OFFER_TIMER),
        to_helper(case.code, party.key, ctx.text(
            "handoff.accepted", lang, code=case.code, alias=case.alias, story=story,
            recent=crisis.unrelayed_lines(ctx, case, lang, for_peer=True))),
        MarkRelayed(case.id),
        to_student(case.code, case.student, ctx.text("handoff.peer_joined",
                                                      case.lang or "id", name=name)),
        *[Send(p, staff_text(ctx, "handoff.taken", code=case.code))
          for p in case.offered if p != party.key],
        idle_timer(ctx, case.student, turn.now),
        Audit(party.key, "offer_accepted", {"code": case.code}),
        RetractButtons(ACCEPT_PREFIX + case.code),  # the offers' "Terima" buttons go
    ]
    # accepting is choosing: the peer's next words go to this case without a question
    outcome.conversation = choice.wrote_to(turn.conversation, case.code)
    return outcome


def idle_timer(ctx: Context, student: UserKey, now: dt.datetime, stage: int = 0) -> StartTimer:
    minutes = ctx.policy.idle_reminder if stage == 0 else ctx.policy.idle_close
    return StartTimer(student, IDLE_TIMER, now + minutes, {"stage": stage})


def idle_step(ctx: Context, case: CaseView | None, payload: dict, now: dt.datetime) -> list:
    """A quiet active chat: a gentle reminder to both, then an automatic close with a survey."""
    if case is None or case.status != "active" or case.assignee is None or case.level == "crisis":
        return []
    lang = case.lang or ctx.catalog.default_lang
    if int(payload.get("stage", 0)) == 0:
        return [Send(case.student, ctx.text("handoff.idle_student", lang)),
                Send(case.assignee, staff_text(ctx, "handoff.idle_peer",
                                              code=case.code)),
                idle_timer(ctx, case.student, now, stage=1)]
    return [CloseCase(case.id, case.assignee, "auto-closed after inactivity"),
            Send(case.assignee, staff_text(ctx, "handoff.auto_closed_peer",
                                          code=case.code)),
            *survey(ctx, case), Audit(None, "case_auto_closed", {"code": case.code}),
            *wellbeing.after_case(ctx, case, case.assignee, now)]


def survey(ctx: Context, case: CaseView) -> list:
    """The 1-5 question to the student after a non-crisis case closes."""
    if case.level == "crisis":
        return []  # after a crisis, a rating would be out of place
    lang = case.lang or ctx.catalog.default_lang
    buttons = tuple(Button(str(n), f"{SURVEY_PREFIX}{case.id}:{n}") for n in range(1, 6))
    return [Send(case.student, ctx.text("survey.ask", lang), buttons)]


def survey_answer(ctx: Context, turn: Turn) -> Outcome:
    conv, case = turn.conversation, turn.subject
    outcome = Outcome(conv)
    _, _, score_text = turn.data.partition(":")[2].partition(":")
    valid = case is not None and case.student == turn.party.key and case.status == "closed"
    if not valid or not is_small_id(score_text) or not 1 <= int(score_text) <= 5:
        outcome.effects.append(Audit(turn.party.key, "button_refused", {"kind": "survey"}))
        ctx.say(outcome, turn, "core.stale_button")
        return outcome
    assert case is not None
    outcome.conversation = conv.moved(vars={**conv.vars, "survey_case": case.id})
    outcome.effects.append(RecordSurvey(case.id, score=int(score_text)))
    ctx.say(outcome, turn, "survey.thanks")
    return outcome


def survey_comment(ctx: Context, turn: Turn, text: str) -> Outcome:
    conv = turn.conversation
    case_id = int(conv.vars["survey_case"])
    rest = {k: v for k, v in conv.vars.items() if k != "survey_case"}
    outcome = Outcome(conv.moved(vars=rest), [RecordSurvey(case_id, comment=text)])
    ctx.say(outcome, turn, "survey.comment_saved")
    return outcome


def student_close(ctx: Context, turn: Turn) -> Outcome:
    """The student's /selesai: ends a peer or counselor chat (not an open crisis)."""
    case, conv = turn.case, turn.conversation
    outcome = Outcome(conv)
    if case is None:
        ctx.say(outcome, turn, "handoff.nothing_open")
        return outcome
    if case.level == "crisis":
        ctx.say(outcome, turn, "handoff.crisis_stays")
        return outcome
    outcome.effects += [CloseCase(case.id, turn.party.key, "closed by the student"),
                        CancelTimer(case.student, OFFER_TIMER), CancelTimer(case.student,
                                                                            IDLE_TIMER),
                        Audit(turn.party.key, "case_closed_by_student", {"code": case.code})]
    if case.assignee is not None:
        outcome.effects.append(Send(case.assignee, staff_text(
            ctx, "handoff.student_closed", code=case.code)))
        if case.route == "peer":
            outcome.effects.append(OfferWaiting(OFFER_TIMER))
            outcome.effects += wellbeing.after_case(ctx, case, case.assignee, turn.now)
    ctx.say(outcome, turn, "handoff.closed_student")
    outcome.effects += survey(ctx, case) if case.status == "active" else []
    return outcome


def switch_peer(ctx: Context, turn: Turn) -> Outcome:
    """The student's /ganti: another peer, and this one is not offered the case again."""
    case = turn.case
    outcome = Outcome(turn.conversation)
    if case is None or case.route != "peer" or case.assignee is None:
        ctx.say(outcome, turn, "handoff.no_peer_to_switch")
        return outcome
    outcome.effects += [
        RequeueCase(case.id, exclude=case.assignee),
        CancelTimer(case.student, IDLE_TIMER),
        Send(case.assignee, staff_text(ctx, "handoff.switched_peer",
                                      code=case.code)),
        StartTimer(case.student, OFFER_TIMER, turn.now, {"round": 0, "requeued": False}),
        Audit(turn.party.key, "peer_switched", {"code": case.code}),
    ]
    ctx.say(outcome, turn, "handoff.switching")
    return outcome


def peer_close(ctx: Context, turn: Turn, note: str) -> Outcome:
    case = turn.case
    assert case is not None
    return Outcome(turn.conversation, [
        CloseCase(case.id, turn.party.key, note),
        CancelTimer(case.student, IDLE_TIMER),
        Send(case.student, ctx.text("handoff.closed_by_peer", case.lang or "id")),
        *survey(ctx, case),
        Send(turn.party.key, ctx.text("staff.closed", turn.conversation.lang, code=case.code)),
        Audit(turn.party.key, "case_closed", {"code": case.code}),
        OfferWaiting(OFFER_TIMER),  # this peer is free again: the queue moves now
        *wellbeing.after_case(ctx, case, turn.party.key, turn.now),
    ])


def _refusal(ctx: Context, turn: Turn, argument: str, usage_key: str) -> Outcome | None:
    """A staff command about the current case: none open, or its argument missing."""
    key = "staff.no_case" if turn.case is None else usage_key if not argument else None
    if key is None:
        return None
    return Outcome(turn.conversation, [Send(turn.party.key,
                                            ctx.text(key, turn.conversation.lang))])


def escalate(ctx: Context, turn: Turn, reason: str,
             peer_text: str = "handoff.escalated_peer", quote: str | None = None) -> Outcome:
    """A peer's /eskalasi: the case goes to guru BK through the crisis ladder. ``peer_text``:
    what the peer is told (a held risky message says why it was held); ``quote``: what the
    alert quotes when not the reason's first 300 characters (a held message's risky part)."""
    refused = _refusal(ctx, turn, reason, "handoff.escalate_usage")
    if refused is not None:
        return refused
    case, lang = turn.case, turn.conversation.lang
    assert case is not None
    student = Party(case.student, "student", case.alias, case.code)
    return Outcome(turn.conversation, [
        EscalateCase(case.id, crisis.PEER_ESCALATION),
        CancelTimer(case.student, IDLE_TIMER),
        *crisis.start_ladder(ctx, student, crisis.PEER_ESCALATION,
                             reason[:300] if quote is None else quote, turn.now),
        Send(case.student, ctx.text(  # never a promise when no counselor can be alerted
            "handoff.escalated_student" if turn.alertable else "risk.reply_nobody",
            case.lang or "id"), priority=PRIORITY_CRISIS),
        Send(turn.party.key, ctx.text(peer_text, lang, code=case.code)),
        *wellbeing.after_case(ctx, case, turn.party.key if turn.party.role == "peer" else None,
                              turn.now, escalated=True),
        Audit(turn.party.key, "case_escalated", {"code": case.code}),
    ])


def note(ctx: Context, turn: Turn, text: str) -> Outcome:
    refused = _refusal(ctx, turn, text, "handoff.note_usage")
    if refused is not None:
        return refused
    case, lang = turn.case, turn.conversation.lang
    assert case is not None
    return Outcome(turn.conversation, [AddNote(case.id, turn.party.key, text),
                                       Send(turn.party.key, ctx.text("handoff.note_saved",
                                                                      lang))])


def skip_comment(ctx: Context, turn: Turn, _: str = "") -> Outcome:
    """The student's /lewati: no comment after the rating."""
    conv = turn.conversation
    outcome = Outcome(conv.moved(vars={k: v for k, v in conv.vars.items()
                                       if k != "survey_case"}))
    ctx.say(outcome, turn, "survey.skipped")
    return outcome


def _surveyed(ask) -> CaseById | None:
    case_id = ask.data.removeprefix(SURVEY_PREFIX).partition(":")[0]
    return CaseById(int(case_id)) if is_small_id(case_id) else None


FEATURE = Feature(
    "handoff",
    commands=(
        Command("selesai", lambda ctx, turn, _: student_close(ctx, turn), aliases=("done",),
                menu=(MenuEntry((STUDENT,), 60, "Akhiri percakapan", "End the conversation"),)),
        Command("ganti", lambda ctx, turn, _: switch_peer(ctx, turn), aliases=("switch",)),
        Command("lewati", skip_comment, aliases=("skip",)),
    ),
    buttons=(
        ButtonRoute(SURVEY_PREFIX, survey_answer, reads=(Read("subject", _surveyed),)),
        ButtonRoute(ACCEPT_PREFIX, accept, STAFF, reads=(crisis.named_case(ACCEPT_PREFIX),)),
        ButtonRoute(ACCEPT_PREFIX, crisis.claim_refused),
    ),
    retractable=(ACCEPT_PREFIX,),
    timers=(
        TimerKind(OFFER_TIMER, lambda ctx, t: offer_round(ctx, t.case, t.peers,
                                                           dict(t.payload), t.now),
                  reads=(Read("peers", lambda ask: AvailablePeers(ask.peer_capacity)),),
                  context="queue"),
        TimerKind(IDLE_TIMER, lambda ctx, t: idle_step(ctx, t.case, dict(t.payload), t.now)),
    ),
)
