"""Angket results for the report: counts per question and area, small counts suppressed.

Every count goes through the report's suppression (bot/reports/suppression.py): a count from
1 to 4 is shown as "<5", and more are hidden until none can be worked out from a question's
total and its other answers. With fewer than five students answering, nothing but that fact
is shown. A 1-4 scale's mean is shown only when none of the question's counts is hidden (a
mean is one more equation: with it, two hidden counts could be solved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import aiosqlite

from bot.core.angket import Angket, Item
from bot.reports.figures import SMALL
from bot.reports.suppression import Shown, exact, protect
from bot.store import angket as rows


@dataclass(frozen=True)
class ItemResult:
    """One question: how many answered it and how each answer is shown."""

    item: Item
    answered: Shown
    counts: dict[str, Shown]
    mean: float | None  # 1-4 scales only, and only when no count of the item is hidden


@dataclass(frozen=True)
class AngketResult:
    """An angket's results by BK area, or only ``respondents`` when too few answered."""

    angket: Angket
    respondents: Shown
    areas: tuple[tuple[str, tuple[ItemResult, ...]], ...]

    @property
    def hidden(self) -> bool:
        """Too few students answered for any figure to be shown."""
        return not self.areas


def results(angket: Angket, respondents: int,
            counts: Mapping[tuple[str, str], int]) -> AngketResult:
    """Results from the number of students who answered and ``(item, answer) -> count``."""
    if respondents < SMALL:
        return AngketResult(angket, protect({"n": respondents})["n"], ())
    areas = []
    for area in angket.areas():
        rows = []
        for item in (i for i in angket.items if i.area == area):
            values = {answer: counts.get((item.id, answer), 0) for answer in item.answers}
            total = sum(values.values())
            shown = protect({"total": total, **values}, [("total", tuple(values))])
            answered = shown.pop("total")
            mean = None
            if item.kind == "scale_4" and total >= SMALL and all(
                    c.exact for c in (answered, *shown.values())):  # a mean beside a hidden
                # count is one more equation a reader could solve it with
                mean = sum(int(a) * n for a, n in values.items()) / total
            rows.append(ItemResult(item, answered, shown, mean))
        areas.append((area, tuple(rows)))
    return AngketResult(angket, exact(respondents), tuple(areas))


async def gather_angkets(db: aiosqlite.Connection, angkets: Mapping[str, Angket],
                         start: dt.datetime, end: dt.datetime) -> list[AngketResult]:
    """Results of every angket whose open period overlaps ``start``..``end`` (aware moments)."""
    out = []
    for angket_id, run in (await rows.runs(db)).items():
        until = run.closed_at or run.closes_at  # closing early is before closes_at
        if angket_id in angkets and run.opened_at < end and until > start:
            respondents, counted = await rows.counts(db, angket_id)
            out.append(results(angkets[angket_id], respondents, counted))
    return out
