"""Complementary suppression: no count from 1 to 4 can be worked out from what is shown,
checked by a reader who tries every value the shown figures allow (independent of the
module's own interval reasoning)."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.reports.suppression import exact, protect, protect_weeks, week_groups, week_values

ROUTES = ("peer", "counselor", "crisis")


def _candidates(shown, key):
    s = shown[key]
    return [s.value] if s.exact else list(range(s.low, s.high + 1))


def _possible_values(shown, groups, cells):
    """Every value each cell can take, given the shown figures and the groups' sums."""
    hidden = [k for k in cells if not shown[k].exact]
    seen = {k: set() for k in hidden}
    for combo in itertools.product(*(_candidates(shown, k) for k in hidden)):
        guess = {k: shown[k].value for k in shown} | dict(zip(hidden, combo, strict=True))
        derived = dict(guess)
        for total, parts in groups:  # totals follow from their parts
            if all(p in cells for p in parts):
                derived[total] = sum(guess[p] for p in parts)
        if all(derived[total] in _candidates(shown, total) for total, _ in groups
               if all(p in cells for p in parts_of(groups, total))):
            for k, v in zip(hidden, combo, strict=True):
                seen[k].add(v)
    return seen


def parts_of(groups, total):
    return next(parts for t, parts in groups if t == total)


def test_one_small_count_beside_a_total_takes_a_second_one_with_it() -> None:
    """Ratings 1: 3, 2: 0, 3: 9, 4: 28, 5: 28 of 68: "<5" for 1 alone gives 68 - 65 = 3."""
    values = {"n": 68, 1: 3, 2: 0, 3: 9, 4: 28, 5: 28}
    groups = [("n", [1, 2, 3, 4, 5])]
    shown = protect(values, groups)
    assert shown[1].text() == "<5" and not shown[2].exact  # the 0 is hidden beside it
    assert shown[3] == exact(9) and shown["n"] == exact(68)  # nothing larger is lost
    assert len(_possible_values(shown, groups, [1, 2, 3, 4, 5])[1]) > 1


def test_without_a_zero_the_next_smallest_count_becomes_a_range() -> None:
    shown = protect({"n": 20, "a": 2, "b": 6, "c": 12}, [("n", ["a", "b", "c"])])
    assert shown["a"].text() == "<5" and shown["b"].text() == "5–9"
    assert shown["c"] == exact(12) and shown["n"] == exact(20)


@pytest.mark.parametrize("seed", range(40))
def test_random_weekly_tables_never_reveal_a_small_count(seed: int) -> None:
    rng = random.Random(seed)
    weeks = [f"w{i}" for i in range(rng.randint(1, 2))]
    series = {r: [rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 13]) for _ in weeks] for r in ROUTES}
    shown = protect_weeks(weeks, series)
    groups = week_groups(weeks, ROUTES)
    cells = [("cell", w, r) for w in weeks for r in ROUTES]
    values = week_values(weeks, series)
    # the groups of totals over totals are checked through the cells they add up
    flat = [(total, parts) for total, parts in groups if all(p in cells for p in parts)]
    flat.append(("cases", cells))
    possible = _possible_values(shown, flat, cells)
    for key in cells:
        if 0 < values[key] < 5:
            assert len(possible[key]) > 1, (key, series, {k: s.text() for k, s in shown.items()})
        assert values[key] in (possible.get(key) or {shown[key].value})  # ranges tell the truth


@pytest.mark.parametrize(("peer", "counselor", "crisis", "workloads"), [
    (12, 2, 0, (9, 3)),
    (6, 2, 9, (3, 3)),  # the peer total is the smallest count: hiding it alone would not do
])
def test_peer_workloads_that_add_up_to_the_peer_cases_give_nothing_away(
        peer: int, counselor: int, crisis: int, workloads: tuple[int, ...]) -> None:
    """Staff workloads are shown even when small; when they add up to the peer cases, they
    count in the reckoning, or a hidden peer total would be their sum."""
    import datetime as dt
    from collections import Counter

    from bot.reports.figures import ReportData
    from bot.reports.tables import protected

    names = [f"P{i}" for i in range(len(workloads))]
    week = "2026-11-02"
    routes = Counter(peer=peer, counselor=counselor, crisis=crisis)
    data = ReportData(dt.date(2026, 11, 2), dt.date(2026, 11, 8), weeks=[week],
                      cases_by_week={week: routes}, cases_by_route=routes,
                      cases_by_topic=Counter(belajar=routes.total()),
                      cases_by_weight=Counter({"2": routes.total()}),
                      peer_workload=Counter(dict(zip(names, workloads, strict=True))))
    shown = protected(data)
    options = set()
    for p_, c_, k_ in itertools.product(*(_candidates(shown, ("route", r)) for r in ROUTES)):
        sums = {sum(w) for w in itertools.product(*(_candidates(shown, ("peer", n))
                                                    for n in names))}
        if p_ + c_ + k_ in _candidates(shown, "cases") and p_ in sums:
            options.add(c_)
    assert len(options) > 1, {k: v.text() for k, v in shown.items()}
