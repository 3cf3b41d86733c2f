"""Angket results: nothing shown under five students, no small count derivable, no leaking mean."""

from __future__ import annotations

from bot.core.angket import Angket, Item
from bot.reports.angket import results

SCALE = Item("p1", "pribadi", "scale_4", {"id": "?", "en": "?"})
YES_NO = Item("k1", "karier", "yes_no", {"id": "?", "en": "?"})
ANGKET = Angket("uji", {"id": "t"}, {"id": "i"}, (YES_NO, SCALE))


def test_fewer_than_five_students_show_nothing_but_that():
    result = results(ANGKET, 4, {("k1", "ya"): 4})
    assert result.hidden and result.respondents.text() == "<5"


def test_areas_come_in_the_bk_order_with_exact_counts_when_none_is_small():
    counts = {("k1", "ya"): 6, ("k1", "tidak"): 9, ("p1", "1"): 5, ("p1", "2"): 5,
              ("p1", "3"): 0, ("p1", "4"): 5}
    result = results(ANGKET, 15, counts)
    assert [area for area, _ in result.areas] == ["pribadi", "karier"]
    (_, (scale,)), (_, (yes_no,)) = result.areas
    assert yes_no.counts["ya"].text() == "6" and yes_no.answered.text() == "15"
    assert [scale.counts[a].text() for a in "1234"] == ["5", "5", "0", "5"]
    assert scale.mean == (5 * 1 + 5 * 2 + 5 * 4) / 15


def test_a_small_answer_count_cannot_be_worked_out_from_the_total():
    result = results(ANGKET, 20, {("k1", "ya"): 2, ("k1", "tidak"): 18})
    [(_, (yes_no,))] = [a for a in result.areas if a[0] == "karier"]
    assert yes_no.counts["ya"].text() == "<5"
    # with the total and "tidak" both exact, "ya" would be 20 - 18: one of them is widened
    assert not (yes_no.answered.exact and yes_no.counts["tidak"].exact)


def test_a_scale_mean_is_shown_only_when_no_count_of_it_is_hidden():
    full = {("p1", a): 5 for a in "1234"}
    shown = results(ANGKET, 20, full)
    scale = next(rows[0] for area, rows in shown.areas if area == "pribadi")
    assert scale.mean == 2.5
    small = {**full, ("p1", "4"): 2}
    hidden = results(ANGKET, 17, small)
    scale = next(rows[0] for area, rows in hidden.areas if area == "pribadi")
    assert scale.counts["4"].text() == "<5" and scale.mean is None
