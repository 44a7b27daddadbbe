"""Status chart as PNG: a horizontal stacked bar per municipality (or, for an officer, per organisation of
the municipality) with the shares of closed / in work / difficulties / not started / no member items.

Drawn on a matplotlib Figure with its own Agg canvas: no pyplot, no backend switch and no rcParams
change, so importing this module alters nothing global and charts may be drawn from several threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from models.execution import BUCKETS, Figures, Row, View

BUCKET_NAMES = {
    "closed": "закрыто",
    "in_work": "в работе",
    "difficulties": "трудности",
    "not_started": "не начато",
    "no_member": "не подключены",
}
COLORS = {
    "closed": "#2E7D32",
    "in_work": "#1E88E5",
    "difficulties": "#E53935",
    "not_started": "#FFB300",
    "no_member": "#9E9E9E",
}
FONT = "DejaVu Sans"  # ships with matplotlib and has Cyrillic
OTHERS = "остальные"
WIDTH_IN, DPI = 8.0, 150  # 1200 px wide: sharp on a phone, still small as a file
LABEL_MAX = 32


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    labels: tuple[str, ...]  # bar labels, top to bottom
    bars: int  # bars drawn (counted from the axes, not from the input)
    size: tuple[int, int]  # pixels


def _badness(f: Figures) -> tuple[float, int]:
    # Worst first: the smallest share closed, then the most items (a large lagging district matters more).
    return (f.closed / f.items if f.items else 1.0, -f.items)


def pick_rows(rows: Sequence[Row], max_bars: int) -> list[tuple[str, Figures]]:
    """The `max_bars - 1` worst rows and «остальные» summed, when there are more than `max_bars`."""
    ranked = sorted((r for r in rows if r.figures.items), key=lambda r: _badness(r.figures))
    if len(ranked) <= max_bars:
        return [(r.name, r.figures) for r in ranked]
    keep, rest = ranked[: max_bars - 1], ranked[max_bars - 1 :]
    others = Figures()
    for r in rest:
        others += r.figures
    return [*((r.name, r.figures) for r in keep), (f"{OTHERS} ({len(rest)})", others)]


def _short(name: str) -> str:
    return name if len(name) <= LABEL_MAX else name[: LABEL_MAX - 1].rstrip() + "…"


def render(view: View, *, title: str, max_bars: int = 15) -> Chart:
    """The chart of `view`'s rows (a region or municipality view), worst at the top, at most `max_bars`."""
    picked = pick_rows(view.rows, max_bars)
    labels = tuple(_short(name) for name, _ in picked)
    height = 1.6 + 0.42 * max(len(picked), 1)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ys = list(range(len(picked)))
    left = [0.0] * len(picked)
    for k, bucket in enumerate(BUCKETS):
        shares = [f.buckets()[k] * 100 / f.items for _, f in picked]
        ax.barh(ys, shares, left=left, color=COLORS[bucket], label=BUCKET_NAMES[bucket], height=0.7)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    # Narrow no-break space between thousands: «20 000», as Russian text writes it.
    counts = [f"{f.items:,}".replace(",", "\u202f") for _, f in picked]
    ax.set_yticks(ys, labels=[f"{label} · {n}" for label, n in zip(labels, counts, strict=True)])
    ax.invert_yaxis()  # worst at the top, where the eye starts
    ax.set_xlim(0, 100)
    ax.set_xlabel("доля пунктов, %", fontfamily=FONT, fontsize=10)
    ax.set_title(title, fontfamily=FONT, fontsize=12, loc="left", wrap=True)
    for label in (*ax.get_yticklabels(), *ax.get_xticklabels()):
        label.set_fontfamily(FONT)
        label.set_fontsize(10)
    ax.spines[["top", "right"]].set_visible(False)
    # Below the bars, outside the axes: constrained layout makes room for it.
    fig.legend(loc="outside lower center", ncols=3, frameon=False, prop={"family": FONT, "size": 9})
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    width, height_px = canvas.get_width_height()
    return Chart(buffer.getvalue(), labels, len(ax.patches) // len(BUCKETS), (width, height_px))
