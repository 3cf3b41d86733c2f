"""Charts never show more, less or other than the tables: bars as tall as the table says,
hidden counts hatched over their range (never drawn as zero or at a guessed height), the legend
off the bars, an empty chart that says so, and the sample-data mark."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from bot.reports.charts import HIDDEN, bars_figure, weeks_figure
from bot.reports.suppression import protect_weeks

WEEKS = ["2026-11-02", "2026-11-09"]
SERIES = {"peer": [15, 16], "counselor": [3, 0], "crisis": [1, 3]}  # weeks of 19 and 19
NAMES = {"peer": "Ke konselor sebaya", "counselor": "Ke guru BK", "crisis": "Krisis"}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _bars(ax):
    return [p for p in ax.patches if p.get_width() > 0]


def _hatched(patch) -> bool:
    return bool(patch.get_hatch())


def test_weekly_bars_are_as_tall_as_the_table_says() -> None:
    """Suppressed segments used to be drawn as zero: a bar of 15 where the table said 19."""
    fig = weeks_figure(WEEKS, SERIES, NAMES, "Kasus per minggu")
    ax = fig.axes[0]
    shown = protect_weeks(WEEKS, SERIES)
    for i, week in enumerate(WEEKS):
        column = [p for p in _bars(ax) if abs(p.get_x() + p.get_width() / 2 - i) < 0.01]
        top = max(p.get_y() + p.get_height() for p in column)
        assert top == shown[("week", week)].value == 19
        assert any(_hatched(p) for p in column)  # what is hidden is marked as hidden
        labels = [t.get_text() for t in ax.texts]
        assert "19" in labels


def test_hidden_counts_are_hatched_ranges_not_zero_or_their_true_height() -> None:
    fig = bars_figure(["1", "2", "3", "4", "5"], [2, 0, 9, 28, 28], "Kepuasan")
    ax = fig.axes[0]
    first = next(p for p in _bars(ax) if abs(p.get_x() + p.get_width() / 2) < 0.01)
    assert _hatched(first) and first.get_height() == 4  # the whole range 0-4, labelled "<5"
    assert first.get_height() != 2
    assert "<5" in [t.get_text() for t in ax.texts]


def test_the_legend_never_covers_a_bar() -> None:
    fig = weeks_figure(WEEKS, SERIES, NAMES, "Kasus per minggu")
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 <= ax.get_window_extent().y0  # below the axes, outside the plot
    assert HIDDEN["hatch"] in [h.get_hatch() for h in ax.get_legend().legend_handles]


@pytest.mark.parametrize("draw", [
    lambda: weeks_figure(WEEKS, {r: [0, 0] for r in SERIES}, NAMES, "Kasus per minggu"),
    lambda: bars_figure(["1", "2"], [0, 0], "Kepuasan"),
])
def test_an_empty_chart_says_so_instead_of_axes_around_nothing(draw) -> None:
    ax = draw().axes[0]
    assert not ax.axison  # no axes from -0.045 to 0.045
    assert "Belum ada data pada periode ini" in [t.get_text() for t in ax.texts]


def test_sample_data_is_marked_on_the_chart_itself() -> None:
    """A chart copied out of the report still says it is sample data."""
    ax = weeks_figure(WEEKS, SERIES, NAMES, "Kasus", synthetic=True).axes[0]
    assert "DATA CONTOH" in [t.get_text() for t in ax.texts]
