"""Numbers and dates as each language writes them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.reports import numbers


def test_indonesian_numbers_use_a_decimal_comma() -> None:
    assert numbers.number(3.833, "id", 1) == "3,8"
    assert numbers.number(1234.5, "id", 1) == "1.234,5"
    assert numbers.number(1234.5, "en", 1) == "1,234.5"


def test_weeks_read_as_day_and_month_not_as_month_day_digits() -> None:
    assert numbers.day("2026-11-02", "id") == "2 Nov"  # not "11-02" (11 February?)
    assert numbers.day(dt.date(2026, 12, 7), "id", year=True) == "7 Des 2026"
    assert numbers.day(dt.date(2026, 12, 7), "en") == "7 Dec"
    assert numbers.period(dt.date(2026, 11, 3), dt.date(2026, 12, 2), "id") == "3 Nov – 2 Des 2026"
    assert numbers.period(dt.date(2025, 12, 20), dt.date(2026, 1, 5), "en") == (
        "20 Dec 2025 – 5 Jan 2026")


def test_generation_time_is_local_with_the_zone() -> None:
    moment = dt.datetime(2026, 12, 2, 7, 5, tzinfo=dt.UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    assert numbers.moment(moment, "id") == "2 Des 2026, 14.05 WIB"
    assert numbers.moment(moment, "en") == "2 Dec 2026, 14:05 WIB"
