"""Small counts hidden so that no subtraction can bring them back (complementary suppression).

A count from 1 to ``SMALL - 1`` is shown as "<5" (primary suppression). That alone is not
enough: when a total and all but one of its parts are shown, the hidden part is the total minus
the others. So every table is described as groups (a total and its parts), and this module
reads the shown figures the way a curious reader would: each hidden figure as the range it
could be in ("<5" is 0 to 4), narrowed by every group again and again. While any hidden figure
is pinned down to one value, one more figure near it is hidden (its groups first, then groups
linked to them through figures already hidden): a 0 if there is one (shown as "<5", which is
true of 0 too, and costs the reader least), else the smallest count (as a range of five such as
"5–9").
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

from bot.reports.figures import SMALL

Group = tuple[Hashable, Sequence[Hashable]]  # (the total, its parts)


@dataclass(frozen=True)
class Shown:
    """A count as the report shows it: exactly, or as a range ``low``..``high``."""

    value: int
    low: int
    high: int

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @property
    def small(self) -> bool:
        """Shown as "<5" (a small count, or a 0 hidden beside one)."""
        return not self.exact and self.high < SMALL

    def text(self) -> str:
        if self.exact:
            return str(self.value)
        return f"<{SMALL}" if self.small else f"{self.low}–{self.high}"


def exact(value: int) -> Shown:
    return Shown(value, value, value)


def _bucket(value: int) -> Shown:
    if value < SMALL:
        return Shown(value, 0, SMALL - 1)
    low = value - value % SMALL
    return Shown(value, low, low + SMALL - 1)


def _narrow(ranges: dict, groups: Sequence[Group]) -> dict:
    """What a reader can work out: each range narrowed by every group until nothing moves."""
    known = dict(ranges)
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            if not parts:
                continue
            t_lo, t_hi = known[total]
            p_lo = sum(known[p][0] for p in parts)
            p_hi = sum(known[p][1] for p in parts)
            updates = {total: (max(t_lo, p_lo), min(t_hi, p_hi))}
            for part in parts:
                lo, hi = known[part]
                updates[part] = (max(lo, t_lo - (p_hi - hi)), min(hi, t_hi - (p_lo - lo)))
            for key, (lo, hi) in updates.items():
                if (lo, hi) != known[key] and lo <= hi:
                    known[key] = (lo, hi)
                    changed = True
    return known


def _exposed(shown: Mapping, groups: Sequence[Group]) -> Hashable | None:
    """A small count (1 to 4) a reader can pin down, if any (a 0 or a large count pinned down
    tells nothing about one student; what it was hidden for is checked on its own)."""
    known = _narrow({k: (s.low, s.high) for k, s in shown.items()}, groups)
    return next((k for k, s in shown.items()
                 if not s.exact and 0 < s.value < SMALL and known[k][0] == known[k][1]),
                None)


def _near(shown: Mapping, groups: Sequence[Group], key: Hashable):
    """Figures of the groups around ``key``, widening through figures already hidden."""
    reached, frontier = set(), {key}
    while frontier:
        reached |= frontier
        keys = {k for total, parts in groups if reached & {total, *parts}
                for k in (total, *parts)}
        yield keys
        frontier = {k for k in keys if not shown[k].exact} - reached


def _hide_one_more(shown: dict, groups: Sequence[Group], key: Hashable) -> None:
    """Hide one more figure near ``key``: a 0 if any (shown as "<5", true of 0 too, and it
    costs the reader least), else the smallest shown count; nearest groups first."""
    empty = {p for total, parts in groups if shown[total].exact and shown[total].value == 0
             for p in parts}  # a 0 under a total of 0 would be pinned down at once
    for keys in _near(shown, groups, key):
        zeros = sorted((k for k in keys if k != key and shown[k].exact and shown[k].value == 0
                        and k not in empty), key=str)
        if zeros:
            shown[zeros[0]] = _bucket(0)
            return
    reached: set = set()
    for keys in _near(shown, groups, key):
        reached |= keys
        visible = [k for k in keys if shown[k].exact and shown[k].value > 0]
        if visible:
            smallest = min(visible, key=lambda k: (shown[k].value, str(k)))
            shown[smallest] = _bucket(shown[smallest].value)
            return
    # everything near is hidden, yet the ranges meet (three "<5" and a total of 12-14 make
    # each 4): widen the ranges that are not "<5"
    wide = [k for k in reached if not shown[k].exact and not shown[k].small]
    if not wide:
        raise AssertionError(f"cannot protect {key!r}")  # unreachable: see the tests
    for k in wide:
        s = shown[k]
        shown[k] = Shown(s.value, max(0, s.low - SMALL), s.high + SMALL)


def protect(values: Mapping[Hashable, int], groups: Sequence[Group] = (),
            public: Collection[Hashable] = ()) -> dict[Hashable, Shown]:
    """How each count is shown: small ones hidden, and more until none can be derived.
    ``public`` counts (staff workloads) are not hidden for being small, only to protect
    another count."""
    shown = {k: _bucket(v) if 0 < v < SMALL and k not in public else exact(v)
             for k, v in values.items()}
    while (key := _exposed(shown, groups)) is not None:
        _hide_one_more(shown, groups, key)
    return shown


def week_groups(weeks: Sequence[str], routes: Sequence[str]) -> list[Group]:
    """Keys and groups of the weekly table: cells, week totals, route totals, all cases."""
    groups: list[Group] = [(("week", w), [("cell", w, r) for r in routes]) for w in weeks]
    groups += [(("route", r), [("cell", w, r) for w in weeks]) for r in routes]
    groups += [("cases", [("week", w) for w in weeks]), ("cases", [("route", r) for r in routes])]
    return groups


def week_values(weeks: Sequence[str], series: Mapping[str, Sequence[int]]) -> dict:
    """The weekly counts under the keys ``week_groups`` uses."""
    values: dict = {("cell", w, r): series[r][i] for r in series for i, w in enumerate(weeks)}
    for i, w in enumerate(weeks):
        values[("week", w)] = sum(series[r][i] for r in series)
    for r in series:
        values[("route", r)] = sum(series[r])
    values["cases"] = sum(values[("route", r)] for r in series)
    return values


def protect_weeks(weeks: Sequence[str], series: Mapping[str, Sequence[int]]) -> dict:
    """The weekly chart's counts alone (what /laporan shows), protected."""
    return protect(week_values(weeks, series), week_groups(weeks, list(series)))
