"""Charts drawn on the server as SVG: geometry computed here, markup in the templates
(staff/stats/_columns.html, _hbars.html). Each chart is an image with a title and a
description pointing to the table holding the same figures (the accessible alternative),
and prints as it shows (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: the drawing area of a column chart (SVG user units)
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 40, 28, 10


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    series: int
    value: int
    label: str


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


def _nice_max(peak: int) -> int:
    """A round top for the axis: 1, 2 or 5 times a power of ten, at least ``peak``."""
    if peak <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak <= factor * step:
                return factor * step
        step *= 10


def columns(labels: Sequence[str], series: Sequence[Sequence[int]]) -> dict[str, object]:
    """Grouped columns: one group per label, one column per series (this year, last year)."""
    top = _nice_max(max((v for s in series for v in s), default=0))
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    group = plot_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    cols = []
    for i, label in enumerate(labels):
        for k, values in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot_h * value / top
            cols.append(Column(
                x=round(LEFT + i * group + group * 0.1 + k * bar, 1), y=round(TOP + plot_h - h, 1),
                width=round(bar, 1), height=round(h, 1), series=k, value=value, label=label,
            ))  # fmt: skip
    ticks = [Tick(round(TOP + plot_h - plot_h * f, 1), round(top * f)) for f in (0, 0.5, 1)]
    axis = [(round(LEFT + i * group + group / 2, 1), label) for i, label in enumerate(labels)]
    return {"width": WIDTH, "height": HEIGHT, "columns": cols, "ticks": ticks, "axis": axis,
            "left": LEFT, "base": TOP + plot_h, "label_y": HEIGHT - 8}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: int
    label: str
    value: int
    percent: int


def shares(rows: Sequence[tuple[str, int, int]]) -> dict[str, object]:
    """One bar of 100 % cut into the shares (label, count, percent), most first."""
    total = sum(n for _l, n, _p in rows)
    x, segments = 0.0, []
    for i, (label, n, pct) in enumerate(rows):
        width = 100 * n / total if total else 0
        segments.append(Segment(round(x, 2), round(width, 2), i % 8, label, n, pct))
        x += width
    return {"segments": segments}
