"""Report charts as PNG bytes (matplotlib, Agg backend: no display, works offline).

Small counts stay suppressed in pictures too: a bar under ``SMALL`` is not drawn with its true
height but marked "<5".
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from bot.reports.figures import SMALL

COLORS = {"peer": "#4C9F70", "counselor": "#3B6EA8", "crisis": "#C8553D"}
_SUPPRESSED = f"<{SMALL}"


def draw_spec(spec: dict) -> bytes:
    """Draw a chart described as data (what an outbox row carries): kind "weeks" or "bars"."""
    if spec.get("kind") == "weeks":
        return stacked_weeks(spec["weeks"], spec["series"], spec.get("labels", {}),
                             spec.get("title", ""))
    return bars(spec["labels"], spec["values"], spec.get("title", ""))


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _shown(value: int) -> int:
    return value if value >= SMALL else 0


def stacked_weeks(weeks: Sequence[str], series: dict[str, Sequence[int]], labels: dict[str, str],
                  title: str) -> bytes:
    """Cases per week, one stacked bar per week (segments under SMALL marked, not drawn)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bottoms = [0] * len(weeks)
    x = range(len(weeks))
    for name, values in series.items():
        shown = [_shown(v) for v in values]
        ax.bar(x, shown, bottom=bottoms, color=COLORS.get(name, "#888888"),
               label=labels.get(name, name))
        bottoms = [b + s for b, s in zip(bottoms, shown, strict=True)]
    for i in x:
        if any(0 < values[i] < SMALL for values in series.values()):
            ax.annotate(_SUPPRESSED, (i, bottoms[i]), ha="center", va="bottom", fontsize=8,
                        color="#555555")
    ax.set_xticks(list(x), [w[5:] for w in weeks], rotation=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8)
    return _png(fig)


def bars(labels: Sequence[str], values: Sequence[int], title: str,
         color: str = "#3B6EA8") -> bytes:
    """A simple bar chart with suppression of small counts."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    shown = [_shown(v) for v in values]
    ax.bar(range(len(labels)), shown, color=color)
    for i, value in enumerate(values):
        text = _SUPPRESSED if 0 < value < SMALL else str(value)
        ax.annotate(text, (i, shown[i]), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)), list(labels), rotation=20, ha="right", fontsize=8)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
