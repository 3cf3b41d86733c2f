"""Shifts: is a peer shift running now, and when does the next one start (school time zone).

Pure functions of the configured shifts, holidays and an instant, so "who is available right now"
is this plus one SQL query (see store/users.available_peers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ShiftRule:
    days: frozenset[str]
    start: dt.time
    end: dt.time  # may be before start: the shift runs past midnight


@dataclass(frozen=True)
class Roster:
    shifts: tuple[ShiftRule, ...]
    holidays: frozenset[dt.date]
    tz: dt.tzinfo

    def on_shift(self, now: dt.datetime) -> bool:
        local = now.astimezone(self.tz)
        for shift in self.shifts:
            if shift.start <= shift.end:
                if self._works(shift, local.date()) and shift.start <= local.time() < shift.end:
                    return True
            else:  # overnight: the evening part today, the morning part from yesterday
                if self._works(shift, local.date()) and local.time() >= shift.start:
                    return True
                yesterday = local.date() - dt.timedelta(days=1)
                if self._works(shift, yesterday) and local.time() < shift.end:
                    return True
        return False

    def school_day(self, day: dt.date) -> bool:
        """Whether any shift runs on this date (not a holiday)."""
        return any(self._works(shift, day) for shift in self.shifts)

    def _works(self, shift: ShiftRule, day: dt.date) -> bool:
        return day not in self.holidays and WEEKDAYS[day.weekday()] in shift.days

    def slots(self, first: dt.date, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
        """Every shift that starts on the local days ``first`` .. ``first + days - 1`` (no
        holidays), as (start, end) in the school's time zone, in order."""
        found = []
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            for shift in self.shifts:
                if not self._works(shift, day):
                    continue
                start = dt.datetime.combine(day, shift.start, tzinfo=self.tz)
                end = dt.datetime.combine(day + dt.timedelta(days=int(shift.end <= shift.start)),
                                          shift.end, tzinfo=self.tz)
                found.append((start, end))
        return sorted(set(found))

    def next_start(self, now: dt.datetime, horizon_days: int = 21) -> dt.datetime | None:
        """The next moment a shift starts (None when no shift starts within the horizon)."""
        local = now.astimezone(self.tz)
        best: dt.datetime | None = None
        for offset in range(horizon_days + 1):
            day = local.date() + dt.timedelta(days=offset)
            for shift in self.shifts:
                if not self._works(shift, day):
                    continue
                start = dt.datetime.combine(day, shift.start, tzinfo=self.tz)
                if start > local and (best is None or start < best):
                    best = start
            if best is not None:
                return best
        return None


def roster_from(shifts: Sequence, holidays: Sequence[dt.date], tz: dt.tzinfo) -> Roster:
    """Build from config models (anything with days/start/end)."""
    return Roster(tuple(ShiftRule(frozenset(s.days), s.start, s.end) for s in shifts),
                  frozenset(holidays), tz)
