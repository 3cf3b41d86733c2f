"""Gather the report's figures from the store: aggregates only, never a person."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import aiosqlite

from bot.reports.figures import ReportData, week_of
from bot.reports.programme import gather_programme
from bot.store.db import fetch_all, parse_ts, ts


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
        "COALESCE(u.pseudonym, u.display_name) AS staff_name, "
        "COALESCE(u.former_role, u.role) AS staff_role, "  # removed staff keep their workload
        "(SELECT MIN(m.at) FROM case_messages AS m WHERE m.case_id = c.id "
        " AND m.sender != 'student') AS first_reply, "
        "EXISTS (SELECT 1 FROM offers AS o WHERE o.case_id = c.id "
        " AND o.status = 'accepted') AS peer_took "  # a peer took it (it may have moved on)
        "FROM cases AS c LEFT JOIN users AS u ON u.key = c.assignee_key "
        "WHERE c.opened_at >= ? AND c.opened_at < ?",
        (lo, hi),
    )
    for row in rows:
        opened = parse_ts(row["opened_at"])
        crisis = row["level"] == "crisis"
        # a case a peer took is the peers' work even after guru BK took it over (/ambil) or
        # the peer passed it on (/eskalasi), which set its route to counselor
        route = "crisis" if crisis else "peer" if row["peer_took"] else row["route"]
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
        db, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('confirmed', 'done') THEN 1 "
        "ELSE 0 END), 0) FROM appointments WHERE created_at >= ? AND created_at < ?", (lo, hi))
    data.appointments, data.appointments_confirmed = appts[0], appts[1]
    [dead] = await fetch_all(db, "SELECT COUNT(*) FROM outbox WHERE status = 'dead' "
                             "AND created_at >= ? AND created_at < ?", (lo, hi))
    data.dead_letters = dead[0]
    await gather_programme(db, data, lo, hi, tz)
    return data
