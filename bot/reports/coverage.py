"""Shift coverage for the report (issue #17 item 6): per week, the roster's hours, the hours a
peer held, the hours a peer was on duty, and no-shows; and the wellbeing check-in's answers.

Planned hours come from the roster in use now (the Staff page's, else config.yaml's), for
shifts that have begun by the report's moment; held and covered hours from ``shift_holds``
(covered: from a holder's /onduty to /offduty or the shift's end, overlapping holders counted
once). Peers' hours are about staff, not students: shown as they are, never by name here
(guru BK sees names in /beban). The check-in answers are about how peers feel: counted only,
and small counts hidden like students' figures.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field

import aiosqlite

from bot.core.roster import Roster
from bot.reports.figures import week_of
from bot.store.db import fetch_all, parse_ts, ts

CHECKIN_ANSWERS = ("ok", "heavy", "talk")


@dataclass
class Coverage:
    planned: Counter = field(default_factory=Counter)  # week -> hours
    held: Counter = field(default_factory=Counter)
    covered: Counter = field(default_factory=Counter)
    no_shows: Counter = field(default_factory=Counter)  # week -> holds guru BK was told of
    checkins: Counter = field(default_factory=Counter)  # answer -> count


def _hours(delta: dt.timedelta) -> float:
    return max(0.0, delta.total_seconds() / 3600)


def _union(spans: list[tuple[dt.datetime, dt.datetime]]) -> dt.timedelta:
    total, end = dt.timedelta(), None
    for lo, hi in sorted(spans):
        if end is not None and lo < end:
            lo = end
        if hi > lo:
            total += hi - lo
            end = hi if end is None or hi > end else end
    return total


async def gather_coverage(db: aiosqlite.Connection, roster: Roster | None, start: dt.date,
                          end: dt.date, tz: dt.tzinfo, moment: dt.datetime) -> Coverage:
    """The period's coverage (local days ``start`` .. ``end``), up to ``moment``."""
    out = Coverage()
    lo = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    hi = min(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz), moment)
    if roster is not None:
        for s, e in roster.slots(start, (end - start).days + 1):
            if s < moment:
                out.planned[week_of(s, tz)] += _hours(min(e, moment) - s)
    slots: dict[tuple[str, str], list] = {}
    for row in await fetch_all(db, "SELECT * FROM shift_holds WHERE starts_at >= ? "
                                   "AND starts_at < ?", (ts(lo), ts(hi))):
        slots.setdefault((row["starts_at"], row["ends_at"]), []).append(row)
        if row["no_show_at"]:
            out.no_shows[week_of(parse_ts(row["starts_at"]), tz)] += 1
    for (begins, ends), rows in slots.items():
        s, e = parse_ts(begins), min(parse_ts(ends), moment)
        week = week_of(s, tz)
        out.held[week] += _hours(e - s)
        spans = [(max(parse_ts(r["arrived_at"]), s),
                  min(parse_ts(r["left_at"]) if r["left_at"] else e, e))
                 for r in rows if r["arrived_at"]]
        out.covered[week] += _hours(_union(spans))
    for row in await fetch_all(db, "SELECT detail FROM audit WHERE action = 'peer_checkin' "
                                   "AND at >= ? AND at < ?", (ts(lo), ts(hi))):
        answer = json.loads(row["detail"]).get("answer")
        if answer in CHECKIN_ANSWERS:
            out.checkins[answer] += 1
    return out
