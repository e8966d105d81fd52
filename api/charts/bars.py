"""Horizontal bars with comparison markers (street, district, same housing type), and a
histogram of scores for the district summary.

Bars always start at 0: their length encodes the score. Comparison values are markers of
different shapes, so they read in black and white.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from api.charts._svg import (
    FILL,
    INK,
    MUTED,
    WIDE_WIDTH,
    Chart,
    GradeEdge,
    Scale,
    fmt,
    fmt_interval,
    grade_names,
    is_number,
    legend,
    line,
    marker,
    svg_document,
    text,
    truncate,
    x_axis,
)

WIDTH = WIDE_WIDTH
LABEL_W = 130
NARROW_LABEL_W = 92
ROW_H = 26


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str | None = None
    marks: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class MarkSeries:
    key: str
    shape: str
    label: str


def bar_chart(
    rows: Sequence[BarRow],
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: dict[str, str],
    series: Sequence[MarkSeries] = (),
    grades: Sequence[GradeEdge] = (),
    width: float = WIDTH,
) -> Chart:
    """``labels``: ``bar``, ``interval``, ``name``, ``value``, ``note``; ``grades``: the
    snapshot's grade edges, drawn as reference lines (``grade_edges``); ``width`` under the
    default draws a phone's chart with shorter labels."""
    label_w = NARROW_LABEL_W if width < WIDTH else LABEL_W
    scale = Scale((0.0, 100.0), (label_w + 8, width - 44))
    items = [("bar", labels["bar"]), ("whisker", labels["interval"])]
    items += [(s.shape, s.label) for s in series]
    legend_parts, legend_h = legend(items, 8, 12, width=width - 16)
    top = 12 + legend_h + 14
    body: list[str] = []
    y = top
    for row in rows:
        cy = y + ROW_H / 2
        body.append(text(label_w, cy, truncate(row.label, label_w - 6), anchor="end"))
        if is_number(row.value):
            assert row.value is not None
            x0, xv = scale(0.0), scale(row.value)
            body.append(
                f'<rect x="{x0:.1f}" y="{cy - 7:.1f}" width="{xv - x0:.1f}" height="14" '
                f'fill="{FILL}" stroke="{INK}" stroke-width="0.8"/>'
            )
            if is_number(row.low) and is_number(row.high):
                assert row.low is not None and row.high is not None
                a, b = scale(row.low), scale(row.high)
                body.append(line(a, cy, b, cy, width=1.4))
                body.append(line(a, cy - 5, a, cy + 5) + line(b, cy - 5, b, cy + 5))
            body.append(text(width - 4, cy, fmt(row.value), anchor="end"))
            for s in series:
                value = row.marks.get(s.key)
                if is_number(value):
                    assert value is not None
                    body.append(
                        marker(
                            s.shape,
                            scale(value),
                            cy,
                            4.5,
                            fill="#fff" if s.shape == "ring" else INK,
                        )
                    )
        else:
            body.append(text(scale.p0 + 4, cy, row.note or "—", fill=MUTED, size=11))
        y += ROW_H
    bottom = y + 2
    axis = x_axis(scale, top, bottom, step=20.0, grades=grades, names=grade_names(labels, grades))
    svg = svg_document(chart_id, title, desc, width, bottom + 22, [*legend_parts, *axis, *body])
    columns = (
        labels["name"],
        labels["value"],
        labels["interval"],
        *(s.label for s in series),
        labels["note"],
    )
    table = [
        (
            r.label,
            fmt(r.value),
            fmt_interval(r.low, r.high) if is_number(r.value) else "—",
            *(fmt(r.marks.get(s.key)) for s in series),
            r.note or "",
        )
        for r in rows
    ]
    return Chart(chart_id, title, desc, svg, columns, table)


def histogram(
    bins: Sequence[tuple[str, int]], *, chart_id: str, title: str, desc: str, labels: dict[str, str]
) -> Chart:
    """Vertical bars of counts per score band; ``labels``: ``band``, ``count``."""
    width, height, left, bottom_pad = 560.0, 220.0, 36.0, 34.0
    top = 16.0
    plot_bottom = height - bottom_pad
    peak = max((c for _b, c in bins), default=0) or 1
    step = max(1, -(-peak // 5))
    y_max = step * -(-peak // step)
    y = Scale((0.0, float(y_max)), (plot_bottom, top))
    slot = (width - left - 8) / max(len(bins), 1)
    body: list[str] = []
    for k in range(0, y_max + 1, step):
        body.append(line(left, y(k), width - 8, y(k), stroke="#c9d0d6", width=0.8))
        body.append(text(left - 4, y(k), str(k), size=10, anchor="end", fill=MUTED))
    for i, (band, count) in enumerate(bins):
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        if count:
            body.append(
                f'<rect x="{x:.1f}" y="{y(count):.1f}" width="{w:.1f}" '
                f'height="{plot_bottom - y(count):.1f}" fill="{FILL}" stroke="{INK}" '
                'stroke-width="0.8"/>'
            )
            body.append(text(x + w / 2, y(count) - 7, str(count), size=10, anchor="middle"))
        body.append(
            text(x + w / 2, plot_bottom + 12, truncate(band, slot), size=10, anchor="middle")
        )
    body.append(line(left, plot_bottom, width - 8, plot_bottom))
    svg = svg_document(chart_id, title, desc, width, height, body)
    return Chart(
        chart_id,
        title,
        desc,
        svg,
        (labels["band"], labels["count"]),
        [(band, str(count)) for band, count in bins],
    )
