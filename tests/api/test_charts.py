"""The server-drawn SVG charts: accessible, self-contained, escaped, legible without colour."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from api.charts import (
    BarRow,
    Chart,
    DotRow,
    IpaPoint,
    MarkSeries,
    Reference,
    TrendPoint,
    TrendSeries,
    bar_chart,
    dot_plot,
    grade_edges,
    histogram,
    ipa_scatter,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert('x')</script>和谐\"><img src=x onerror=alert(1)>社区"
LABELS = {
    k: k
    for k in (
        "point",
        "interval",
        "highlight",
        "name",
        "group",
        "value",
        "note",
        "bar",
        "series",
        "wave",
        "importance",
        "performance",
        "code",
        "quadrant",
        "band",
        "count",
    )
}
QUADRANT_NAMES = {0: "重点改进", 1: "继续保持", 2: "次要改进", 3: "可能过度"}


def dots() -> Chart:
    rows = [
        DotRow("玉林林社区", 77.6, 75.7, 79.6, group="猛追湾街道"),
        DotRow(EVIL, 60.7, 58.1, 63.9, group="<svg onload=alert(1)>街道", highlight=True),
        DotRow("翡翠坝社区", None, group="猛追湾街道", note="样本不足"),
    ]
    return dot_plot(
        rows,
        chart_id="dots",
        title="各社区<综合指数>",
        desc="desc & more",
        labels=LABELS,
        references=[Reference(64.1, "全区平均")],
    )


def bars() -> Chart:
    rows = [
        BarRow("党建引领", 83.8, 81.8, 86.2, marks={"s": 69.8, "d": 69.7}),
        BarRow(EVIL, None, note="样本不足"),
    ]
    return bar_chart(
        rows,
        chart_id="bars",
        title="六个维度",
        desc="d",
        labels=LABELS,
        series=[MarkSeries("s", "triangle", "街道平均"), MarkSeries("d", "diamond", "全区平均")],
    )


def trend() -> Chart:
    pts = [
        TrendPoint("2025Q2", 72.6, 70.3, 74.9),
        TrendPoint("2025Q4", None, note="样本不足"),
        TrendPoint("2026Q2", 73.3, 71.1, 75.4),
        TrendPoint("2026Q4", 74.0, 72.0, 76.0),
    ]
    district = [TrendPoint(p.wave, 64.0, None, None) for p in pts]
    return trend_chart(
        [
            TrendSeries(EVIL, pts),
            TrendSeries("全区平均", district, "diamond", "1.5 2.5", band=False),
        ],
        [p.wave for p in pts],
        chart_id="trend",
        title="趋势",
        desc="d",
        labels=LABELS,
    )


def ipa() -> Chart:
    pts = [
        IpaPoint("D1a", "组织引领", 0.06, 61.5, 0),
        IpaPoint("D2a", EVIL, 0.05, 80.0, 3),
        IpaPoint("D3a", "医疗与养老", 0.058, 77.0, 1),
        IpaPoint("D4b", "关爱", 0.05, 58.0, 2),
        IpaPoint("D5a", "议事", 0.052, None, -1),
    ]
    return ipa_scatter(
        pts,
        importance_cut=0.055,
        performance_cut=71.7,
        chart_id="ipa",
        title="IPA",
        desc="d",
        quadrant_names=QUADRANT_NAMES,
        labels=LABELS,
    )


def hist() -> Chart:
    return histogram(
        [("<60", 1), ("60–69.9", 3), ("70–79.9", 7), ("80–89.9", 1), ("≥90", 0)],
        chart_id="hist",
        title="得分分布",
        desc="d",
        labels=LABELS,
    )


ALL = [dots, bars, trend, ipa, hist]


@pytest.mark.parametrize("make", ALL)
def test_accessible_well_formed_and_self_contained(make: object) -> None:
    chart = make()  # type: ignore[operator]
    root = ET.fromstring(str(chart.svg))  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart.id}-title {chart.id}-desc"
    assert root.find(f"{SVG}title").text == chart.title  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == chart.desc  # type: ignore[union-attr]
    text = str(chart.svg)
    # No external asset, no script, no inline style (a strict CSP must not break charts).
    assert "<script" not in text and "style=" not in text and "<style" not in text
    assert not re.search(r"<[^>]*\s(href|src)\s*=", text)
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert chart.rows and all(len(r) == len(chart.columns) for r in chart.rows)


@pytest.mark.parametrize("make", ALL)
def test_untrusted_labels_are_escaped(make: object) -> None:
    chart = make()  # type: ignore[operator]
    text = str(chart.svg)
    assert not re.search(r"<(script|img|iframe)\b", text)
    assert not re.search(r"<[^>]*\s(onerror|onload)\s*=", text)
    # Every element that came out is one the chart module draws.
    allowed = {
        "svg",
        "title",
        "desc",
        "defs",
        "pattern",
        "rect",
        "line",
        "circle",
        "polygon",
        "polyline",
        "text",
        "g",
    }
    tags = {el.tag.removeprefix(SVG) for el in ET.fromstring(text).iter()}
    assert tags <= allowed, tags - allowed


def test_dot_plot_draws_no_point_for_a_suppressed_row_but_says_why() -> None:
    chart = dots()
    root = ET.fromstring(str(chart.svg))
    points = root.findall(f"{SVG}circle") + [
        r for r in root.findall(f"{SVG}rect") if r.get("fill") not in ("#fff", None)
    ]
    # two published rows → two point markers (circle + the highlighted square); legend adds one
    # circle and one square, drawn with the same helper.
    assert len(points) == 2 + 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "样本不足" in texts
    assert ("翡翠坝社区", "猛追湾街道", "—", "—", "样本不足") in chart.rows
    assert ("玉林林社区", "猛追湾街道", "77.6", "75.7–79.6", "") in chart.rows


def test_series_differ_by_shape_not_only_colour() -> None:
    root = ET.fromstring(str(bars().svg))
    # The street mean is a triangle (3 points) and the district mean a diamond (4 points).
    shapes = sorted(len(p.get("points", "").split()) for p in root.iter(f"{SVG}polygon"))
    assert shapes.count(3) >= 2 and shapes.count(4) >= 2  # legend + the one published bar
    scatter = ET.fromstring(str(ipa().svg))
    kinds = {
        (el.tag, el.get("fill"), len(el.get("points", "").split()))
        for el in scatter.iter()
        if el.tag in (f"{SVG}polygon", f"{SVG}circle")
    }
    assert len(kinds) >= 4  # four quadrants, four distinct markers


def test_trend_breaks_the_line_at_an_unpublished_wave() -> None:
    chart = trend()
    root = ET.fromstring(str(chart.svg))
    lines = [p for p in root.iter(f"{SVG}polyline")]
    # Community: 2025Q2 alone, then 2026Q2–2026Q4; the district line is unbroken.
    assert sorted(len(p.get("points", "").split()) for p in lines) == [1, 2, 4]
    assert any(t.text == "样本不足" for t in root.iter(f"{SVG}text"))
    assert (EVIL, "2025Q4", "—", "—", "样本不足") in chart.rows
    # The interval band is hatched, so it prints in black and white.
    assert root.find(f".//{SVG}pattern") is not None


def test_ipa_rows_and_crosshairs() -> None:
    chart = ipa()
    assert [r[4] for r in chart.rows] == ["重点改进", "可能过度", "继续保持", "次要改进", "—"]
    root = ET.fromstring(str(chart.svg))
    dashed = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke-dasharray") == "6 3"]
    assert len(dashed) == 2  # one vertical, one horizontal crosshair
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert all(name in labels for name in QUADRANT_NAMES.values())
    assert "D5a" not in labels  # no score, no point


def test_histogram_counts() -> None:
    chart = hist()
    assert [int(c) for _b, c in chart.rows] == [1, 3, 7, 1, 0]
    bars_drawn = [r for r in ET.fromstring(str(chart.svg)).iter(f"{SVG}rect")]
    assert len(bars_drawn) == 4  # the empty band draws nothing


def _grade_lines(chart: Chart) -> list[tuple[float, str]]:
    """(x, name) of every dashed grade edge of a chart, left to right."""
    root = ET.fromstring(str(chart.svg))
    xs = [
        float(e.get("x1", "nan"))
        for e in root.iter(f"{SVG}line")
        if e.get("stroke-dasharray") == "4 3"
    ]
    # Each edge's name is written 3 px right of its line.
    names = {round(float(e.get("x", "nan")) - 3, 1): e.text or "" for e in root.iter(f"{SVG}text")}
    return [(x, names[round(x, 1)]) for x in xs]


def test_grade_edges_come_from_the_model_not_a_table() -> None:
    default = grade_edges([("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", None)])
    assert default == ((60.0, "中"), (80.0, "良"), (90.0, "优"))
    custom = grade_edges([("A", 75.0), ("B", 50.0), ("C", None)])
    assert custom == ((50.0, "B"), (75.0, "A"))
    rows = [BarRow("党建引领", 83.8, 81.8, 86.2)]

    def drawn(grades: tuple[tuple[float, str], ...]) -> list[tuple[float, str]]:
        chart = bar_chart(rows, chart_id="b", title="t", desc="d", labels=LABELS, grades=grades)
        return _grade_lines(chart)

    assert [name for _, name in drawn(default)] == ["中", "良", "优"]
    (x50, b), (x75, a) = drawn(custom)
    (x60, _), (x80, _), (x90, _) = drawn(default)
    assert (b, a) == ("B", "A")
    # Lines where the model puts its edges, on the same 0–100 scale: 50 < 60 < 75 < 80.
    assert x50 < x60 < x75 < x80 < x90
    assert (x75 - x50) == pytest.approx((x80 - x60) * 25 / 20, abs=0.2)
    assert drawn(()) == []
    dots = dot_plot(
        [DotRow("玉林林社区", 77.6, 75.7, 79.6)],
        chart_id="d",
        title="t",
        desc="d",
        labels={**LABELS, "grade:A": "Alpha"},
        grades=custom,
    )
    # Named in the page's words; the dot plot's axis starts at 60 here, so edge 50 is off it.
    assert [name for _, name in _grade_lines(dots)] == ["Alpha"]
