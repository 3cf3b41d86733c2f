"""Guru BK supervising peers: /kasus (list), /lihat CODE (transcript), /ambil CODE (take over).
Every transcript view and take-over is an audit row."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.core import crisis, handoff
from bot.core.conversation import Outcome, Turn
from bot.core.effects import Audit, CancelTimer, MarkRelayed, Send, TakeOver

if TYPE_CHECKING:
    from bot.core.core import Core

TRANSCRIPT_LINES = 40


def _age(opened_at: str, now: dt.datetime) -> str:
    try:
        opened = dt.datetime.strptime(opened_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "-"
    minutes = int((now - opened).total_seconds() // 60)
    return f"{minutes} mnt" if minutes < 120 else f"{minutes // 60} jam"


def list_cases(core: Core, turn: Turn) -> Outcome:
    lang = turn.conversation.lang
    if not turn.listing:
        return Outcome(turn.conversation, [Send(turn.party.key,
                                                core.text("supervision.empty", lang))])
    lines = [core.text("supervision.header", lang)]
    for case in turn.listing:
        flags = ("🚨 " if case.level == "crisis" else "⚠️ " if case.level == "concern" else "")
        lines.append(core.text(
            "supervision.line", lang, flags=flags, code=case.code, alias=case.alias,
            topic=core.text(f"topic.{case.topic}", lang), weight=case.weight,
            route=core.text(f"role.{'peer' if case.route == 'peer' else 'counselor'}", lang),
            who=case.assignee_name or "-", status=core.text(f"supervision.{case.status}", lang),
            age=_age(case.opened_at, turn.now)))
    lines.append(core.text("supervision.footer", lang))
    return Outcome(turn.conversation, [Send(turn.party.key, "\n".join(lines)),
                                       Audit(turn.party.key, "cases_listed",
                                             {"count": len(turn.listing)})])


def transcript(core: Core, turn: Turn, code: str) -> Outcome:
    lang = turn.conversation.lang
    case = turn.subject
    if case is None:
        return Outcome(turn.conversation, [Send(turn.party.key, core.text(
            "supervision.unknown", lang, code=code))])
    lines = [core.text("supervision.transcript_header", lang, code=case.code, alias=case.alias,
                       flags=", ".join(case.flags) or "-")]
    lines += [f"{core.text(f'supervision.sender_{sender}', lang)}: {crisis.quoted(text)}"
              for sender, text in case.recent]
    return Outcome(turn.conversation, [Send(turn.party.key, "\n".join(lines)),
                                       Audit(turn.party.key, "transcript_viewed",
                                             {"code": case.code})])


def take_over(core: Core, turn: Turn, code: str) -> Outcome:
    lang = turn.conversation.lang
    case = turn.subject
    if case is None or case.status == "closed":
        return Outcome(turn.conversation, [Send(turn.party.key, core.text(
            "supervision.unknown", lang, code=code))])
    said = "\n".join(f"• {crisis.quoted(text)}" for sender, text in case.recent
                     if sender == "student")
    effects: list = [TakeOver(case.id, turn.party.key),
                     CancelTimer(case.student, handoff.OFFER_TIMER),
                     CancelTimer(case.student, handoff.IDLE_TIMER),
                     CancelTimer(case.student, crisis.LADDER_TIMER),
                     Send(case.student, core.text("risk.student_joined", case.lang or "id")),
                     Send(turn.party.key, core.text("supervision.taken", lang, code=case.code,
                                                    recent=said or "-")),
                     MarkRelayed(case.id),
                     Audit(turn.party.key, "case_taken_over", {"code": case.code})]
    if case.assignee is not None and case.assignee != turn.party.key:
        effects.append(Send(case.assignee, core.text("supervision.peer_relieved",
                                                     core.catalog.default_lang, code=case.code)))
    return Outcome(turn.conversation, effects)
