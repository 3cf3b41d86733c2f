"""Who is on shift, across day boundaries and holidays (school time zone, WIB)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core.roster import Roster, ShiftRule

WIB = ZoneInfo("Asia/Jakarta")
SCHOOL = ShiftRule(frozenset({"mon", "tue", "wed", "thu", "fri"}), dt.time(7), dt.time(15))
NIGHT = ShiftRule(frozenset({"fri"}), dt.time(20), dt.time(2))
ROSTER = Roster((SCHOOL, NIGHT), frozenset({dt.date(2026, 12, 25)}), WIB)


def at(y, mo, d, h, mi=0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=WIB).astimezone(dt.UTC)  # stored as UTC


def test_school_hours() -> None:
    assert ROSTER.on_shift(at(2026, 11, 23, 7, 0))  # Monday 07:00, inclusive
    assert ROSTER.on_shift(at(2026, 11, 23, 14, 59))
    assert not ROSTER.on_shift(at(2026, 11, 23, 15, 0))  # end is exclusive
    assert not ROSTER.on_shift(at(2026, 11, 23, 6, 59))
    assert not ROSTER.on_shift(at(2026, 11, 22, 10, 0))  # Sunday


def test_utc_date_differs_from_school_date() -> None:
    # 23:30 UTC Sunday is 06:30 WIB Monday (not on shift); 00:30 UTC Monday is 07:30 WIB (on).
    assert not ROSTER.on_shift(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))
    assert ROSTER.on_shift(dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC))


def test_overnight_shift_crosses_midnight() -> None:
    assert ROSTER.on_shift(at(2026, 11, 27, 23, 0))  # Friday night
    assert ROSTER.on_shift(at(2026, 11, 28, 1, 30))  # Saturday early morning, same shift
    assert not ROSTER.on_shift(at(2026, 11, 28, 2, 0))
    assert not ROSTER.on_shift(at(2026, 11, 28, 23, 0))  # Saturday night: no shift


def test_holidays() -> None:
    assert not ROSTER.on_shift(at(2026, 12, 25, 10, 0))  # Friday, but Christmas
    assert ROSTER.on_shift(at(2026, 12, 25, 21, 0)) is False  # the night shift too
    assert ROSTER.on_shift(at(2026, 12, 26, 1, 0)) is False  # its morning part belongs to 25th


def test_next_shift_start() -> None:
    monday_after_school = at(2026, 11, 23, 16, 0)
    assert ROSTER.next_start(monday_after_school) == dt.datetime(2026, 11, 24, 7, 0, tzinfo=WIB)
    thursday_before_christmas = at(2026, 12, 24, 16, 0)  # Friday the 25th is a holiday
    assert ROSTER.next_start(thursday_before_christmas) == dt.datetime(2026, 12, 28, 7, 0,
                                                                       tzinfo=WIB)
    friday_after_school = at(2026, 11, 27, 16, 0)
    assert ROSTER.next_start(friday_after_school) == dt.datetime(2026, 11, 27, 20, 0, tzinfo=WIB)
    assert Roster((), frozenset(), WIB).next_start(at(2026, 11, 23, 9)) is None
