"""Shift holds and swaps (bot/core/shifts.py): which peer holds which slot, their arrival and
no-show, and requests to hand a slot over. Peers are pseudonymous keys; names come from the
users table (pseudonym, else alias), never the name on the invite."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import aiosqlite

from bot.core.keys import UserKey
from bot.core.shifts import HoldView, PeerLoad, SwapView, WeekLoad
from bot.store.db import Overtaken, fetch_all, fetch_one, parse_ts, ts

_NAME = "COALESCE(u.pseudonym, u.alias)"


def _hold(row) -> HoldView:
    return HoldView(parse_ts(row["starts_at"]), parse_ts(row["ends_at"]),
                    UserKey(row["peer_key"]), row["name"],
                    parse_ts(row["arrived_at"]) if row["arrived_at"] else None,
                    bool(row["no_show_at"]), bool(row["swap_open"]))


async def holds_between(db: aiosqlite.Connection, start: dt.datetime, end: dt.datetime
                        ) -> tuple[HoldView, ...]:
    """The holds of slots starting in [start, end) by peers still enrolled, in order."""
    rows = await fetch_all(
        db, f"SELECT h.*, {_NAME} AS name, EXISTS (SELECT 1 FROM shift_swaps AS s "
            "WHERE s.starts_at = h.starts_at AND s.requester_key = h.peer_key "
            "AND s.status = 'open') AS swap_open "
            "FROM shift_holds AS h JOIN users AS u ON u.key = h.peer_key "
            "WHERE u.role = 'peer' AND h.starts_at >= ? AND h.starts_at < ? "
            "ORDER BY h.starts_at, h.taken_at", (ts(start), ts(end)))
    return tuple(_hold(r) for r in rows)


async def take(db: aiosqlite.Connection, peer: UserKey, start: dt.datetime, end: dt.datetime,
               capacity: int, now: dt.datetime) -> None:
    """Hold the slot if it has room; else ``Overtaken`` (the last place went meanwhile)."""
    cursor = await db.execute(
        "INSERT OR IGNORE INTO shift_holds (starts_at, ends_at, peer_key, taken_at) "
        "SELECT ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM shift_holds AS h JOIN users AS u "
        "ON u.key = h.peer_key WHERE u.role = 'peer' AND h.starts_at = ?) < ?",
        (ts(start), ts(end), peer.value, ts(now), ts(start), capacity))
    if cursor.rowcount != 1:
        raise Overtaken("the shift filled up meanwhile")


async def leave(db: aiosqlite.Connection, peer: UserKey, start: dt.datetime,
                now: dt.datetime) -> None:
    await db.execute("DELETE FROM shift_holds WHERE starts_at = ? AND peer_key = ?",
                     (ts(start), peer.value))
    await db.execute("UPDATE shift_swaps SET status = 'withdrawn', settled_at = ? "
                     "WHERE starts_at = ? AND requester_key = ? AND status = 'open'",
                     (ts(now), ts(start), peer.value))


async def mark(db: aiosqlite.Connection, peer: UserKey, start: dt.datetime, what: str,
               at: dt.datetime) -> None:
    """An arrival (a return after /offduty resumes the hold), a leaving, or a no-show."""
    sql = {"arrived": "arrived_at = COALESCE(arrived_at, ?), left_at = NULL",
           "left": "left_at = CASE WHEN arrived_at IS NULL THEN NULL ELSE ? END",
           "no_show": "no_show_at = ?"}[what]
    await db.execute(f"UPDATE shift_holds SET {sql} WHERE starts_at = ? AND peer_key = ?",
                     (ts(at), ts(start), peer.value))


async def ask_swap(db: aiosqlite.Connection, token: str, peer: UserKey, start: dt.datetime,
                   now: dt.datetime) -> None:
    await db.execute(
        "INSERT INTO shift_swaps (token, starts_at, requester_key, status, asked_at) "
        "VALUES (?, ?, ?, 'open', ?) ON CONFLICT (token) DO UPDATE SET status = 'open', "
        "taker_key = NULL, asked_at = excluded.asked_at, settled_at = NULL",
        (token, ts(start), peer.value, ts(now)))


async def swap(db: aiosqlite.Connection, token: str) -> SwapView | None:
    row = await fetch_one(
        db, f"SELECT s.*, {_NAME} AS name, (SELECT MIN(h.ends_at) FROM shift_holds AS h "
            "WHERE h.starts_at = s.starts_at) AS ends_at FROM shift_swaps AS s "
            "JOIN users AS u ON u.key = s.requester_key WHERE s.token = ?", (token,))
    if row is None or row["ends_at"] is None:
        return None
    holders = await fetch_all(db, "SELECT peer_key FROM shift_holds WHERE starts_at = ?",
                              (row["starts_at"],))
    return SwapView(token, parse_ts(row["starts_at"]), parse_ts(row["ends_at"]),
                    UserKey(row["requester_key"]), row["name"], row["status"],
                    tuple(UserKey(h["peer_key"]) for h in holders))


async def take_swap(db: aiosqlite.Connection, token: str, taker: UserKey, requester: UserKey,
                    start: dt.datetime, now: dt.datetime) -> None:
    """The taker holds the slot instead of the requester; ``Overtaken`` when somebody else
    was first (or the request ended meanwhile)."""
    cursor = await db.execute(
        "UPDATE shift_swaps SET status = 'taken', taker_key = ?, settled_at = ? "
        "WHERE token = ? AND status = 'open'", (taker.value, ts(now), token))
    if cursor.rowcount != 1:
        raise Overtaken("the swap was taken meanwhile")
    cursor = await db.execute(
        "UPDATE shift_holds SET peer_key = ?, taken_at = ? WHERE starts_at = ? "
        "AND peer_key = ?", (taker.value, ts(now), ts(start), requester.value))
    if cursor.rowcount != 1:
        raise Overtaken("the requester no longer holds the shift")


async def lapse_swap(db: aiosqlite.Connection, token: str, now: dt.datetime) -> None:
    await db.execute("UPDATE shift_swaps SET status = 'lapsed', settled_at = ? "
                     "WHERE token = ? AND status = 'open'", (ts(now), token))


async def peer_loads(db: aiosqlite.Connection, monday: dt.date, weeks: int, tz: dt.tzinfo,
                     now: dt.datetime) -> tuple[PeerLoad, ...]:
    """Each enrolled peer's weeks (newest first): hours on their shifts (arrival to /offduty,
    the shift's end or now), cases accepted (audit ``offer_accepted``) and no-shows."""
    first = monday - dt.timedelta(days=7 * (weeks - 1))
    lo = ts(dt.datetime.combine(first, dt.time(), tzinfo=tz))
    hi = ts(dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), tzinfo=tz))
    peers = await fetch_all(db, f"SELECT u.key, {_NAME} AS name FROM users AS u "
                                "WHERE u.role = 'peer' ORDER BY name")
    hours: dict[tuple[str, int], float] = defaultdict(float)
    cases: dict[tuple[str, int], int] = defaultdict(int)
    missed: dict[tuple[str, int], int] = defaultdict(int)

    def week(stored: str) -> int:
        day = parse_ts(stored).astimezone(tz).date()
        return (monday - (day - dt.timedelta(days=day.weekday()))).days // 7

    for row in await fetch_all(db, "SELECT * FROM shift_holds WHERE starts_at >= ? "
                                   "AND starts_at < ?", (lo, hi)):
        at = week(row["starts_at"])
        if row["no_show_at"]:
            missed[(row["peer_key"], at)] += 1
        if row["arrived_at"]:
            hours[(row["peer_key"], at)] += covered(row, now) / 3600
    for row in await fetch_all(db, "SELECT actor_key, at FROM audit WHERE action = "
                                   "'offer_accepted' AND at >= ? AND at < ?", (lo, hi)):
        cases[(row["actor_key"], week(row["at"]))] += 1
    return tuple(PeerLoad(p["name"], tuple(
        WeekLoad(hours[(p["key"], w)], cases[(p["key"], w)], missed[(p["key"], w)])
        for w in range(weeks))) for p in peers)


def covered(row, now: dt.datetime) -> float:
    """Seconds of a hold's slot its peer was on duty: from arrival to leaving (or the slot's
    end, or now while it runs)."""
    start, end = parse_ts(row["starts_at"]), parse_ts(row["ends_at"])
    began = max(parse_ts(row["arrived_at"]), start)
    ended = min(parse_ts(row["left_at"]) if row["left_at"] else end, end, max(now, start))
    return max(0.0, (ended - began).total_seconds())

