"""Numbers, days and moments written the way readers of each language expect.

Indonesian: decimal comma, a dot between thousands, "2 Nov", "14.05 WIB". English: "2.5",
"1,234", "2 Nov", "14:05".
"""

from __future__ import annotations

import datetime as dt

MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def number(value: float, lang: str, decimals: int = 0) -> str:
    """``1234.5`` as "1.234,5" (id) or "1,234.5" (en)."""
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def day(value: dt.date | str, lang: str, year: bool = False) -> str:
    """A day as "2 Nov" (or "2 Nov 2026"): never "11-02", which reads as 11 February."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    months = MONTHS.get(lang, MONTHS["id"])
    text = f"{value.day} {months[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def period(start: dt.date, end: dt.date, lang: str) -> str:
    """"3 Nov – 2 Des 2026" (the year once when both days share it)."""
    return f"{day(start, lang, year=start.year != end.year)} – {day(end, lang, year=True)}"


def moment(value: dt.datetime, lang: str) -> str:
    """"2 Des 2026, 14.05 WIB": local time with the zone's own abbreviation."""
    separator = ":" if lang == "en" else "."
    zone = value.tzname() or ""
    clock = f"{value.hour:02d}{separator}{value.minute:02d}"
    return f"{day(value.date(), lang, year=True)}, {clock} {zone}".rstrip()
