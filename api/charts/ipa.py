"""Importance–performance scatter with crosshairs at the district means (METHODS.md §8).

Each quadrant has its own marker shape and its name printed in its corner, so the chart
reads without colour; points carry their sub-dimension code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.charts._svg import (
    GRID,
    INK,
    MUTED,
    Chart,
    Scale,
    fmt,
    is_number,
    legend,
    line,
    marker,
    svg_document,
    text,
    ticks,
)

WIDTH = 560
HEIGHT = 400
LEFT, RIGHT, BOTTOM_PAD = 46, 16, 40
QUADRANT_SHAPES = {0: "triangle", 1: "circle", 2: "ring", 3: "diamond"}


@dataclass(frozen=True)
class IpaPoint:
    code: str
    label: str
    importance: float
    performance: float | None
    quadrant: int  # 0 重点改进, 1 继续保持, 2 次要改进, 3 可能过度, -1 none


def _domain(values: Sequence[float], cut: float, pad: float) -> tuple[float, float]:
    lo = min([*values, cut])
    hi = max([*values, cut])
    span = max(hi - lo, 1e-6)
    return (lo - span * pad, hi + span * pad)


def ipa_scatter(
    points: Sequence[IpaPoint],
    *,
    importance_cut: float,
    performance_cut: float,
    chart_id: str,
    title: str,
    desc: str,
    quadrant_names: dict[int, str],
    labels: dict[str, str],
) -> Chart:
    """``labels``: ``importance``, ``performance``, ``code``, ``name``, ``quadrant``."""
    shown = [p for p in points if is_number(p.performance) and p.quadrant >= 0]
    legend_items = [(QUADRANT_SHAPES[q], quadrant_names[q]) for q in (0, 1, 2, 3)]
    legend_parts, legend_h = legend(legend_items, 8, 12, width=WIDTH - 16)
    top = 12 + legend_h + 10
    bottom = HEIGHT - BOTTOM_PAD
    imp = [p.importance for p in shown] or [importance_cut]
    perf = [p.performance for p in shown if p.performance is not None] or [performance_cut]
    x = Scale(_domain(imp, importance_cut, 0.08), (LEFT, WIDTH - RIGHT))
    y = Scale(_domain(perf, performance_cut, 0.08), (bottom, top))
    body: list[str] = []
    step = 5.0 if y.d1 - y.d0 <= 40 else 10.0
    for value in ticks((y.d0, y.d1), step):
        body.append(line(LEFT, y(value), WIDTH - RIGHT, y(value), stroke=GRID, width=0.6))
        body.append(text(LEFT - 4, y(value), f"{value:g}", size=10, anchor="end", fill=MUTED))
    body.append(line(LEFT, bottom, WIDTH - RIGHT, bottom))
    body.append(line(LEFT, top, LEFT, bottom))
    cx, cy = x(importance_cut), y(performance_cut)
    body.append(line(cx, top, cx, bottom, width=1.2, dash="6 3"))
    body.append(line(LEFT, cy, WIDTH - RIGHT, cy, width=1.2, dash="6 3"))
    corners = {
        0: (WIDTH - RIGHT - 4, bottom - 10, "end"),
        1: (WIDTH - RIGHT - 4, top + 10, "end"),
        2: (LEFT + 4, bottom - 10, "start"),
        3: (LEFT + 4, top + 10, "start"),
    }
    for q, (tx, ty, anchor) in corners.items():
        body.append(
            text(tx, ty, quadrant_names[q], size=12, anchor=anchor, fill=MUTED, weight="700")
        )
    body.append(
        text(
            (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10, labels["importance"], size=11, anchor="middle"
        )
    )
    body.append(
        f'<g transform="translate(12 {(top + bottom) / 2:.1f}) rotate(-90)">'
        + text(0, 0, labels["performance"], size=11, anchor="middle")
        + "</g>"
    )
    for p in shown:
        assert p.performance is not None
        px, py = x(p.importance), y(p.performance)
        body.append(
            marker(QUADRANT_SHAPES[p.quadrant], px, py, 5, fill=INK if p.quadrant != 2 else "#fff")
        )
        body.append(text(px + 7, py - 7, p.code, size=10))
    svg = svg_document(chart_id, title, desc, WIDTH, HEIGHT, [*legend_parts, *body])
    columns = (
        labels["code"],
        labels["name"],
        labels["importance"],
        labels["performance"],
        labels["quadrant"],
    )
    rows = [
        (
            p.code,
            p.label,
            f"{p.importance:.3f}",
            fmt(p.performance),
            quadrant_names.get(p.quadrant, "—"),
        )
        for p in points
    ]
    return Chart(chart_id, title, desc, svg, columns, rows)
