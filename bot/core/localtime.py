"""Stored UTC times as staff read them."""

from __future__ import annotations

import datetime as dt


def local_time(tz: dt.tzinfo, stored: str) -> str:
    """A stored UTC time as staff read it: "23/11 08:05" in the school's time zone."""
    try:
        moment = dt.datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return stored
    return moment.astimezone(tz).strftime("%d/%m %H:%M")
