"""The crisis path: reply to the student at once, alert guru BK, climb the ladder until somebody
takes the case, then relay both ways until the counselor closes it. Pure: returns effects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.core.conversation import CaseView, Outcome, Party, Turn
from bot.core.effects import (
    PRIORITY_CRISIS,
    Audit,
    CancelTimer,
    CaseMessage,
    ClaimCase,
    EscalateCase,
    OpenCase,
    RetractButtons,
    Send,
    StartTimer,
)
from bot.core.events import Button
from bot.core.keys import RoleTarget, UserKey

if TYPE_CHECKING:
    from bot.core.core import Core

LADDER_TIMER = "crisis_ladder"
TAKE_PREFIX = "k:take:"
EXCERPT = 300


@dataclass(frozen=True)
class LadderStep:
    target: str  # on_duty_counselors | all_counselors | backup
    minutes: int


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"


def alert(core: Core, code: str, alias: str, category: str, excerpt: str, since: dt.datetime,
          now: dt.datetime, step: int) -> Send:
    """The alert to staff: alias, category, the student's words, time, waiting, a take button."""
    lang = core.catalog.default_lang
    text = core.text("risk.alert", lang, code=code, alias=alias, excerpt=excerpt,
                     category=core.text(f"risk.cat.{category}", lang),
                     time=since.astimezone(core.tz).strftime("%H:%M"),
                     waited=int((now - since).total_seconds() // 60))
    if step:
        text = core.text("risk.reminder", lang, n=step + 1) + "\n" + text
    button = Button(core.text("risk.take_button", lang), TAKE_PREFIX + code)
    target = core.ladder[min(step, len(core.ladder) - 1)].target
    return Send(RoleTarget(target), text, (button,), PRIORITY_CRISIS)


def _ladder_timer(core: Core, student: UserKey, step: int, since: dt.datetime, code: str,
                  alias: str, category: str, excerpt: str, now: dt.datetime) -> StartTimer:
    minutes = core.ladder[min(step, len(core.ladder) - 1)].minutes
    payload = {"step": step, "since": since.isoformat(), "code": code, "alias": alias,
               "category": category, "excerpt": excerpt}
    return StartTimer(student, LADDER_TIMER, now + dt.timedelta(minutes=minutes), payload)


def start_ladder(core: Core, party: Party, category: str, excerpt: str,
                 now: dt.datetime) -> list:
    """Alert the first level now and set the timer for the next."""
    return [alert(core, party.code, party.alias, category, excerpt, now, now, 0),
            _ladder_timer(core, party.key, 0, now, party.code, party.alias, category, excerpt,
                          now)]


def raise_crisis(core: Core, turn: Turn, text: str, category: str,
                 rules: tuple[str, ...]) -> Outcome:
    """A crisis in a student's text, whatever state they were in."""
    conv, case, party = turn.conversation, turn.case, turn.party
    lang = conv.lang
    if case is not None and case.level == "crisis":
        return _crisis_continues(core, turn, text, case)
    effects: list = [Send(party.key, core.text("risk.reply", lang), (), PRIORITY_CRISIS)]
    if case is None:
        effects.append(OpenCase(
            student=party.key, route="counselor", topic=str(conv.vars.get("topic") or "lainnya"),
            weight=3, story=str(conv.vars.get("story") or ""), vars=dict(conv.vars),
            level="crisis", category=category, rules=rules, first_message=text))
    else:
        effects += [EscalateCase(case.id, category, rules), CaseMessage(case.id, "student", text)]
        if case.assignee is not None and case.route == "peer":
            effects.append(Send(case.assignee, core.text("risk.peer_handover",
                                                         core.catalog.default_lang,
                                                         code=case.code)))
    effects += start_ladder(core, party, category, _excerpt(text), turn.now)
    effects.append(Audit(None, "crisis_raised", {"code": party.code, "category": category,
                                                 "rules": list(rules)}))
    effects.append(CancelTimer(party.key, "flow_idle"))
    # The intake (if any) stops here: the case now holds what matters.
    return Outcome(conv.moved(flow=None, state=None, vars={}), effects)


def _crisis_continues(core: Core, turn: Turn, text: str, case: CaseView) -> Outcome:
    """More risk in an open crisis case: it joins the case and reaches the counselor at once."""
    conv = turn.conversation
    effects: list = [CaseMessage(case.id, "student", text)]
    if case.status == "active" and case.assignee is not None:
        effects.append(Send(case.assignee, core.text(
            "relay.flagged", core.catalog.default_lang, code=case.code, alias=case.alias,
            text=text), (), PRIORITY_CRISIS))
        return Outcome(conv, effects)
    outcome = Outcome(conv, effects)
    if conv.vars.get("acked_case") != case.id:
        outcome.conversation = conv.moved(vars={**conv.vars, "acked_case": case.id})
        effects.append(Send(turn.party.key, core.text("risk.reply_again", conv.lang), (),
                            PRIORITY_CRISIS))
    return outcome


def ladder_step(core: Core, case: CaseView | None, payload: dict, now: dt.datetime) -> list:
    """The ladder timer fired: alert the next level (the last repeats) unless somebody took it."""
    if case is None or case.level != "crisis" or case.status != "waiting":
        return []
    step = int(payload.get("step", 0)) + 1
    since = dt.datetime.fromisoformat(payload["since"])
    code, alias = payload["code"], payload["alias"]
    category, excerpt = payload["category"], payload["excerpt"]
    return [alert(core, code, alias, category, excerpt, since, now, step),
            _ladder_timer(core, case.student, step, since, code, alias, category, excerpt, now),
            Audit(None, "crisis_realert", {"code": code, "step": step})]


def take(core: Core, turn: Turn) -> Outcome:
    """A staff member pressed "Saya tangani": first press wins, the rest are told who took it."""
    party, case = turn.party, turn.subject
    lang = turn.conversation.lang
    outcome = Outcome(turn.conversation)
    say = outcome.effects.append
    code = turn.data.removeprefix(TAKE_PREFIX)
    if party.role not in ("counselor", "backup"):
        say(Send(party.key, core.text("risk.not_allowed", lang)))
        say(Audit(party.key, "claim_refused", {"code": code, "reason": "role"}))
        return outcome
    if case is None or case.route != "counselor":
        say(Send(party.key, core.text("risk.gone", lang)))
        say(Audit(party.key, "claim_refused", {"code": code, "reason": "no case for guru BK"}))
        return outcome
    if case.status != "waiting":
        key = "risk.already_yours" if case.assignee == party.key else "risk.already_taken"
        say(Send(party.key, core.text(key, lang, code=case.code,
                                      name=case.assignee_name or "-")))
        say(Audit(party.key, "claim_refused", {"code": case.code, "reason": "taken"}))
        return outcome
    name = party.display_name or party.alias
    recent = "\n".join(f"• {text}" for sender, text in case.recent if sender == "student")
    outcome.effects += [
        ClaimCase(case.id, party.key),
        CancelTimer(case.student, LADDER_TIMER),
        Send(party.key, core.text("risk.taken_you", lang, code=case.code, alias=case.alias,
                                  recent=recent or "-"), (), PRIORITY_CRISIS),
        Send(case.student, core.text("risk.student_joined", lang), (), PRIORITY_CRISIS),
        Send(RoleTarget("crisis_team", exclude=party.key),
             core.text("risk.taken_other", core.catalog.default_lang, code=case.code,
                       name=name)),
        Audit(party.key, "case_claimed", {"code": case.code}),
        RetractButtons(TAKE_PREFIX + case.code),  # the alerts' "Saya tangani" buttons go
    ]
    return outcome


def self_reported(core: Core, party: Party, opened: OpenCase, now: dt.datetime) -> list:
    """The student answered "yes, I feel unsafe" in intake: the case is a crisis too."""
    case = replace(opened, level="crisis", category="SELF_REPORT")
    excerpt = _excerpt(opened.story) if opened.story else core.text(
        "risk.no_story", core.catalog.default_lang)
    return [case, *start_ladder(core, party, "SELF_REPORT", excerpt, now),
            Audit(None, "crisis_raised", {"code": party.code, "category": "SELF_REPORT"})]
