"""Shared pieces of the server-drawn SVG charts: escaping, text measure, axes, markers.

Every string that reaches the SVG goes through :func:`esc` (community and street names are
data an administrator typed, so they are untrusted). Charts use presentation attributes only,
never ``style=`` or ``<style>``, so a strict Content-Security-Policy cannot break them, and
nothing refers to an external font or image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

FONT = 12
INK = "#1d2733"
MUTED = "#5b6773"
GRID = "#c9d0d6"
FILL = "#8a96a3"
BAND = "#dfe4e8"
ACCENT = "#b5332b"
# A grade band's lower edge and the band's name (METHODS.md §5), drawn as a reference line on
# 0–100 axes. The edges are the snapshot's weight model's (``grade_edges``), never a fixed table.
GradeEdge = tuple[float, str]


def grade_edges(bands: Sequence[tuple[str, float | None]]) -> tuple[GradeEdge, ...]:
    """A model's ``grade_bands`` (best first, the last bound None) as edges, lowest first.

    >>> grade_edges([("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", None)])
    ((60.0, '中'), (80.0, '良'), (90.0, '优'))
    """
    return tuple(sorted((float(low), str(name)) for name, low in bands if low is not None))


@dataclass(frozen=True)
class Chart:
    """An SVG chart plus its text alternative (a data table with the same numbers)."""

    id: str
    title: str
    desc: str
    svg: Markup
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]] = field(default_factory=list)
    # The same chart drawn for a phone (NARROW_WIDTH wide: shorter labels, fewer ticks), shown
    # instead of ``svg`` under 600 px, so a 360 px screen reads it at full size, unscrolled.
    narrow: Markup | None = None


# Viewbox widths: a desk (and paper) and a phone's column (360 px less the page's margins).
WIDE_WIDTH = 560
NARROW_WIDTH = 330
# A plot taller than this also gets its axis labels at the top, so the values are readable
# without scrolling back to the bottom.
TALL_PLOT = 360


def esc(value: object) -> str:
    return str(escape(str(value)))


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def fmt_interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return f"{fmt(low)}–{fmt(high)}"


def is_number(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def text_width(text: str, size: float = FONT) -> float:
    """Approximate rendered width: CJK glyphs are square, Latin ones about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def truncate(text: str, width: float, size: float = FONT) -> str:
    """Shorten a label to fit ``width`` (the full label stays in the data table)."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = FONT,
    anchor: str = "start",
    fill: str = INK,
    weight: str | None = None,
    baseline: str = "middle",
) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" '
        f'dominant-baseline="{baseline}" fill="{fill}"{bold}>{esc(content)}</text>'
    )


def line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    stroke: str = INK,
    width: float = 1.0,
    dash: str | None = None,
) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{stroke}" stroke-width="{width:g}"{dashed}/>'
    )


def marker(
    shape: str, x: float, y: float, r: float = 4.5, *, fill: str = INK, stroke: str = INK
) -> str:
    """A point marker; shapes (not colours) tell series apart in black-and-white print."""
    if shape == "circle":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.2"/>'
        )
    if shape == "ring":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="#fff" '
            f'stroke="{stroke}" stroke-width="1.6"/>'
        )
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:g}" height="{2 * r:g}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'
        )
    if shape in ("triangle", "triangle-down"):
        s = -1 if shape == "triangle" else 1
        pts = [(x, y + s * r * 1.15), (x - r, y - s * r * 0.85), (x + r, y - s * r * 0.85)]
    elif shape == "diamond":
        pts = [(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)]
    elif shape == "cross":
        return line(x - r, y - r, x + r, y + r, stroke=stroke, width=2) + line(
            x - r, y + r, x + r, y - r, stroke=stroke, width=2
        )
    else:
        raise ValueError(f"unknown marker shape {shape!r}")
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
    return f'<polygon points="{points}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>'


def hatch(pattern_id: str, *, stroke: str = MUTED, spacing: int = 5) -> str:
    """A diagonal hatch, so shaded areas stay visible without colour."""
    return (
        f'<pattern id="{esc(pattern_id)}" patternUnits="userSpaceOnUse" width="{spacing}" '
        f'height="{spacing}" patternTransform="rotate(45)">'
        f'<rect width="{spacing}" height="{spacing}" fill="{BAND}"/>'
        f'<line x1="0" y1="0" x2="0" y2="{spacing}" stroke="{stroke}" stroke-width="1"/>'
        "</pattern>"
    )


class Scale:
    """A linear map from data values to pixels."""

    def __init__(self, domain: tuple[float, float], pixels: tuple[float, float]) -> None:
        self.d0, self.d1 = domain
        self.p0, self.p1 = pixels

    def __call__(self, value: float) -> float:
        span = self.d1 - self.d0 or 1.0
        clipped = min(max(value, self.d0), self.d1)
        return self.p0 + (clipped - self.d0) / span * (self.p1 - self.p0)


def score_domain(
    values: Sequence[float | None], *, floor_step: float = 10.0
) -> tuple[float, float]:
    """A 0–100 axis cut at a round number below the lowest value.

    Dot plots encode position, not length, so starting above 0 is honest and keeps close
    communities apart; the axis labels show where it starts. Bars always start at 0.
    """
    finite = [float(v) for v in values if v is not None and not math.isnan(v)]
    if not finite:
        return (0.0, 100.0)
    low = math.floor(min(finite) / floor_step) * floor_step - floor_step
    return (max(0.0, min(low, 50.0)), 100.0)


def ticks(domain: tuple[float, float], step: float) -> list[float]:
    start = math.ceil(domain[0] / step) * step
    out = []
    value = start
    while value <= domain[1] + 1e-9:
        out.append(value)
        value += step
    return out


def grade_names(labels: Mapping[str, str], grades: Sequence[GradeEdge]) -> dict[str, str]:
    """The grade edges' names in the page's language, from ``labels["grade:优"]`` etc."""
    return {g: labels.get(f"grade:{g}", g) for _edge, g in grades}


def x_axis(
    scale: Scale,
    top: float,
    bottom: float,
    *,
    step: float = 10.0,
    grades: Sequence[GradeEdge] = (),
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Vertical grid lines with labels under the plot (and over it too when the plot is taller
    than :data:`TALL_PLOT`: the caller leaves :func:`axis_head` room above ``top``); grade
    edges drawn dashed and named (``names``: the grades' names in the page's language)."""
    parts = []
    tall = bottom - top > TALL_PLOT
    for value in ticks((scale.d0, scale.d1), step):
        x = scale(value)
        parts.append(line(x, top, x, bottom, stroke=GRID, width=0.8))
        parts.append(text(x, bottom + 12, f"{value:g}", size=10, anchor="middle", fill=MUTED))
        if tall:
            parts.append(text(x, top - 5, f"{value:g}", size=10, anchor="middle", fill=MUTED))
    for edge, label in grades:
        if scale.d0 < edge <= scale.d1:
            x = scale(edge)
            parts.append(line(x, top, x, bottom, stroke=MUTED, width=1, dash="4 3"))
            name = (names or {}).get(label, label)
            parts.append(text(x + 3, top - (19 if tall else 6), name, size=10, fill=MUTED))
    return parts


def axis_head(plot_height: float) -> float:
    """Extra room a plot needs above its top edge for :func:`x_axis`'s top labels."""
    return 13.0 if plot_height > TALL_PLOT else 0.0


def svg_document(
    chart_id: str,
    title: str,
    desc: str,
    width: float,
    height: float,
    body: Sequence[str],
    defs: Sequence[str] = (),
) -> Markup:
    """Wrap drawing commands in an accessible, self-contained ``<svg>`` element.

    ``role="img"`` with ``aria-labelledby`` makes screen readers read the title and the
    description; the data table next to the chart carries the numbers.
    """
    cid = esc(chart_id)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{cid}-title {cid}-desc" '
        "font-family=\"system-ui, 'Noto Sans CJK SC', 'PingFang SC', "
        "'Microsoft YaHei', sans-serif\">"
        f'<title id="{cid}-title">{esc(title)}</title>'
        f'<desc id="{cid}-desc">{esc(desc)}</desc>'
    )
    defs_part = f"<defs>{''.join(defs)}</defs>" if defs else ""
    # Every piece of text inside ``body`` was escaped by the helpers above.
    return Markup(head + defs_part + "".join(body) + "</svg>")


def legend(
    items: Sequence[tuple[str, str]], x: float, y: float, *, width: float
) -> tuple[list[str], float]:
    """Marker-shape legend laid out left to right, wrapping; returns (parts, height used)."""
    parts = []
    cx, cy = x, y
    for shape, label in items:
        w = 18 + text_width(label, 11) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 18
        if shape in ("band", "dash", "dot-line"):
            if shape == "band":
                parts.append(
                    f'<rect x="{cx:.1f}" y="{cy - 5:.1f}" width="14" height="10" '
                    f'fill="{BAND}" stroke="{MUTED}"/>'
                )
            else:
                parts.append(
                    line(
                        cx,
                        cy,
                        cx + 14,
                        cy,
                        stroke=INK,
                        width=1.5,
                        dash="5 3" if shape == "dash" else "1.5 2.5",
                    )
                )
        elif shape == "bar":
            parts.append(
                f'<rect x="{cx:.1f}" y="{cy - 5:.1f}" width="14" height="10" '
                f'fill="{FILL}" stroke="{INK}"/>'
            )
        elif shape == "whisker":
            parts.append(line(cx, cy, cx + 14, cy, width=1.5))
            parts.append(line(cx, cy - 4, cx, cy + 4) + line(cx + 14, cy - 4, cx + 14, cy + 4))
        else:
            parts.append(marker(shape, cx + 7, cy, 4.5))
        parts.append(text(cx + 18, cy, label, size=11))
        cx += w
    return parts, cy - y + 18
