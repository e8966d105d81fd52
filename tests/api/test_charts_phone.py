"""Charts drawn for a phone (issue 13, point 2): a narrower viewBox, the latest wave always
named, tall dot plots with their axis labelled at the top as well as the bottom, and the
officials' figures carrying both copies with distinct ids."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from api.charts import NARROW_WIDTH, DotRow, TrendPoint, TrendSeries, dot_plot, trend_chart
from api.officials.text import official_translator
from api.officials.views import ranking_dot_plot

SVG = "{http://www.w3.org/2000/svg}"
LABELS = {k: k for k in ("point", "interval", "highlight", "name", "group", "value", "note")}
LABELS.update(wave="wave", series="series")


def texts(svg: str) -> list[tuple[float, float, str]]:
    root = ET.fromstring(str(svg))
    return [
        (float(t.get("x", 0)), float(t.get("y", 0)), "".join(t.itertext()))
        for t in root.iter(f"{SVG}text")
    ]


def view_width(svg: str) -> float:
    return float(ET.fromstring(str(svg)).get("viewBox", "").split()[2])


def test_many_waves_on_a_phone_always_name_the_latest() -> None:
    waves = [f"{y}Q{q}" for y in (2023, 2024, 2025, 2026) for q in (2, 4)]  # eight waves
    points = [TrendPoint(w, 60 + i, 58 + i, 62 + i) for i, w in enumerate(waves)]
    series = [TrendSeries("C1", points, "circle", None, True)]
    phone = trend_chart(
        series, waves, chart_id="t", title="t", desc="d", labels=LABELS, width=NARROW_WIDTH
    )
    desk = trend_chart(series, waves, chart_id="t", title="t", desc="d", labels=LABELS)
    assert view_width(phone.svg) == NARROW_WIDTH < view_width(desk.svg)
    named = [s for _x, _y, s in texts(phone.svg) if s in waves]
    assert named[-1] == waves[-1]  # the latest wave is named
    assert len(named) < len(waves)  # but not every wave: they would overlap at this width
    assert [s for _x, _y, s in texts(desk.svg) if s in waves] == waves
    xs = sorted(x for x, _y, s in texts(phone.svg) if s in waves)
    assert all(b - a >= 58 for a, b in itertools.pairwise(xs))


def test_a_tall_dot_plot_labels_its_axis_at_top_and_bottom() -> None:
    def ticks_y(n: int) -> set[float]:
        rows = [DotRow(f"c{i}", 50.0 + i % 30, 45.0, 90.0) for i in range(n)]
        svg = dot_plot(rows, chart_id="d", title="t", desc="d", labels=LABELS).svg
        return {y for _x, y, s in texts(svg) if s in {"50", "60", "70", "80"}}

    assert len(ticks_y(5)) == 1  # a short plot: labels under it only
    assert len(ticks_y(80)) == 2  # a tall one: over it as well


def test_officials_figures_carry_a_phone_copy_with_its_own_ids() -> None:
    t = official_translator("zh")
    rows = [
        {
            "community": f"C{i}",
            "name": f"社区{i}",
            "street": "S1",
            "street_name": "街道",
            "rank": i + 1,
            "score": 70.0 - i,
            "ci_low": 65.0 - i,
            "ci_high": 75.0 - i,
        }
        for i in range(6)
    ]
    chart = ranking_dot_plot(rows, chart_id="ranking", lang="zh", t=t, group_by_street=True)
    assert chart.narrow is not None
    assert view_width(chart.narrow) == NARROW_WIDTH < view_width(chart.svg)
    assert ET.fromstring(str(chart.narrow)).get("id") == "ranking-phone"
    assert ET.fromstring(str(chart.svg)).get("id") == "ranking"
