"""Report charts as PNG bytes (matplotlib, Agg backend: no display, works offline).

A chart never shows more than the tables: a hidden count (see ``suppression``) is never drawn
with a height that is not known. In the weekly chart the hidden segments of a week are one
hatched segment whose height is the week's total minus what is shown (a number the table gives
anyway); a count known only as a range is a hatched box over that range, labelled "<5" or
"5–9". An empty chart says so instead of drawing axes around nothing.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from bot.reports import numbers
from bot.reports.figures import SMALL
from bot.reports.labels import labels as words
from bot.reports.suppression import Shown, protect, protect_weeks

COLORS = {"peer": "#4C9F70", "counselor": "#3B6EA8", "crisis": "#C8553D"}
HIDDEN = {"color": "#E6E6E6", "hatch": "///", "edgecolor": "#8A8A8A", "linewidth": 0.6}


def draw_spec(spec: dict) -> bytes:
    """Draw a chart described as data (what an outbox row carries): kind "weeks" or "bars"."""
    lang = spec.get("lang", "id")
    if spec.get("kind") == "weeks":
        return stacked_weeks(spec["weeks"], spec["series"], spec.get("labels", {}),
                             spec.get("title", ""), lang)
    return bars(spec["labels"], spec["values"], spec.get("title", ""), lang=lang)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _frame(ax, title: str, synthetic: bool, lang: str) -> None:
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if synthetic:
        ax.text(0.5, 0.5, words(lang)["synthetic_mark"], transform=ax.transAxes, ha="center",
                va="center", fontsize=30, color="#C8553D", alpha=0.16, rotation=18, zorder=5)


def _empty(ax, title: str, lang: str) -> None:
    """No data: one short line under the title, not axes around nothing."""
    ax.figure.set_size_inches(7, 1.1)
    ax.set_title(title)
    ax.axis("off")
    ax.text(0.5, 0.5, words(lang)["empty"], transform=ax.transAxes, ha="center", va="center",
            fontsize=11, color="#555555")


def _range_box(ax, x: float, shown: Shown, bottom: float = 0) -> float:
    """A count known only as a range: a hatched box over it ("<5": from nothing up to 4)."""
    low = 0 if shown.small else shown.low
    ax.bar([x], [shown.high - low], bottom=[bottom + low], linestyle="--", **HIDDEN)
    return bottom + shown.high


def stacked_weeks(weeks: Sequence[str], series: dict[str, Sequence[int]], labels: dict[str, str],
                  title: str, lang: str = "id", shown: Mapping | None = None,
                  synthetic: bool = False, partial: Collection[str] = ()) -> bytes:
    """Cases per week, one stacked bar per week; hidden segments hatched, never guessed;
    weeks the period cuts marked "*"."""
    return _png(weeks_figure(weeks, series, labels, title, lang, shown, synthetic, partial))


def weeks_figure(weeks: Sequence[str], series: dict[str, Sequence[int]], labels: dict[str, str],
                 title: str, lang: str = "id", shown: Mapping | None = None,
                 synthetic: bool = False, partial: Collection[str] = ()) -> Figure:
    """The figure of ``stacked_weeks`` (tests look at its bars)."""
    shown = shown if shown is not None else protect_weeks(weeks, series)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    if not any(sum(values) for values in series.values()):
        _empty(ax, title, lang)
        return fig
    tops = []
    for i, week in enumerate(weeks):
        bottom = 0
        for name in series:
            cell = shown[("cell", week, name)]
            if cell.exact and cell.value:
                ax.bar([i], [cell.value], bottom=[bottom], color=COLORS.get(name, "#888888"))
                bottom += cell.value
        total = shown[("week", week)]
        if total.exact:
            if total.value > bottom:
                ax.bar([i], [total.value - bottom], bottom=[bottom], **HIDDEN)
            top = total.value
        else:
            rest = Shown(total.value - bottom, max(total.low - bottom, 1), total.high - bottom)
            top = _range_box(ax, i, rest, bottom)
        ax.annotate(total.text(), (i, top), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
        tops.append(top)
    ax.set_xticks(range(len(weeks)),
                  [numbers.day(w, lang) + ("*" if w in partial else "") for w in weeks])
    ax.set_ylim(0, max(max(tops) * 1.15, SMALL))
    _frame(ax, title, synthetic, lang)
    drawn = [name for name in series  # a series with nothing shown would puzzle the reader
             if any(shown[("cell", w, name)].exact and series[name][i] for i, w in
                    enumerate(weeks))]
    handles = [Patch(color=COLORS.get(name, "#888888"), label=labels.get(name, name))
               for name in drawn]
    handles.append(Patch(facecolor=HIDDEN["color"], hatch=HIDDEN["hatch"],
                         edgecolor=HIDDEN["edgecolor"], label=words(lang)["hidden"]))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4,
              frameon=False, fontsize=8)  # below the axes: it can never cover a bar
    return fig


def bars(labels: Sequence[str], values: Sequence[int | Shown], title: str,
         color: str = "#3B6EA8", lang: str = "id", synthetic: bool = False) -> bytes:
    """A bar per label; a hidden count is a hatched box over its range, labelled "<5"."""
    return _png(bars_figure(labels, values, title, color, lang, synthetic))


def bars_figure(labels: Sequence[str], values: Sequence[int | Shown], title: str,
                color: str = "#3B6EA8", lang: str = "id", synthetic: bool = False) -> Figure:
    """The figure of ``bars``."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    plain = protect({i: int(v) for i, v in enumerate(values) if not isinstance(v, Shown)})
    cells = [v if isinstance(v, Shown) else plain[i] for i, v in enumerate(values)]
    if not any(c.value for c in cells):
        _empty(ax, title, lang)
        return fig
    tops = []
    for i, cell in enumerate(cells):
        if cell.exact:
            ax.bar([i], [cell.value], color=color)
            top = cell.value
        else:
            top = _range_box(ax, i, cell)
        text = cell.text() if not cell.exact else numbers.number(cell.value, lang)
        ax.annotate(text, (i, top), ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
        tops.append(top)
    slanted = any(len(label) > 12 for label in labels)
    ax.set_xticks(range(len(labels)), list(labels), rotation=15 if slanted else 0,
                  ha="right" if slanted else "center", fontsize=8)
    ax.set_ylim(0, max(max(tops) * 1.15, SMALL))
    _frame(ax, title, synthetic, lang)
    return fig
