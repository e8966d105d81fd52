"""Trend line across waves with an interval band (hatched, so it prints in black and white).

A wave without a published value (suppressed, or scored with another model) breaks the
line; the gap is labelled with the reason instead of being bridged, so a reader never sees
a change that was not measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from api.charts._svg import (
    GRID,
    INK,
    MUTED,
    WIDE_WIDTH,
    Chart,
    Scale,
    esc,
    fmt,
    fmt_interval,
    hatch,
    is_number,
    legend,
    line,
    marker,
    score_domain,
    svg_document,
    text,
    ticks,
    truncate,
)

WIDTH = WIDE_WIDTH
MIN_WAVE_LABEL = 58  # px a wave label needs ("2026Q2" at 11 px, with room either side)
HEIGHT = 280
LEFT = 40
RIGHT = 20


@dataclass(frozen=True)
class TrendPoint:
    wave: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class TrendSeries:
    label: str
    points: Sequence[TrendPoint]
    shape: str = "circle"
    dash: str | None = None
    band: bool = True


def _segments(points: Sequence[TrendPoint]) -> list[list[int]]:
    runs: list[list[int]] = []
    current: list[int] = []
    for i, p in enumerate(points):
        if is_number(p.value):
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def trend_chart(
    series: Sequence[TrendSeries],
    waves: Sequence[str],
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: dict[str, str],
    width: float = WIDTH,
) -> Chart:
    """``labels``: ``interval``, ``wave``, ``series``, ``value``, ``note``.

    Every wave keeps its place; when ``width`` is too narrow to name each one, every k-th is
    named counting back from the latest, so the latest wave is always named."""
    values = [v for s in series for p in s.points for v in (p.low, p.value, p.high) if is_number(v)]
    domain = score_domain(values)
    items = [(s.shape, s.label) for s in series]
    if any(s.band for s in series):
        items.append(("band", labels["interval"]))
    legend_parts, legend_h = legend(items, 8, 12, width=width - 16)
    top = 12 + legend_h + 12
    bottom = HEIGHT - 36
    y = Scale(domain, (bottom, top))
    slot = (width - LEFT - RIGHT) / max(len(waves), 1)
    xs = {w: LEFT + slot * (i + 0.5) for i, w in enumerate(waves)}
    pattern = f"{chart_id}-band"
    body: list[str] = []
    for value in ticks(domain, 10.0):
        body.append(line(LEFT, y(value), width - RIGHT, y(value), stroke=GRID, width=0.8))
        body.append(text(LEFT - 4, y(value), f"{value:g}", size=10, anchor="end", fill=MUTED))
    every = max(1, math.ceil(MIN_WAVE_LABEL / slot))
    for i, w in enumerate(waves):
        if (len(waves) - 1 - i) % every == 0:
            name = truncate(w, slot * every - 4)
            body.append(text(xs[w], bottom + 14, name, size=11, anchor="middle"))
    body.append(line(LEFT, bottom, width - RIGHT, bottom))
    for s in series:
        pts = [p for p in s.points if p.wave in xs]
        for run in _segments(pts):
            run_pts = [pts[i] for i in run]
            banded = [p for p in run_pts if is_number(p.low) and is_number(p.high)]
            if s.band and banded:
                upper = [(xs[p.wave], y(p.high)) for p in banded]  # type: ignore[arg-type]
                lower = [(xs[p.wave], y(p.low)) for p in reversed(banded)]  # type: ignore[arg-type]
                if len(banded) == 1:  # a single wave: a short box instead of a band
                    x0 = upper[0][0]
                    upper = [(x0 - 8, upper[0][1]), (x0 + 8, upper[0][1])]
                    lower = [(x0 + 8, lower[0][1]), (x0 - 8, lower[0][1])]
                poly = " ".join(f"{px:.1f},{py:.1f}" for px, py in upper + lower)
                body.append(
                    f'<polygon points="{poly}" fill="url(#{esc(pattern)})" '
                    f'stroke="{MUTED}" stroke-width="0.6" fill-opacity="0.8"/>'
                )
            path = " ".join(
                f"{xs[p.wave]:.1f},{y(p.value):.1f}"  # type: ignore[arg-type]
                for p in run_pts
            )
            dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="1.8"{dash}/>'
            )
            for p in run_pts:
                body.append(marker(s.shape, xs[p.wave], y(p.value), 4.5))  # type: ignore[arg-type]
        for p in pts:
            if not is_number(p.value) and p.note:
                body.append(
                    text(
                        xs[p.wave],
                        top + 8,
                        truncate(p.note, slot - 4),
                        size=10,
                        anchor="middle",
                        fill=MUTED,
                    )
                )
    # Value labels of the first series only: more would collide.
    if series:
        for p in series[0].points:
            if is_number(p.value) and p.wave in xs:
                body.append(text(xs[p.wave] + 7, y(p.value) - 9, fmt(p.value), size=10))  # type: ignore[arg-type]
    svg = svg_document(
        chart_id, title, desc, width, HEIGHT, [*legend_parts, *body], defs=[hatch(pattern)]
    )
    columns = (
        labels["series"],
        labels["wave"],
        labels["value"],
        labels["interval"],
        labels["note"],
    )
    rows = [
        (
            s.label,
            p.wave,
            fmt(p.value),
            fmt_interval(p.low, p.high) if is_number(p.value) else "—",
            p.note or "",
        )
        for s in series
        for p in s.points
    ]
    return Chart(chart_id, title, desc, svg, columns, rows)
