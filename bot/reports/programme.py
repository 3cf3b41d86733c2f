"""The peer programme's figures (issue #17 item 6): training, coaching, TPPK notifications.

Read from the users table (who is trained and approved now) and the audit trail (what happened
in the period), as counts only: never a peer's message, a student or a case code.
"""

from __future__ import annotations

import datetime as dt
import json

import aiosqlite

from bot.reports.figures import ReportData, week_of
from bot.store.db import fetch_all, parse_ts

COACHING = ("identity", "contact", "directive", "minimising", "secrecy", "concern")


async def gather_programme(db: aiosqlite.Connection, data: ReportData, lo: str, hi: str,
                           tz: dt.tzinfo) -> None:
    """Fill ``data``'s programme figures for audit rows from ``lo`` to ``hi`` (stored times)."""
    [staff] = await fetch_all(
        db, "SELECT COALESCE(SUM(CASE WHEN trained_at IS NOT NULL THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN approved_at IS NOT NULL THEN 1 ELSE 0 END), 0) "
            "FROM users WHERE role = 'peer'")
    data.peers_trained, data.peers_approved = int(staff[0]), int(staff[1])
    rows = await fetch_all(
        db, "SELECT at, action, detail FROM audit WHERE action IN ('training_passed', "
            "'peer_approved', 'coach_held', 'coach_nudge', 'tppk_notified') "
            "AND at >= ? AND at < ?", (lo, hi))
    for row in rows:
        action = row["action"]
        if action == "training_passed":
            data.trainings_passed += 1
        elif action == "peer_approved":
            data.approvals += 1
        elif action == "tppk_notified":
            data.tppk_notified += 1
        else:
            kind = json.loads(row["detail"]).get("kind")
            if kind in COACHING:
                data.coaching[(week_of(parse_ts(row["at"]), tz), kind)] += 1
