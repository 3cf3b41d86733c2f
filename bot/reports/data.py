"""Gather the report's figures from the store: aggregates only, never a person.

Every count that could single out a student (fewer than ``SMALL`` but more than zero) is
suppressed when rendered; derived figures (means, medians, percentiles) need at least
``SMALL`` observations behind them.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field

import aiosqlite

from bot.store.db import fetch_all, parse_ts, ts

SMALL = 5


@dataclass
class ReportData:
    start: dt.date
    end: dt.date  # inclusive
    weeks: list[str] = field(default_factory=list)  # Monday of each week, ISO date
    cases_by_week: dict[str, Counter] = field(default_factory=dict)  # week -> route/crisis
    cases_by_topic: Counter = field(default_factory=Counter)
    cases_by_weight: Counter = field(default_factory=Counter)
    cases_by_route: Counter = field(default_factory=Counter)
    crisis_cases: int = 0
    crisis_by_category: Counter = field(default_factory=Counter)
    ack_minutes: list[float] = field(default_factory=list)  # crisis -> "Saya tangani"
    unacknowledged: int = 0
    first_reply_minutes: list[float] = field(default_factory=list)  # case opened -> staff
    unanswered: int = 0  # closed without any staff reply
    peer_workload: Counter = field(default_factory=Counter)  # peer pseudonym -> cases
    scores: Counter = field(default_factory=Counter)  # 1..5 -> ratings
    dead_letters: int = 0
    services: Counter = field(default_factory=Counter)  # selfhelp_*, info_*, group_signup
    appointments: int = 0
    appointments_confirmed: int = 0
    group_signups: int = 0

    @property
    def cases(self) -> int:
        return sum(self.cases_by_route.values())

    @property
    def surveys(self) -> int:
        return sum(self.scores.values())

    @property
    def satisfaction(self) -> float | None:
        n = self.surveys
        if n < SMALL:
            return None
        return sum(score * count for score, count in self.scores.items()) / n

    @property
    def selfhelp(self) -> int:
        return sum(v for k, v in self.services.items() if k.startswith("selfhelp_"))


def suppress(value: int) -> str:
    """A count as shown: "<5" when it could single somebody out."""
    return f"<{SMALL}" if 0 < value < SMALL else str(value)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if len(values) >= SMALL else None


def percentile(values: list[float], q: float) -> float | None:
    if len(values) < SMALL:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def week_of(moment: dt.datetime, tz: dt.tzinfo) -> str:
    day = moment.astimezone(tz).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def _bounds(start: dt.date, end: dt.date, tz: dt.tzinfo) -> tuple[str, str]:
    begin = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return ts(begin), ts(finish)


async def gather(db: aiosqlite.Connection, start: dt.date, end: dt.date,
                 tz: dt.tzinfo) -> ReportData:
    """All figures for cases opened (and services used) from ``start`` to ``end``."""
    lo, hi = _bounds(start, end, tz)
    data = ReportData(start, end)
    monday = start - dt.timedelta(days=start.weekday())
    while monday <= end:
        data.weeks.append(monday.isoformat())
        data.cases_by_week[monday.isoformat()] = Counter()
        monday += dt.timedelta(days=7)
    rows = await fetch_all(
        db,
        "SELECT c.id, c.route, c.topic, c.weight, c.level, c.category, c.opened_at, "
        "c.crisis_at, c.claimed_at, c.status, c.assignee_key, "
        "COALESCE(u.pseudonym, u.display_name) AS staff_name, u.role AS staff_role, "
        "(SELECT MIN(m.at) FROM case_messages AS m WHERE m.case_id = c.id "
        " AND m.sender != 'student') AS first_reply "
        "FROM cases AS c LEFT JOIN users AS u ON u.key = c.assignee_key "
        "WHERE c.opened_at >= ? AND c.opened_at < ?",
        (lo, hi),
    )
    for row in rows:
        opened = parse_ts(row["opened_at"])
        crisis = row["level"] == "crisis"
        route = "crisis" if crisis else row["route"]
        data.cases_by_route[route] += 1
        data.cases_by_week.setdefault(week_of(opened, tz), Counter())[route] += 1
        data.cases_by_topic[row["topic"]] += 1
        data.cases_by_weight[str(row["weight"])] += 1
        if crisis:
            data.crisis_cases += 1
            data.crisis_by_category[row["category"] or "lainnya"] += 1
            if row["claimed_at"] and row["crisis_at"] and row["claimed_at"] >= row["crisis_at"]:
                waited = parse_ts(row["claimed_at"]) - parse_ts(row["crisis_at"])
                data.ack_minutes.append(waited.total_seconds() / 60)
            else:
                data.unacknowledged += 1
        if row["first_reply"]:
            waited = parse_ts(row["first_reply"]) - opened
            data.first_reply_minutes.append(waited.total_seconds() / 60)
        elif row["status"] == "closed":
            data.unanswered += 1
        if row["staff_role"] == "peer" and row["staff_name"]:
            data.peer_workload[row["staff_name"]] += 1
    for row in await fetch_all(db, "SELECT score, COUNT(*) AS n FROM surveys WHERE at >= ? "
                               "AND at < ? GROUP BY score", (lo, hi)):
        data.scores[int(row["score"])] = row["n"]
    for row in await fetch_all(db, "SELECT detail FROM audit WHERE action = 'service_used' "
                               "AND at >= ? AND at < ?", (lo, hi)):
        service = json.loads(row["detail"]).get("service")
        if service:
            data.services[str(service)] += 1
    data.group_signups = data.services.pop("group_signup", 0)
    [appts] = await fetch_all(
        db, "SELECT COUNT(*), COALESCE(SUM(status IN ('confirmed', 'done')), 0) "
        "FROM appointments WHERE created_at >= ? AND created_at < ?", (lo, hi))
    data.appointments, data.appointments_confirmed = appts[0], appts[1]
    [dead] = await fetch_all(db, "SELECT COUNT(*) FROM outbox WHERE status = 'dead' "
                             "AND created_at >= ? AND created_at < ?", (lo, hi))
    data.dead_letters = dead[0]
    return data


def weeks_series(data: ReportData) -> dict[str, list[int]]:
    """Cases per week for each route (peer, counselor, crisis), in week order."""
    return {route: [data.cases_by_week.get(w, {}).get(route, 0) for w in data.weeks]
            for route in ("peer", "counselor", "crisis")}


def weeks_chart_spec(data: ReportData, title: str, labels: dict[str, str]) -> dict:
    """The weekly chart as data (an outbox row carries it; the sender draws it)."""
    return {"kind": "weeks", "weeks": data.weeks, "series": weeks_series(data),
            "labels": labels, "title": title}


def summary_values(data: ReportData) -> dict[str, str]:
    """The figures the in-chat /laporan summary shows (catalog text report.summary)."""
    ack_median, ack_p90 = median(data.ack_minutes), percentile(data.ack_minutes, 0.9)
    first = median(data.first_reply_minutes)
    mean = data.satisfaction
    return {
        "start": data.start.isoformat(), "end": data.end.isoformat(),
        "cases": suppress(data.cases), "peer": suppress(data.cases_by_route["peer"]),
        "counselor": suppress(data.cases_by_route["counselor"]),
        "crisis": suppress(data.crisis_cases),
        "ack_median": "-" if ack_median is None else f"{ack_median:.0f} min",
        "ack_p90": "-" if ack_p90 is None else f"{ack_p90:.0f} min",
        "first_reply": "-" if first is None else f"{first:.0f} min",
        "satisfaction": "-" if mean is None else f"{mean:.1f}",
        "surveys": suppress(data.surveys), "selfhelp": suppress(data.selfhelp),
        "appointments": suppress(data.appointments), "groups": suppress(data.group_signups),
    }
