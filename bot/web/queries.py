"""What the web pages read: pseudonyms and case codes only, never an address or platform id."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import aiosqlite

from bot.core.keys import UserKey
from bot.store import users
from bot.store.db import fetch_all, fetch_one, parse_ts, ts


@dataclass(frozen=True)
class Waiting:
    """A case waiting for a human: since when, and (guru BK cases) the ladder's step."""

    code: str
    alias: str
    route: str
    level: str
    category: str
    topic: str
    weight: int
    since: dt.datetime
    step: int = 0  # 0-based ladder step of the last alert sent
    light: bool = False
    offers: int = 0


@dataclass(frozen=True)
class Active:
    code: str
    alias: str
    route: str
    level: str
    helper: str


@dataclass(frozen=True)
class StaffNow:
    name: str
    role: str
    duty: str
    on_duty: bool
    load: int
    unreachable: bool


@dataclass(frozen=True)
class LiveView:
    crises: list[Waiting] = field(default_factory=list)
    for_counselor: list[Waiting] = field(default_factory=list)
    for_peer: list[Waiting] = field(default_factory=list)
    active: list[Active] = field(default_factory=list)
    staff: list[StaffNow] = field(default_factory=list)


def _since(row: aiosqlite.Row) -> dt.datetime:
    return parse_ts(row["crisis_at"] or row["opened_at"])


async def live(db: aiosqlite.Connection, on_shift: bool) -> LiveView:
    """Everything the Live page shows, read in one pass."""
    view = LiveView()
    for r in await fetch_all(
            db, "SELECT c.code, c.route, c.level, c.category, c.topic, c.weight, c.opened_at, "
                "c.crisis_at, s.alias, unseal(t.payload) AS ladder, (SELECT COUNT(*) FROM offers o "
                "WHERE o.case_id = c.id AND o.status = 'open') AS offers "
                "FROM cases c LEFT JOIN users s ON s.key = c.student_key "
                "LEFT JOIN timers t ON t.owner_key = c.student_key AND t.kind = 'crisis_ladder' "
                "WHERE c.status = 'waiting' ORDER BY COALESCE(c.crisis_at, c.opened_at), c.id"):
        ladder = json.loads(r["ladder"] or "{}")
        item = Waiting(r["code"], r["alias"] or "", r["route"], r["level"], r["category"] or "",
                       r["topic"], r["weight"], _since(r), int(ladder.get("step", 0)),
                       bool(ladder.get("light")), r["offers"])
        if r["route"] == "peer":
            view.for_peer.append(item)
        elif r["level"] == "crisis":
            view.crises.append(item)
        else:
            view.for_counselor.append(item)
    for r in await fetch_all(
            db, "SELECT c.code, c.route, c.level, s.alias, COALESCE(a.pseudonym, "
                "a.display_name, '-') AS helper FROM cases c "
                "LEFT JOIN users s ON s.key = c.student_key "
                "LEFT JOIN users a ON a.key = c.assignee_key "
                "WHERE c.status = 'active' ORDER BY c.level = 'crisis' DESC, c.claimed_at DESC"):
        view.active.append(Active(r["code"], r["alias"] or "", r["route"], r["level"],
                                  r["helper"]))
    for r in await fetch_all(
            db, "SELECT u.role, u.duty, u.unreachable_since, " + users.MAY_BE_ON_DUTY
                + " AS may, COALESCE(CASE WHEN u.role = 'peer' "
                "THEN u.pseudonym END, u.display_name, u.pseudonym, u.code) AS name, "
                "(SELECT COUNT(*) FROM cases c WHERE c.assignee_key = u.key "
                "AND c.status = 'active') AS load FROM users u "
                "WHERE u.role IN ('peer', 'counselor', 'backup') "
                "ORDER BY u.role, name"):
        on = bool(r["may"]) and (r["duty"] == "on" or (r["duty"] == "auto" and on_shift))
        view.staff.append(StaffNow(r["name"], r["role"], r["duty"], on, r["load"],
                                   r["unreachable_since"] is not None))
    return view


@dataclass(frozen=True)
class CaseRow:
    code: str
    alias: str
    route: str
    status: str
    level: str
    topic: str
    weight: int
    opened_at: dt.datetime
    helper: str


FILTERS = {"status": ("waiting", "active", "closed"), "route": ("peer", "counselor"),
           "level": ("normal", "concern", "crisis")}


async def case_list(db: aiosqlite.Connection, since: dt.datetime,
                    filters: dict[str, str],
                    week: tuple[dt.datetime, dt.datetime] | None = None) -> list[CaseRow]:
    """Open cases and those opened since ``since``, newest first, filtered (known values
    only; anything else is ignored); with ``week`` (start, end), the cases opened in it,
    whatever their status."""
    sql = ("SELECT c.code, c.route, c.status, c.level, c.topic, c.weight, c.opened_at, s.alias, "
           "COALESCE(a.pseudonym, a.display_name, '-') AS helper FROM cases c "
           "LEFT JOIN users s ON s.key = c.student_key LEFT JOIN users a ON a.key = c.assignee_key "
           "WHERE (c.status != 'closed' OR c.opened_at >= ?)")
    args: list = [ts(since)]
    if week is not None:
        sql = sql.replace("(c.status != 'closed' OR c.opened_at >= ?)",
                          "c.opened_at >= ? AND c.opened_at < ?")
        args = [ts(week[0]), ts(week[1])]
    for column, allowed in FILTERS.items():
        if filters.get(column) in allowed:
            sql += f" AND c.{column} = ?"
            args.append(filters[column])
    rows = await fetch_all(db, sql + " ORDER BY c.opened_at DESC, c.id DESC LIMIT 200", args)
    return [CaseRow(r["code"], r["alias"] or "", r["route"], r["status"], r["level"], r["topic"],
                    r["weight"], parse_ts(r["opened_at"]), r["helper"]) for r in rows]


@dataclass(frozen=True)
class Line:
    sender: str
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class CaseDetail:
    row: CaseRow
    assignee: UserKey | None
    category: str
    story: str
    flags: tuple[str, ...]
    closed_at: dt.datetime | None
    outcome: str
    score: int | None
    lines: list[Line]
    notes: list[Line]


async def case_detail(db: aiosqlite.Connection, code: str) -> CaseDetail | None:
    """The student's most recent case with this code, with its whole transcript."""
    r = await fetch_one(
        db, "SELECT c.id, c.code, c.route, c.status, c.level, c.topic, c.weight, c.opened_at, "
            "c.closed_at, c.category, c.risk_rules, unseal(c.outcome_note) AS outcome, "
            "json_extract(unseal(c.intake), '$.story') AS story, s.alias, "
            "COALESCE(a.pseudonym, a.display_name, '-') AS helper, c.assignee_key, "
            "(SELECT score FROM surveys v WHERE v.case_id = c.id) AS score FROM cases c "
            "LEFT JOIN users s ON s.key = c.student_key "
            "LEFT JOIN users a ON a.key = c.assignee_key "
            "WHERE c.code = ? ORDER BY c.id DESC LIMIT 1", (code,))
    if r is None:
        return None
    row = CaseRow(r["code"], r["alias"] or "", r["route"], r["status"], r["level"], r["topic"],
                  r["weight"], parse_ts(r["opened_at"]), r["helper"])
    lines = [Line(m["sender"], m["text"] or "", parse_ts(m["at"])) for m in await fetch_all(
        db, "SELECT sender, unseal(text) AS text, at FROM case_messages WHERE case_id = ? "
            "ORDER BY id", (r["id"],))]
    notes = [Line(n["author"] or "-", n["text"] or "", parse_ts(n["at"])) for n in await fetch_all(
        db, "SELECT COALESCE(u.pseudonym, u.display_name) AS author, unseal(n.text) AS text, n.at "
            "FROM staff_notes n LEFT JOIN users u ON u.key = n.author_key WHERE n.case_id = ? "
            "ORDER BY n.id", (r["id"],))]
    return CaseDetail(row, UserKey(r["assignee_key"]) if r["assignee_key"] else None,
                      r["category"] or "", r["story"] or "",
                      tuple(json.loads(r["risk_rules"] or "[]")),
                      parse_ts(r["closed_at"]) if r["closed_at"] else None, r["outcome"] or "",
                      r["score"], lines, notes)


@dataclass(frozen=True)
class DeadLetter:
    at: dt.datetime
    audience: str
    error: str
    case: str


async def dead_letters(db: aiosqlite.Connection, limit: int = 50) -> list[DeadLetter]:
    """Messages that could not be delivered (never their words nor their recipient)."""
    return [DeadLetter(parse_ts(r["created_at"]), r["audience"] or "-",
                       (r["last_error"] or "-")[:120], r["case_code"] or "-")
            for r in await fetch_all(
                db, "SELECT created_at, audience, last_error, case_code FROM outbox "
                    "WHERE status = 'dead' ORDER BY id DESC LIMIT ?", (limit,))]
