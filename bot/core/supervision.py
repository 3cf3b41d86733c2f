"""Guru BK supervising peers: /kasus (list), /lihat CODE (transcript), /ambil CODE (take over).
Every transcript view and take-over is an audit row."""

from __future__ import annotations

import datetime as dt

from bot.core import crisis, handoff, wellbeing
from bot.core.context import Context
from bot.core.conversation import CaseRecord, NoteView, Outcome, Turn
from bot.core.effects import Audit, CancelTimer, MarkRelayed, Send, TakeOver
from bot.core.feature import (
    COUNSELORS,
    STAFF,
    Command,
    Feature,
    MenuEntry,
    Read,
    counselors_only,
    refused_to_students,
)
from bot.core.localized import staff_text
from bot.core.localtime import local_time
from bot.core.reads import LatestCaseNamed, OpenCasesSince, StudentHistory

TRANSCRIPT_LINES = 40
HISTORY_CASES = 10  # /lihat summarises the newest cases; older ones by number


def _age(opened_at: str, now: dt.datetime) -> str:
    try:
        opened = dt.datetime.strptime(opened_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return "-"
    minutes = int((now - opened).total_seconds() // 60)
    return f"{minutes} mnt" if minutes < 120 else f"{minutes // 60} jam"


def list_cases(ctx: Context, turn: Turn) -> Outcome:
    lang = turn.conversation.lang
    if not turn.listing:  # audited too: a listing asked for with another school's code
        return Outcome(turn.conversation, [Send(turn.party.key,
                                                ctx.text("supervision.empty", lang)),
                                           Audit(turn.party.key, "cases_listed", {"count": 0})])
    lines = [ctx.text("supervision.header", lang)]
    for case in turn.listing:
        flags = ("🚨 " if case.level == "crisis" else "⚠️ " if case.level == "concern" else "")
        lines.append(ctx.text(
            "supervision.line", lang, flags=flags, code=case.code, alias=case.alias,
            topic=ctx.text(f"topic.{case.topic}", lang), weight=case.weight,
            route=ctx.text(f"role.{'peer' if case.route == 'peer' else 'counselor'}", lang),
            who=case.assignee_name or "-", status=ctx.text(f"supervision.{case.status}", lang),
            age=_age(case.opened_at, turn.now)))
    lines.append(ctx.text("supervision.footer", lang))
    return Outcome(turn.conversation, [Send(turn.party.key, "\n".join(lines)),
                                       Audit(turn.party.key, "cases_listed",
                                             {"count": len(turn.listing)})])


def _unknown(ctx: Context, turn: Turn, command: str, code: str) -> Outcome:
    """A code this school has no (open) case for: refused, and audited, since a code of
    another school or a guessed one is somebody looking for a student they cannot see."""
    return Outcome(turn.conversation, [
        Send(turn.party.key, ctx.text("supervision.unknown", turn.conversation.lang,
                                      code=code)),
        Audit(turn.party.key, "case_lookup_refused", {"command": command, "code": code[:16]})])


def transcript(ctx: Context, turn: Turn, code: str) -> Outcome:
    """/lihat CODE [N]: every case of that student (story, notes, closing note, rating), then
    the transcript of case N (the newest by default). Audited."""
    lang = turn.conversation.lang
    case = turn.subject
    if case is None or not turn.history:
        return _unknown(ctx, turn, "lihat", code.split(" ")[0])
    shown = next((r for r in turn.history if r.id == case.id), turn.history[-1])
    lines = [ctx.text("supervision.history_header", lang, code=case.code, alias=case.alias,
                       n=len(turn.history))]
    newest = list(reversed(turn.history))  # newest first
    for record in newest[:HISTORY_CASES]:
        lines += _record_lines(ctx, record, lang)
    if len(newest) > HISTORY_CASES:
        lines.append(ctx.text("supervision.history_more", lang, n=len(newest) - HISTORY_CASES,
                               code=case.code))
    if len(turn.history) > 1:
        lines.append(ctx.text("supervision.history_footer", lang, code=case.code))
    body = [ctx.text("supervision.transcript_header", lang, code=case.code, alias=case.alias,
                      number=shown.number, flags=", ".join(case.flags) or "-")]
    body += [f"{ctx.text(f'supervision.sender_{sender}', lang)}: {crisis.quoted(text)}"
             for sender, text in case.recent] or [ctx.text("supervision.no_messages", lang)]
    return Outcome(turn.conversation, [
        Send(turn.party.key, "\n".join(lines)), Send(turn.party.key, "\n".join(body)),
        Audit(turn.party.key, "transcript_viewed", {"code": case.code, "case": shown.number})])


def _record_lines(ctx: Context, record: CaseRecord, lang: str) -> list[str]:
    flags = "🚨 " if record.level == "crisis" else "⚠️ " if record.level == "concern" else ""
    route = ctx.text(f"role.{'peer' if record.route == 'peer' else 'counselor'}", lang)
    lines = [ctx.text("supervision.case_line", lang, flags=flags, number=record.number,
                       opened=local_time(ctx.policy.tz, record.opened_at),
                       topic=ctx.text(f"topic.{record.topic}", lang), weight=record.weight,
                       route=route, who=record.helper or "-",
                       status=ctx.text(f"supervision.{record.status}", lang))]
    if record.level == "crisis" and record.category:
        lines.append(ctx.text("supervision.case_category", lang, category=ctx.text(
            f"risk.cat.{record.category}", lang)))
    lines.append(ctx.text("supervision.case_story", lang, story=crisis.quoted(
        record.story) if record.story else "-"))
    for note in record.notes:
        lines.append(ctx.text("supervision.case_note", lang, who=_author(ctx, note, lang),
                               at=local_time(ctx.policy.tz, note.at),
                               text=crisis.quoted(note.text)))
    if record.closing is not None:
        lines.append(ctx.text("supervision.case_closing", lang,
                               who=_author(ctx, record.closing, lang),
                               at=local_time(ctx.policy.tz, record.closing.at),
                               text=crisis.quoted(record.closing.text) or "-"))
    if record.score is not None:
        lines.append(ctx.text("supervision.case_rating", lang, score=record.score,
                               comment=f" «{crisis.quoted(record.comment)}»"
                               if record.comment else ""))
    return lines


def _author(ctx: Context, note: NoteView, lang: str) -> str:
    if note.role in ("student", "system", ""):
        return ctx.text(f"supervision.by_{note.role or 'system'}", lang)
    role = ctx.text(f"role.{note.role}", lang)
    return f"{note.author} ({role})" if note.author else role


def take_over(ctx: Context, turn: Turn, code: str) -> Outcome:
    lang = turn.conversation.lang
    case = turn.subject
    if case is None or case.status == "closed":
        return _unknown(ctx, turn, "ambil", code)
    said = "\n".join(f"• {crisis.quoted(text)}" for sender, text in case.recent
                     if sender == "student")
    effects: list = [TakeOver(case.id, turn.party.key),
                     CancelTimer(case.student, handoff.OFFER_TIMER),
                     CancelTimer(case.student, handoff.IDLE_TIMER),
                     CancelTimer(case.student, crisis.LADDER_TIMER),
                     Send(case.student, ctx.text("risk.student_joined", case.lang or "id")),
                     Send(turn.party.key, ctx.text("supervision.taken", lang, code=case.code,
                                                    recent=said or "-")),
                     MarkRelayed(case.id),
                     Audit(turn.party.key, "case_taken_over", {"code": case.code})]
    if case.assignee is not None and case.assignee != turn.party.key:
        effects.append(Send(case.assignee, staff_text(ctx, "supervision.peer_relieved",
                                                      code=case.code)))
        effects += wellbeing.after_case(ctx, case, case.assignee, turn.now, escalated=True)
    return Outcome(turn.conversation, effects)


def _history(ask) -> StudentHistory | None:
    """"/lihat CODE [N]": the student's cases, and case N (the newest when N is not given)."""
    if not ask.args:
        return None
    code, _, number = ask.args.partition(" ")
    number = number.strip().lstrip("#")
    return StudentHistory(code, int(number) if number.isdigit() else None)


def _counselor_command(name: str, run, aliases: tuple[str, ...], read: Read, rank: int,
                       menu: str) -> Command:
    return Command(name, run, STAFF, aliases=aliases, roles=COUNSELORS, refuse=counselors_only,
                   reads=(read,), menu=(MenuEntry(("counselor",), rank, menu),))


FEATURE = Feature(
    "supervision",
    commands=(
        _counselor_command("kasus", lambda ctx, turn, _: list_cases(ctx, turn), ("cases",),
                           Read("listing", lambda ask: OpenCasesSince(dt.timedelta(days=1))),
                           10, "Kasus terbuka"),
        _counselor_command("lihat", transcript, ("view",),
                           Read(("history", "subject"), _history), 20, "Transkrip kasus"),
        _counselor_command("ambil", take_over, ("takeover",),
                           Read("subject", lambda ask: LatestCaseNamed(ask.args, 40)
                                if ask.args else None), 30, "Ambil alih kasus"),
        *refused_to_students("kasus", "lihat", "ambil"),
    ),
)
