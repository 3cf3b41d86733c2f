"""The crisis path: reply to the student at once, alert guru BK, climb the ladder until somebody
takes the case, then relay both ways until the counselor closes it. Pure: returns effects."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from bot.core import ack, choice, coaching, tppk, wellbeing
from bot.core import excerpt as excerpts
from bot.core.ack import reply_again_key  # noqa: F401  (its home was here)
from bot.core.context import Context
from bot.core.conversation import RETURNING, SAID, CaseView, Outcome, Party, Turn, told
from bot.core.effects import (
    PRIORITY_CRISIS,
    Audit,
    CancelTimer,
    CaseMessage,
    ClaimCase,
    EscalateCase,
    MarkRelayed,
    OpenCase,
    RetractButtons,
    Send,
    StartTimer,
    to_helper,
    to_staff,
    to_student,
)
from bot.core.events import Button
from bot.core.feature import STAFF, ButtonRoute, Feature, Read, TimerKind
from bot.core.keys import RoleTarget, UserKey
from bot.core.localized import per_lang, staff_text
from bot.core.policy import LadderStep  # noqa: F401  (its home was here)
from bot.core.quote import quoted
from bot.core.reads import OpenCaseNamed
from bot.engine.shared import with_shared

LADDER_TIMER = "crisis_ladder"
PEER_ESCALATION = "PEER_ESCALATION"  # the category of a peer's /eskalasi: the alert quotes the
# peer's reason as theirs, not as the student's words
TAKE_PREFIX = "k:take:"
EXCERPT = excerpts.EXCERPT
STUDENT_FOLLOW_UPS = 3  # ladder steps after which a waiting student hears from us again


def _excerpt(text: str) -> str:
    return excerpts.head(text)


def risky_excerpt(ctx: Context, text: str, levels: tuple[str, ...] = ("crisis",)) -> str:
    """What the alert quotes: the whole message when short, else the words the screen matched
    with the text around them (they may sit at character 12,000 of a long message), marked as
    an excerpt. ``levels``: the verdicts that count as risky; a text that only made the bot
    ask directly is quoted around the words that asked, any other around a rule's match."""
    if len(text) <= EXCERPT or ctx.risk is None:
        return _excerpt(text)
    screen = ctx.risk.screen
    verdict = screen(text)
    spans = getattr(verdict, "top_spans", ())  # the words of the verdict's own level, a
    # lighter rule's ("papa marah") only when none of those is found
    if not spans or excerpts.locate(text, spans) is None:
        spans = getattr(verdict, "spans", ())
    if verdict.level in levels:
        return excerpts.risky(text, spans, lambda part: screen(part).level in levels)
    if getattr(verdict, "ask", False):  # the words that made the bot ask directly
        return excerpts.risky(text, spans, lambda part: screen(part).level in levels
                              or bool(getattr(screen(part), "ask", False)))
    return excerpts.risky(text, spans)  # the words a rule matched, if any; else the start


LONG_MESSAGE = 1000  # characters: a longer message is led by its risky words when relayed


def _led_by_risk(ctx: Context, text: str) -> str:
    if len(text) <= LONG_MESSAGE:
        return text
    lead = risky_excerpt(ctx, text, ("crisis", "concern"))
    return text if lead == _excerpt(text) else lead + "\n" + text


def unrelayed_lines(ctx: Context, case: CaseView, lang: str, for_peer: bool = False) -> str:
    """The student's messages the new helper has not seen (most recent last), or "-".
    ``for_peer``: a peer reads them, with the student's contact details masked. A long risky
    message starts with the words that raised the alarm, then comes whole (on Telegram a 12 kB
    message is three messages: the risky words must not sit at the end of the third)."""
    texts = coaching.masked_lines(ctx, case, case.unrelayed) if for_peer else case.unrelayed
    lines = [f"• {quoted(_led_by_risk(ctx, text))}" for text in texts]
    hidden = case.unrelayed_total - len(case.unrelayed)
    if hidden > 0:
        lines.insert(0, ctx.text("relay.earlier_hidden", lang, n=hidden, code=case.code))
    return "\n".join(lines) or "-"


def alert(ctx: Context, code: str, alias: str, category: str, excerpt: str, since: dt.datetime,
          now: dt.datetime, step: int, by_model: bool = False,
          newer: tuple[str, ...] = ()) -> Send:
    """The alert to staff: alias, category, the student's words, time, waiting, a take button.
    A crisis only the learned model saw is marked "kemungkinan krisis — mohon ditinjau".
    ``newer``: excerpts of what the student wrote since (a reminder shows them)."""
    key = ("risk.alert_model" if by_model else "risk.alert_escalated"
           if category == PEER_ESCALATION else "risk.alert")

    def render(lang: str) -> str:  # each recipient reads it in their language
        words = quoted(excerpt) + ("\n" + ctx.text("risk.since_alert", lang, lines="\n".join(
            f"• {quoted(line)}" for line in newer)) if newer else "")
        text = ctx.text(key, lang, code=code, alias=alias, excerpt=words,
                         category=ctx.text(f"risk.cat.{category}", lang),
                         time=since.astimezone(ctx.policy.tz).strftime("%H:%M"),
                         waited=int((now - since).total_seconds() // 60))
        return ctx.text("risk.reminder", lang, n=step + 1) + "\n" + text if step else text
    text = per_lang(ctx, render)
    button = Button(staff_text(ctx, "risk.take_button"), TAKE_PREFIX + code)
    # Past the configured levels the ladder repeats to everybody who can take a crisis (every
    # counselor and backup contact), not only to the last level's group.
    target = ctx.policy.ladder[step].target if step < len(ctx.policy.ladder) else "crisis_team"
    return to_staff(code, RoleTarget(target), text, (button,), PRIORITY_CRISIS)


def _ladder_timer(ctx: Context, student: UserKey, step: int, since: dt.datetime, code: str,
                  alias: str, category: str, excerpt: str, now: dt.datetime,
                  by_model: bool = False) -> StartTimer:
    minutes = ctx.policy.ladder[min(step, len(ctx.policy.ladder) - 1)].minutes
    payload = {"step": step, "since": since.isoformat(), "code": code, "alias": alias,
               "category": category, "excerpt": excerpt, "by_model": by_model}
    return StartTimer(student, LADDER_TIMER, now + dt.timedelta(minutes=minutes), payload)


def start_ladder(ctx: Context, party: Party, category: str, excerpt: str,
                 now: dt.datetime, by_model: bool = False, teams: bool = True,
                 since: dt.datetime | None = None) -> list:
    """Alert the first level now and set the timer for the next. ``teams``: also tell the
    teams configured for the category (TPPK); a restarted ladder does not tell them again.
    ``since``: when the student raised it (a restarted ladder's waiting counts from then)."""
    since = min(since or now, now)
    return [alert(ctx, party.code, party.alias, category, excerpt, since, now, 0, by_model),
            _ladder_timer(ctx, party.key, 0, since, party.code, party.alias, category,
                          excerpt, now, by_model),
            *(tppk.notify(ctx, party.code, party.alias, category, excerpt, now)
              if teams else ())]


def raise_crisis(ctx: Context, turn: Turn, text: str, category: str,
                 rules: tuple[str, ...], excerpt: str | None = None,
                 by_model: bool = False) -> Outcome:
    """A crisis in a student's text, whatever state they were in. ``excerpt``: what the alert
    quotes when it is not ``text`` itself; ``by_model``: only the learned model saw a crisis
    (the alert says so: guru BK knows it is a guess to review)."""
    conv, case, party = turn.conversation, turn.case, turn.party
    lang = conv.lang
    if case is not None and case.level == "crisis":
        return _crisis_continues(ctx, turn, text, case, category)
    reply = "risk.reply" if turn.alertable else "risk.reply_nobody"  # never a false promise
    effects: list = [to_student(party.code, party.key, ctx.text(reply, lang),
                                priority=PRIORITY_CRISIS)]
    if case is None:  # the story so far: what a step saved and what no step did
        story = with_shared(told(conv.vars), conv.vars)
        effects.append(OpenCase(
            student=party.key, route="counselor", topic=str(conv.vars.get("topic") or "lainnya"),
            weight=3, story=story,
            vars={**{k: v for k, v in conv.vars.items() if k != SAID}, "story": story},
            level="crisis", category=category, rules=rules, first_message=text))
    else:
        effects += [EscalateCase(case.id, category, rules),
                    CaseMessage(case.id, "student", text, relayed=False)]
        if case.assignee is not None and case.route == "peer":
            effects.append(Send(case.assignee, staff_text(ctx, "risk.peer_handover",
                                                          code=case.code)))
            effects += wellbeing.after_case(ctx, case, case.assignee, turn.now, escalated=True)
    effects += start_ladder(ctx, party, category, risky_excerpt(ctx, excerpt or text),
                            turn.now, by_model)  # kept even when nobody is enrolled yet: the
    # ladder reaches whoever is enrolled next
    effects.append(Audit(None, "crisis_raised", {"code": party.code, "category": category,
                                                 "rules": list(rules)}))
    effects.append(CancelTimer(party.key, "flow_idle"))
    # The intake (if any) stops here: the case now holds what matters. The reply said guru BK
    # knows: next time the student is welcomed back without the whole consent.
    return Outcome(conv.moved(flow=None, state=None, vars={RETURNING: True}), effects)


def _crisis_continues(ctx: Context, turn: Turn, text: str, case: CaseView,
                      category: str = "") -> Outcome:
    """More risk in an open crisis case: it joins the case and reaches the counselor at once
    (and the TPPK, once, when this risk is theirs and the case's first one was not)."""
    conv = turn.conversation
    held = case.status == "active" and case.assignee is not None
    effects: list = [CaseMessage(case.id, "student", text, relayed=held)]
    if tppk.newly_concerned(ctx, case, category, conv):  # e.g. abuse told after an SI alert
        effects += tppk.notify(ctx, case.code, case.alias, category, risky_excerpt(ctx, text),
                               turn.now)
        conv = conv.moved(vars={**conv.vars, tppk.TOLD: case.id})
    if held:
        assert case.assignee is not None
        effects.append(to_helper(case.code, case.assignee, staff_text(
            ctx, "relay.flagged", code=case.code, alias=case.alias,
            text=quoted(text)), (), PRIORITY_CRISIS))
        return Outcome(conv, effects)
    conv, told = ack.waiting_case(ctx, turn, replace(case, level="crisis"), conv)
    return Outcome(conv, [*effects, *told])


def ladder_step(ctx: Context, case: CaseView | None, payload: dict, now: dt.datetime) -> list:
    """The ladder timer fired: alert the next level (the last repeats) unless somebody took it.
    A light case waiting for guru BK gets a gentle reminder instead (light_step)."""
    if case is None or case.status != "waiting" or case.route != "counselor":
        return []
    if case.level != "crisis":
        return light_step(ctx, case, int(payload.get("step", 0)) + 1, now)
    step = int(payload.get("step", 0)) + 1
    since = dt.datetime.fromisoformat(payload["since"])
    code, alias = payload["code"], payload["alias"]
    category, excerpt = payload["category"], payload["excerpt"]
    by_model = bool(payload.get("by_model"))
    follow_up = [to_student(code, case.student, ctx.text(
        "risk.still_waiting", case.lang or ctx.catalog.default_lang), priority=PRIORITY_CRISIS)
    ] if step <= STUDENT_FOLLOW_UPS else []  # the student is not left wondering
    return [alert(ctx, code, alias, category, excerpt, since, now, step, by_model,
                  since_alert(ctx, case, excerpt)),
            *follow_up,
            _ladder_timer(ctx, case.student, step, since, code, alias, category, excerpt, now,
                          by_model),
            Audit(None, "crisis_realert", {"code": code, "step": step})]


_RANK = {"crisis": 3, "concern": 2}
SINCE_SHOWN = 3  # a reminder shows the latest messages since the alert, up to this many


def since_alert(ctx: Context, case: CaseView, excerpt: str) -> tuple[str, ...]:
    """What a reminder adds to the first alert's quote: the excerpts of the student's latest
    ``SINCE_SHOWN`` messages nobody has read since the one the alert quotes (all unread ones
    count when that one is not among them), led by the riskiest of the older ones when it is
    riskier than those; oldest first."""
    texts = list(case.unrelayed)
    quotes = [risky_excerpt(ctx, text) for text in texts]
    quoted_ = {excerpt, *excerpt.split("\n… ")}  # a restarted ladder quotes two (requeue)
    last = max((i for i, q in enumerate(quotes) if q in quoted_), default=-1)
    newer = [i for i in range(last + 1, len(texts)) if quotes[i] not in quoted_]
    shown = newer[-SINCE_SHOWN:]
    older = newer[:-SINCE_SHOWN]
    if older and ctx.risk is not None:
        rank = {i: _RANK.get(ctx.risk.screen(texts[i]).level, 0) for i in newer}
        worst = max(reversed(older), key=lambda i: rank[i])  # the newest of the riskiest
        if rank[worst] > max(rank[i] for i in shown):
            shown = [worst, *shown]
    return tuple(quotes[i] for i in shown)


def take(ctx: Context, turn: Turn) -> Outcome:
    """A staff member pressed "Saya tangani": first press wins, the rest are told who took it."""
    party, case = turn.party, turn.subject
    lang = turn.conversation.lang
    outcome = Outcome(turn.conversation)
    say = outcome.effects.append
    code = turn.data.removeprefix(TAKE_PREFIX)
    if party.role not in ("counselor", "backup"):
        say(Send(party.key, ctx.text("risk.not_allowed", lang)))
        say(Audit(party.key, "claim_refused", {"code": code, "reason": "role"}))
        return outcome
    if case is None or case.route != "counselor":
        say(Send(party.key, ctx.text("risk.gone", lang)))
        say(Audit(party.key, "claim_refused", {"code": code, "reason": "no case for guru BK"}))
        return outcome
    if case.status != "waiting":
        key = "risk.already_yours" if case.assignee == party.key else "risk.already_taken"
        say(Send(party.key, ctx.text(key, lang, code=case.code,
                                      name=case.assignee_name or "-")))
        say(Audit(party.key, "claim_refused", {"code": case.code, "reason": "taken"}))
        return outcome
    name = party.display_name or party.alias
    outcome.conversation = choice.wrote_to(turn.conversation, case.code)  # their choice
    outcome.effects += [
        ClaimCase(case.id, party.key),
        CancelTimer(case.student, LADDER_TIMER),
        to_helper(case.code, party.key, ctx.text(
            "risk.taken_you", lang, code=case.code, alias=case.alias,
            story=quoted(case.story) if case.story else "-",
            recent=unrelayed_lines(ctx, case, lang)), (), PRIORITY_CRISIS),
        MarkRelayed(case.id),
        to_student(case.code, case.student, ctx.text("risk.student_joined",
                                                      case.lang or ctx.catalog.default_lang),
                   priority=PRIORITY_CRISIS),
        Send(RoleTarget("crisis_team", exclude=party.key),
             staff_text(ctx, "risk.taken_other", code=case.code, name=name)),
        Audit(party.key, "case_claimed", {"code": case.code}),
        RetractButtons(TAKE_PREFIX + case.code),  # the alerts' "Saya tangani" buttons go
    ]
    return outcome


def self_reported(ctx: Context, party: Party, opened: OpenCase, now: dt.datetime) -> list:
    """The student answered "yes, I feel unsafe" in intake: the case is a crisis too."""
    case = replace(opened, level="crisis", category="SELF_REPORT")
    excerpt = risky_excerpt(ctx, opened.story) if opened.story else ctx.text(
        "risk.no_story", ctx.catalog.default_lang)
    return [case, *start_ladder(ctx, party, "SELF_REPORT", excerpt, now),
            Audit(None, "crisis_raised", {"code": party.code, "category": "SELF_REPORT"})]


def light_step(ctx: Context, case: CaseView, step: int, now: dt.datetime) -> list:
    """A light case waits for guru BK: remind counselors (not an emergency) while the roster
    runs, and keep the timer so it is never forgotten."""
    on_shift = ctx.policy.roster is None or ctx.policy.roster.on_shift(now)
    effects: list = []
    if on_shift:
        effects.append(counselor_notice(ctx, case.code, case.alias, case.topic, case.weight,
                                        case.story, reminder=step))
        due = now + ctx.policy.light_reminder
    else:
        start = ctx.policy.roster.next_start(now) if ctx.policy.roster else None
        due = start.astimezone(dt.UTC) if start else now + ctx.policy.light_reminder
    return [*effects, StartTimer(case.student, LADDER_TIMER, due, {"step": step, "light": True})]


def counselor_notice(ctx: Context, code: str, alias: str, topic: str, weight: int, story: str,
                     reminder: int = 0, key: str = "core.staff_new_case") -> Send:
    """A light case for guru BK, with a take button (no alarm: normal priority)."""
    def render(lang: str) -> str:  # each recipient reads it in their language
        text = ctx.text(key, lang, code=code, alias=alias,
                         topic=ctx.text(f"topic.{topic}", lang), weight=weight,
                         story=quoted(story) if story else ctx.text("core.staff_no_story", lang))
        return (ctx.text("core.staff_case_reminder", lang, n=reminder + 1) + "\n" + text
                if reminder else text)
    text = per_lang(ctx, render)
    button = Button(staff_text(ctx, "risk.take_button"), TAKE_PREFIX + code)
    return to_staff(code, RoleTarget("counselor"), text, (button,))


def light_ladder(ctx: Context, student: UserKey, now: dt.datetime) -> StartTimer:
    """The reminder timer of a light case that now waits for guru BK."""
    return StartTimer(student, LADDER_TIMER, now + ctx.policy.light_reminder, {"step": 0,
                                                                          "light": True})


def claim_refused(ctx: Context, turn: Turn) -> Outcome:
    """A student pressed a staff-only button ("Saya tangani", "Terima"): refused, audited."""
    outcome = Outcome(turn.conversation, [Audit(turn.party.key, "claim_refused",
                                                {"reason": "role"})])
    ctx.say(outcome, turn, "core.stale_button")
    return outcome


def named_case(prefix: str) -> Read:
    """The open case a staff button names (``PREFIX + code``), with its last messages."""
    return Read("subject", lambda ask: OpenCaseNamed(ask.data.removeprefix(prefix), 10))


FEATURE = Feature(
    "crisis",
    buttons=(ButtonRoute(TAKE_PREFIX, take, STAFF, reads=(named_case(TAKE_PREFIX),)),
             ButtonRoute(TAKE_PREFIX, claim_refused)),
    retractable=(TAKE_PREFIX,),
    timers=(TimerKind(LADDER_TIMER, lambda ctx, t: ladder_step(ctx, t.case, dict(t.payload),
                                                                t.now),
                      context="queue", urgent=True),),
)
