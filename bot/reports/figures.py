"""The report's figures as plain data, and the rules for showing them (no I/O here: the core's
/laporan uses these too).

Every count that could single out a student (fewer than ``SMALL`` but more than zero) is
suppressed when shown; derived figures (means, medians, percentiles) need at least ``SMALL``
observations behind them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

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
    synthetic: bool = False  # sample data (sebaya demo --seed-data): every format says so
    generated_at: dt.datetime | None = None  # local time the report was made
    previous: ReportData | None = None  # the period of the same length just before
    angkets: list = field(default_factory=list)  # AngketResult of angkets open in the period
    peers_trained: int = 0  # now (users), not in the period
    peers_approved: int = 0
    trainings_passed: int = 0  # in the period (audit)
    approvals: int = 0
    tppk_notified: int = 0
    coaching: Counter = field(default_factory=Counter)  # (week, kind) -> held or nudged
    coverage: Any = None  # bot/reports/coverage.py's Coverage (the full report only)

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


def weeks_series(data: ReportData) -> dict[str, list[int]]:
    """Cases per week for each route (peer, counselor, crisis), in week order."""
    return {route: [data.cases_by_week.get(w, {}).get(route, 0) for w in data.weeks]
            for route in ("peer", "counselor", "crisis")}


def weeks_chart_spec(data: ReportData, title: str, labels: dict[str, str],
                     lang: str = "id") -> dict:
    """The weekly chart as data (an outbox row carries it; the sender draws it)."""
    return {"kind": "weeks", "weeks": data.weeks, "series": weeks_series(data),
            "labels": labels, "title": title, "lang": lang}


def summary_values(data: ReportData, lang: str = "id") -> dict[str, str]:
    """The figures the in-chat /laporan summary shows (catalog text report.summary), in the
    language's numbers; the case counts protected together with the weekly chart beside it."""
    from bot.reports import numbers  # they build on this module
    from bot.reports.suppression import protect_weeks

    shown = protect_weeks(data.weeks, weeks_series(data))
    unit = "min" if lang == "en" else "menit"

    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{numbers.number(value, lang)} {unit}"

    mean = data.satisfaction
    return {
        "start": numbers.day(data.start, lang, year=True),
        "end": numbers.day(data.end, lang, year=True),
        "cases": shown["cases"].text(), "peer": shown[("route", "peer")].text(),
        "counselor": shown[("route", "counselor")].text(),
        "crisis": shown[("route", "crisis")].text(),
        "ack_median": minutes(median(data.ack_minutes)),
        "ack_p90": minutes(percentile(data.ack_minutes, 0.9)),
        "first_reply": minutes(median(data.first_reply_minutes)),
        "satisfaction": "-" if mean is None else numbers.number(mean, lang, 1),
        "surveys": suppress(data.surveys), "selfhelp": suppress(data.selfhelp),
        "appointments": suppress(data.appointments), "groups": suppress(data.group_signups),
    }
