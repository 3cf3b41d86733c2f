"""The report's tables, every count already protected (``suppression``): the one place where
Markdown, CSV and HTML get their figures, so the formats can never disagree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.angket import words
from bot.reports import numbers
from bot.reports.angket import AngketResult
from bot.reports.coverage import CHECKIN_ANSWERS
from bot.reports.figures import ReportData, median, percentile, weeks_series
from bot.reports.labels import labels
from bot.reports.programme import COACHING
from bot.reports.suppression import Shown, protect, protect_weeks, week_groups, week_values

ROUTES = ("peer", "counselor", "crisis")
WEIGHTS = ("1", "2", "3")
SCORES = (1, 2, 3, 4, 5)
SINGLE = ("unanswered", "dead_letters", "unacknowledged", "appointments", "confirmed", "groups")


@dataclass
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""


def partial_weeks(data: ReportData) -> set[str]:
    """Weeks the period cuts (it starts or ends mid-week): fewer days, fewer cases."""
    out = set()
    for week in data.weeks:
        monday = dt.date.fromisoformat(week)
        if monday < data.start or monday + dt.timedelta(days=6) > data.end:
            out.add(week)
    return out


@dataclass
class Names:
    """Words from the school's own catalogs: topics and tracked services by id."""

    topics: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)

    def topic(self, key: str) -> str:
        return self.topics.get(key) or key.replace("_", " ").capitalize()

    def service(self, key: str) -> str:
        return self.services.get(key) or key.split("_", 1)[-1].replace("_", " ").capitalize()


def protected(data: ReportData) -> dict:
    """Every count of the report under one key, shown so that none can be derived."""
    values = week_values(data.weeks, weeks_series(data))
    groups = week_groups(data.weeks, ROUTES)
    values.update({("topic", k): v for k, v in data.cases_by_topic.items()})
    groups.append(("cases", [("topic", k) for k in data.cases_by_topic]))
    values.update({("weight", k): data.cases_by_weight.get(k, 0) for k in WEIGHTS})
    extra = [k for k in data.cases_by_weight if k not in WEIGHTS]
    values.update({("weight", k): data.cases_by_weight[k] for k in extra})
    groups.append(("cases", [("weight", k) for k in (*WEIGHTS, *extra)]))
    values.update({("score", s): data.scores.get(s, 0) for s in SCORES})
    values["surveys"] = data.surveys
    groups.append(("surveys", [("score", s) for s in SCORES]))
    values.update({("service", k): v for k, v in data.services.items()})
    values["selfhelp"] = data.selfhelp
    groups.append(("selfhelp", [("service", k) for k in data.services
                                if k.startswith("selfhelp_")]))
    values.update(unanswered=data.unanswered, dead_letters=data.dead_letters,
                  unacknowledged=data.unacknowledged, appointments=data.appointments,
                  confirmed=data.appointments_confirmed, groups=data.group_signups)
    peers = [("peer", name) for name in data.peer_workload]
    values.update({("peer", name): v for name, v in data.peer_workload.items()})
    if sum(data.peer_workload.values()) == data.cases_by_route["peer"]:
        groups.append((("route", "peer"), peers))  # the workloads add up to the peer cases
    return protect(values, groups, public=peers)


def count(shown: Shown, lang: str) -> str:
    """A protected count in the language's number format: "1.234", "<5", "10–14"."""
    if shown.exact:
        return numbers.number(shown.value, lang)
    if shown.small:
        return shown.text()
    return f"{numbers.number(shown.low, lang)}–{numbers.number(shown.high, lang)}"


def minutes(value: float | None, lang: str) -> str:
    """"24,2 menit", or "-" when there are too few data points."""
    if value is None:
        return labels(lang)["na"]
    return f"{numbers.number(value, lang, 1)} {labels(lang)['minutes']}"


def mean_score(data: ReportData, lang: str) -> str:
    mean = data.satisfaction  # one decimal: two would narrow down the hidden counts
    t = labels(lang)
    return t["na"] if mean is None else f"{numbers.number(mean, lang, 1)} {t['out_of_5']}"


def overview_rows(data: ReportData, shown: Mapping, lang: str) -> list[tuple[str, str]]:
    """The key figures of one period (the overview table and the summary use them)."""
    t = labels(lang)
    return [
        (t["cases"], count(shown["cases"], lang)),
        (t["peer"], count(shown[("route", "peer")], lang)),
        (t["counselor"], count(shown[("route", "counselor")], lang)),
        (t["crisis_cases"], count(shown[("route", "crisis")], lang)),
        (t["ack_half"], minutes(median(data.ack_minutes), lang)),
        (t["reply_half"], minutes(median(data.first_reply_minutes), lang)),
        (t["reply_most"], minutes(percentile(data.first_reply_minutes, 0.9), lang)),
        (t["unanswered"], count(shown["unanswered"], lang)),
        (t["dead_letters"], count(shown["dead_letters"], lang)),
        (t["mean_satisfaction"], mean_score(data, lang)),
    ]


def _overview(data: ReportData, shown: Mapping, lang: str) -> Table:
    t = labels(lang)
    rows = overview_rows(data, shown, lang)
    if data.previous is None:
        return Table(t["overview"], (t["measure"], t["now"]), rows)
    before = overview_rows(data.previous, protected(data.previous), lang)
    return Table(t["overview"], (t["measure"], t["now"], t["before"]),
                 [(label, now, then) for (label, now), (_, then) in zip(rows, before,
                                                                         strict=True)])


def tables(data: ReportData, lang: str, names: Names) -> list[Table]:
    """The report's tables, in the order they are shown."""
    t = labels(lang)
    shown = protected(data)

    def c(key) -> str:
        return count(shown[key], lang)

    cut = partial_weeks(data)
    weeks = [(numbers.day(w, lang, year=True) + (" *" if w in cut else ""),
              *(c(("cell", w, r)) for r in ROUTES), c(("week", w))) for w in data.weeks]
    topics = [(names.topic(k), c(("topic", k))) for k, _ in data.cases_by_topic.most_common()]
    weights = [(dict(zip(WEIGHTS, t["weight_names"], strict=True)).get(k, k), c(("weight", k)))
               for k in sorted({*WEIGHTS, *data.cases_by_weight})]
    crisis = [(t["crisis_cases"], c(("route", "crisis"))),
              (t["ack_half"], minutes(median(data.ack_minutes), lang)),
              (t["ack_most"], minutes(percentile(data.ack_minutes, 0.9), lang)),
              (t["unacknowledged"], c("unacknowledged"))]
    peers = [(name, c(("peer", name))) for name, _ in data.peer_workload.most_common()]
    scores = [(t["score_names"][s - 1], c(("score", s))) for s in SCORES]
    scores += [(t["surveys"], c("surveys")), (t["mean"], mean_score(data, lang))]
    services = [(t["selfhelp"], c("selfhelp"))]
    services += [(f"· {names.service(k)}", c(("service", k))) for k in sorted(data.services)
                 if k.startswith("selfhelp_")]
    services += [(names.service(k), c(("service", k))) for k in sorted(data.services)
                 if not k.startswith("selfhelp_")]
    services += [(t["appointments"], c("appointments")), (t["confirmed"], c("confirmed")),
                 (t["groups"], c("groups"))]
    return [
        _overview(data, shown, lang),
        Table(t["weeks"], (t["week"], t["peer"], t["counselor"], t["crisis_route"], t["cases"]),
              weeks, t["partial"] if cut else ""),
        Table(t["topics"], (t["topic"], t["cases"]), topics),
        Table(t["weights"], (t["weight"], t["cases"]), weights),
        Table(t["crisis"], (t["measure"], t["value"]), crisis),
        Table(t["peers"], (t["peer_name"], t["cases"]), peers),  # small is fine: staff
        Table(t["satisfaction"], (t["score"], t["ratings"]), scores),
        Table(t["services"], (t["service"], t["count"]), services),
        *programme_tables(data, lang),
        *coverage_tables(data, lang),
        *(angket_table(result, lang) for result in data.angkets),
    ]


def programme_tables(data: ReportData, lang: str) -> list[Table]:
    """The peer programme: peers trained and approved (staff: shown as they are), TPPK
    notifications, and coaching in the chat by kind and week (protected like cases)."""
    t = labels(lang)
    tppk = protect({"tppk": data.tppk_notified})["tppk"]
    rows = [(t["peers_trained"], numbers.number(data.peers_trained, lang)),
            (t["peers_approved"], numbers.number(data.peers_approved, lang)),
            (t["trainings_passed"], numbers.number(data.trainings_passed, lang)),
            (t["approvals"], numbers.number(data.approvals, lang)),
            (t["tppk_notified"], count(tppk, lang))]
    series = {kind: [data.coaching.get((w, kind), 0) for w in data.weeks] for kind in COACHING}
    shown = protect_weeks(data.weeks, series)
    cut = partial_weeks(data)
    weeks = [(numbers.day(w, lang) + (" *" if w in cut else ""),  # narrow: 8 columns
              *(count(shown[("cell", w, kind)], lang) for kind in COACHING),
              count(shown[("week", w)], lang)) for w in data.weeks]
    header = (t["week"], *(t["coaching_kinds"][kind] for kind in COACHING), t["total"])
    return [Table(t["programme"], (t["measure"], t["value"]), rows),
            Table(t["coaching"], header, weeks, t["coaching_note"])]


def coverage_tables(data: ReportData, lang: str) -> list[Table]:
    """Shift coverage per week (hours planned, held, covered; no-shows: about staff, shown as
    they are, never by name) and the peers' check-in answers (how peers feel: small counts
    hidden). Nothing when the report was gathered without them (/laporan's summary)."""
    coverage = data.coverage
    if coverage is None:
        return []
    t = labels(lang)
    cut = partial_weeks(data)

    def hours(value: float) -> str:
        return numbers.number(round(value, 1), lang, 1)

    rows = [(numbers.day(w, lang) + (" *" if w in cut else ""), hours(coverage.planned[w]),
             hours(coverage.held[w]), hours(coverage.covered[w]),
             numbers.number(coverage.no_shows[w], lang)) for w in data.weeks]
    header = (t["week"], t["shift_planned"], t["shift_held"], t["shift_covered"],
              t["shift_no_shows"])
    answers = protect({a: coverage.checkins[a] for a in CHECKIN_ANSWERS})
    checkins = [(t["checkin_answers"][a], count(answers[a], lang)) for a in CHECKIN_ANSWERS]
    return [Table(t["coverage"], header, rows, t["coverage_note"]),
            Table(t["checkins"], (t["answer"], t["count"]), checkins, t["checkins_note"])]


def angket_table(result: AngketResult, lang: str) -> Table:
    """One angket: a row per question (its area, each answer's count, how many answered and,
    for a 1-4 scale with nothing hidden, the mean), or only a note when too few answered."""
    t = labels(lang)
    angket = result.angket
    title = f"{t['angket']}: {words(angket.title, lang)}"
    means = any(row.mean is not None for _, items in result.areas for row in items)
    header = (t["question"], t["area"], t["answers"], t["answered"], *([t["mean"]] * means))
    if result.hidden:
        return Table(title, header, [], t["angket_few"])
    rows = []
    for area, items in result.areas:
        for row in items:
            answers = " · ".join(
                f"{t['yes_no'].get(answer, answer)}: {count(shown, lang)}"
                for answer, shown in row.counts.items())
            mean = t["na"] if row.mean is None else numbers.number(row.mean, lang, 1)
            text = words(row.item.text, lang)
            rows.append((text, t["areas"][area], answers, count(row.answered, lang),
                         *([mean] * means)))  # no column of dashes when no mean can be shown
    return Table(title, header, rows,
                 f"{t['answered']}: {count(result.respondents, lang)}. {t['angket_note']}")
