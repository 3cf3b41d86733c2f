"""The peer roster (shifts and holidays) as edited from the web view, kept in ``meta``.

config.yaml's ``roster.shifts`` and ``roster.holidays`` are the school's starting roster; once
guru BK edits it on the Staff page, the stored copy (one ``meta`` row, on either store, so no
migration) is the roster every worker uses (``App.refresh_roster``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import aiosqlite

from bot.config import Config, Shift
from bot.core.roster import Roster, roster_from
from bot.store.db import fetch_one

KEY = "roster"


@dataclass(frozen=True)
class StoredRoster:
    shifts: tuple[Shift, ...]
    holidays: tuple[dt.date, ...]


def _encode(roster: StoredRoster) -> str:
    return json.dumps({
        "shifts": [{"days": list(s.days), "start": s.start.strftime("%H:%M"),
                    "end": s.end.strftime("%H:%M")} for s in roster.shifts],
        "holidays": [day.isoformat() for day in sorted(set(roster.holidays))]})


async def stored(db: aiosqlite.Connection) -> StoredRoster | None:
    """The roster saved from the web view, or None (config.yaml's is used)."""
    row = await fetch_one(db, "SELECT value FROM meta WHERE key = ?", (KEY,))
    if row is None:
        return None
    data = json.loads(row[0])
    return StoredRoster(tuple(Shift.model_validate(s) for s in data.get("shifts", [])),
                        tuple(dt.date.fromisoformat(d) for d in data.get("holidays", [])))


async def in_use(db: aiosqlite.Connection, config: Config) -> Roster:
    """The roster every worker uses: the one saved from the web view, else config.yaml's."""
    saved = await stored(db)
    shifts, holidays = (saved.shifts, saved.holidays) if saved is not None else (
        config.roster.shifts, config.roster.holidays)
    return roster_from(shifts, holidays, config.tz)


async def save(db: aiosqlite.Connection, roster: StoredRoster) -> None:
    await db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (KEY, _encode(roster)))
