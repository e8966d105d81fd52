"""Dot plot with interval whiskers: one row per community (or street), grouped by street.

Suppressed rows keep their place and name but get no point, only the reason, so the reader
sees that the community exists and why it has no score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.charts._svg import (
    ACCENT,
    INK,
    MUTED,
    WIDE_WIDTH,
    Chart,
    GradeEdge,
    Scale,
    axis_head,
    fmt,
    fmt_interval,
    grade_names,
    is_number,
    legend,
    line,
    marker,
    score_domain,
    svg_document,
    text,
    truncate,
    x_axis,
)

WIDTH = WIDE_WIDTH
LABEL_W = 150
NARROW_LABEL_W = 104  # a phone: shorter names (the full names are in the data table)
VALUE_W = 48
ROW_H = 18
GROUP_H = 22


@dataclass(frozen=True)
class DotRow:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    group: str | None = None
    note: str | None = None  # why there is no point (the reason, worded for the page)
    highlight: bool = False


@dataclass(frozen=True)
class Reference:
    """A vertical reference line across the plot (district or street mean)."""

    value: float
    label: str
    dash: str = "6 3"


def dot_plot(
    rows: Sequence[DotRow],
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: dict[str, str],
    references: Sequence[Reference] = (),
    grades: Sequence[GradeEdge] = (),
    width: float = WIDTH,
) -> Chart:
    """Draw the dot plot, ``width`` wide (a phone's :data:`NARROW_WIDTH`: shorter labels and
    ticks every 20 points).

    ``labels`` supplies the UI words in the page's language: ``point``, ``interval``,
    ``highlight``, ``name``, ``group``, ``value``, ``note``; ``grades`` the snapshot's grade
    edges, drawn as reference lines (``grade_edges``).
    """
    narrow = width < WIDTH
    label_w = NARROW_LABEL_W if narrow else LABEL_W
    values = [v for r in rows for v in (r.low, r.value) if is_number(v)]
    values += [ref.value for ref in references]
    scale = Scale(score_domain(values), (label_w + 10, width - VALUE_W - 8))
    items = [("circle", labels["point"]), ("whisker", labels["interval"])]
    if any(r.highlight for r in rows):
        items.append(("square", labels["highlight"]))
    items += [("dash" if ref.dash != "1.5 2.5" else "dot-line", ref.label) for ref in references]
    legend_parts, legend_h = legend(items, 8, 12, width=width - 16)
    groups = len({r.group for r in rows if r.group is not None})
    plot_h = len(rows) * ROW_H + groups * (GROUP_H + 4) + 4
    top = 12 + legend_h + 14 + axis_head(plot_h)
    body: list[str] = []
    y = top
    last_group: str | None = None
    for row in rows:
        if row.group is not None and row.group != last_group:
            y += 4
            body.append(text(8, y + GROUP_H / 2, truncate(row.group, width - 16), weight="700"))
            y += GROUP_H
            last_group = row.group
        cy = y + ROW_H / 2
        weight = "700" if row.highlight else None
        body.append(
            text(label_w, cy, truncate(row.label, label_w - 8), anchor="end", weight=weight)
        )
        if is_number(row.value):
            assert row.value is not None
            if is_number(row.low) and is_number(row.high):
                assert row.low is not None and row.high is not None
                x0, x1 = scale(row.low), scale(row.high)
                body.append(line(x0, cy, x1, cy, width=1.4))
                body.append(line(x0, cy - 4, x0, cy + 4) + line(x1, cy - 4, x1, cy + 4))
            shape = "square" if row.highlight else "circle"
            body.append(
                marker(
                    shape,
                    scale(row.value),
                    cy,
                    5 if row.highlight else 4,
                    fill=ACCENT if row.highlight else INK,
                )
            )
            body.append(text(width - 6, cy, fmt(row.value), anchor="end", weight=weight))
        else:
            body.append(text(scale.p0 + 4, cy, row.note or "—", fill=MUTED, size=11))
        y += ROW_H
    bottom = y + 4
    axis = x_axis(
        scale,
        top,
        bottom,
        step=20.0 if narrow else 10.0,
        grades=grades,
        names=grade_names(labels, grades),
    )
    for ref in references:
        x = scale(ref.value)
        axis.append(line(x, top, x, bottom, stroke=INK, width=1.2, dash=ref.dash))
    height = bottom + 22
    svg = svg_document(chart_id, title, desc, width, height, [*legend_parts, *axis, *body])
    table = [
        (
            r.label,
            r.group or "",
            fmt(r.value),
            fmt_interval(r.low, r.high) if is_number(r.value) else "—",
            r.note or "",
        )
        for r in rows
    ]
    columns = (labels["name"], labels["group"], labels["value"], labels["interval"], labels["note"])
    return Chart(chart_id, title, desc, svg, columns, table)
