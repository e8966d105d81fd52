"""Charts and display helpers for the officials' pages, in the page's language.

Services return language-neutral dicts (codes, numbers, ``{"zh", "en"}`` labels); this module
turns them into :mod:`api.charts` figures and the small formatting helpers templates use, so
templates hold markup only. The same functions serve the live pages and the batch export.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from api.charts import (
    NARROW_WIDTH,
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
from api.officials.text import GRADE_LABELS, grade_label, housing_label, local
from api.services.published import graded_num as graded_num  # re-exported for the pages
from api.services.scorecard import QUADRANTS
from api.web.messages import excluded_text, label, note_code, text

Translate = Callable[..., str]


def reason_text(reason: str | None, lang: str) -> str | None:
    """Why a row has no score, in ``lang``: from its code, or from the Chinese an older row
    carries (a street row built by a page, a stored snapshot before the codes)."""
    code = note_code(reason)
    return text(code if code is not None else reason, lang)


def num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def pct(value: float | None, scale: float = 1.0) -> str:
    """A share as a percentage; ``scale=100`` for values already in percent."""
    return "—" if value is None else f"{value * 100 / scale:.1f}%"


MINUS = "\u2212"  # a real minus sign: a hyphen before a number reads as a dash


def minus(text: str) -> str:
    return text.replace("-", MINUS)


def signed(value: float | None) -> str:
    """+4.4 or −4.4 (with U+2212, never a hyphen)."""
    return "—" if value is None else minus(f"{value:+.1f}")


def interval(low: float | None, high: float | None, lang: str = "zh") -> str:
    """63.5–65.0; a range touching a negative number says 至 / to ("−6.4 至 −2.4"), since
    "−6.4–−2.4" reads as a subtraction."""
    if low is None or high is None:
        return "—"
    if low < 0 or high < 0:
        word = "to" if lang == "en" else "至"
        return f"{minus(f'{low:.1f}')} {word} {minus(f'{high:.1f}')}"
    return f"{low:.1f}–{high:.1f}"


def colon(lang: str) -> str:
    """The colon after a label: full-width in Chinese text."""
    return ": " if lang == "en" else "："


def comma(lang: str) -> str:
    return ", " if lang == "en" else "，"


def bracketed(text: object, lang: str) -> str:
    """A remark in brackets after Chinese text: full-width brackets in Chinese."""
    return f" ({text})" if lang == "en" else f"（{text}）"


def grade(value: str | None, lang: str) -> str:
    """A grade as plain text: "良" in Chinese, "良 Good" in English."""
    if value is None:
        return "—"
    return f"{value} {grade_label(value, lang)}".strip()


def rank_texts(rank: dict[str, Any], t: Translate, unit: str = "rank_text") -> tuple[str, str]:
    """("第 k 名 / 共 N 个社区", "第 a–b 名之间"), or dashes when there is no rank."""
    if rank.get("rank") is None:
        return "—", ""
    main = t(unit, rank=rank["rank"], of=rank["of"])
    low, high = rank.get("rank_low"), rank.get("rank_high")
    if low is None or high is None:
        return main, ""
    if low == high:
        return main, t("rank_exact", low=low)
    return main, t("rank_between", low=low, high=high)


def rank_range(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        return "—"
    return str(low) if low == high else f"{low}–{high}"


def helpers(
    lang: str, t: Translate, grade_bands: Sequence[tuple[str, float | None]] = ()
) -> dict[str, Any]:
    """Names every officials' template may call (``grade_bands``: the page's snapshot's)."""
    edges = [edge for edge, _name in grade_edges(grade_bands)]
    return {
        "lang": lang,
        "t": t,
        "num": num,
        "graded_num": lambda value: graded_num(value, edges),
        "pct": pct,
        "signed": signed,
        "interval": lambda low, high: interval(low, high, lang),
        "colon": colon(lang),
        "comma": comma(lang),
        "bracketed": lambda text: bracketed(text, lang),
        "rank_range": rank_range,
        "local": lambda v: local(v, lang),
        "grade": lambda v: grade(v, lang),
        "grade_en": lambda v: grade_label(v, lang),
        "housing": lambda v: housing_label(v, lang),
        "reason": lambda r: reason_text(r, lang),
        "note_text": lambda code: text(code, lang),
        "excluded": lambda by_rule: excluded_text(by_rule, lang),
        "rank_texts": lambda r, unit="rank_text": rank_texts(r, t, unit),
    }


def drawn_twice(draw: Callable[..., Chart], *args: Any, chart_id: str, **kwargs: Any) -> Chart:
    """The chart for a desk, carrying the same chart drawn for a phone (its own ids, since
    both are in the page; the CSS shows one)."""
    wide = draw(*args, chart_id=chart_id, **kwargs)
    phone = draw(*args, chart_id=f"{chart_id}-phone", width=NARROW_WIDTH, **kwargs)
    return replace(wide, narrow=phone.svg)


def ranking_dot_plot(
    rows: Sequence[dict[str, Any]],
    *,
    chart_id: str,
    lang: str,
    t: Translate,
    group_by_street: bool,
    highlight: str | None = None,
    district_mean: float | None = None,
    name_key: str = "name",
    grade_bands: Sequence[tuple[str, float | None]] = (),
) -> Chart:
    """Dot plot of ranking rows; grouped by street (each group in rank order) when asked.

    ``grade_bands``: the snapshot's model's bands, drawn as reference lines."""
    ordered = list(rows)
    if group_by_street:
        ordered.sort(key=lambda r: (r.get("street") or "", r["rank"] or 10**9))
    dots = [
        DotRow(
            label=str(r.get(name_key) or r.get("community") or r.get("street")),
            value=r.get("score"),
            low=r.get("ci_low"),
            high=r.get("ci_high"),
            group=str(r.get("street_name") or r.get("street") or "") if group_by_street else None,
            note=reason_text(r.get("suppression_reason_code"), lang) or t("suppressed")
            if r.get("score") is None
            else None,
            highlight=highlight is not None and r.get("community") == highlight,
        )
        for r in ordered
    ]
    refs = [] if district_mean is None else [Reference(district_mean, t("district_mean"))]
    published = sum(d.value is not None for d in dots)
    return drawn_twice(
        dot_plot,
        dots,
        chart_id=chart_id,
        title=t("dot_plot_title"),
        desc=f"{t('dot_plot_title')}: {published}/{len(dots)}",
        labels=_labels(t, lang),
        references=refs,
        grades=grade_edges(grade_bands),
    )


def _labels(t: Translate, lang: str) -> dict[str, str]:
    keys = (
        "point",
        "interval",
        "name",
        "value",
        "note",
        "bar",
        "series",
        "wave",
        "importance",
        "performance",
        "quadrant",
        "band",
        "count",
    )
    out = {k: t(k) for k in keys}
    out.update(highlight=t("this_community"), group=t("street"), code="code")
    # Grade edges on the axes: the English name alone (a character as well would not fit).
    out.update({f"grade:{g}": grade_label(g, lang) or g for g in GRADE_LABELS})
    return out


def dimension_bars(
    sc: dict[str, Any], *, chart_id: str, lang: str, t: Translate, bar_label: str | None = None
) -> Chart:
    """The six dimensions as bars; comparison markers only for the averages that exist, and
    the grade edges of ``sc["grade_bands"]`` (the snapshot's model) as reference lines."""
    rows = [
        BarRow(
            label=local(d["label"], lang),
            value=d["score"],
            low=d["ci_low"],
            high=d["ci_high"],
            note=t("suppressed") if d["score"] is None else None,
            marks={
                "street": d["street_mean"],
                "district": d["district_mean"],
                "housing": d["housing_mean"],
            },
        )
        for d in sc["dimensions"]
    ]
    candidates = [
        MarkSeries("street", "triangle", t("street_mean")),
        MarkSeries("district", "diamond", t("district_mean")),
        MarkSeries("housing", "ring", t("housing_mean")),
    ]
    series = [s for s in candidates if any(r.marks.get(s.key) is not None for r in rows)]
    labels = {**_labels(t, lang), **({"bar": bar_label} if bar_label else {})}
    title = f"{sc['community']['name']} · {t('dimensions')}"
    desc = "; ".join([title, *(s.label for s in series)])
    return drawn_twice(
        bar_chart,
        rows,
        chart_id=chart_id,
        title=title,
        desc=desc,
        labels=labels,
        series=series,
        grades=grade_edges(sc["grade_bands"]),
    )


def _trend_points(points: Sequence[dict[str, Any]], lang: str) -> list[TrendPoint]:
    return [
        TrendPoint(
            p["wave"],
            p["score"],
            p.get("ci_low"),
            p.get("ci_high"),
            local(p["note"], lang) if p.get("note") else None,
        )
        for p in points
    ]


def trend_figure(
    series: Sequence[tuple[str, Sequence[dict[str, Any]], str, str | None, bool]],
    *,
    chart_id: str,
    title: str,
    lang: str,
    t: Translate,
) -> Chart:
    """``series``: (label, points, marker shape, dash, band) tuples; waves from the first."""
    waves = [p["wave"] for p in series[0][1]] if series else []
    drawn = [
        TrendSeries(label, _trend_points(points, lang), shape, dash, band)
        for label, points, shape, dash, band in series
    ]
    return drawn_twice(
        trend_chart,
        drawn,
        waves,
        chart_id=chart_id,
        title=title,
        desc=f"{title}: " + ", ".join(s[0] for s in series),
        labels=_labels(t, lang),
    )


def scorecard_trend(sc: dict[str, Any], *, chart_id: str, lang: str, t: Translate) -> Chart:
    name = str(sc["community"]["name"])
    series: list[tuple[str, Sequence[dict[str, Any]], str, str | None, bool]] = [
        (name, sc["trend"], "circle", None, True)
    ]
    if sc.get("trend_street"):
        series.append((t("street_mean"), sc["trend_street"], "triangle", "6 3", False))
    series.append((t("district_mean"), sc["trend_district"], "diamond", "1.5 2.5", False))
    return trend_figure(series, chart_id=chart_id, title=f"{name} · {t('trend')}", lang=lang, t=t)


def ipa_chart(sc: dict[str, Any], *, chart_id: str, lang: str, t: Translate) -> Chart | None:
    pri = sc.get("priorities")
    if not pri:
        return None
    names = {q: QUADRANTS[q][1 if lang == "en" else 0] for q in QUADRANTS}
    labels = _labels(t, lang)
    if pri.get("per_subdimension"):
        # Each sub-dimension has its own cut (its district median): the vertical axis is the
        # gap to that cut, so one crosshair at 0 serves every point; undetermined points are
        # listed in the table only.
        points = [
            IpaPoint(p["code"], local(p["label"], lang), p["importance"], p["gap"], p["quadrant"])
            for p in pri["points"]
        ]
        names[-1] = local(label("quadrant_undetermined"), lang)
        labels = {**labels, "performance": t("performance_gap")}
        cut = 0.0
    else:
        points = [
            IpaPoint(
                p["code"], local(p["label"], lang), p["importance"], p["performance"], p["quadrant"]
            )
            for p in pri["points"]
        ]
        cut = pri["performance_cut"]
    title = f"{sc['community']['name']} · {t('priorities')}"
    return ipa_scatter(
        points,
        importance_cut=pri["importance_cut"],
        performance_cut=cut,
        chart_id=chart_id,
        title=title,
        desc=f"{title}: {t('importance')} × {labels['performance']}",
        quadrant_names=names,
        labels=labels,
    )


def distribution_chart(
    summary: dict[str, Any], *, chart_id: str, t: Translate, lang: str = "zh"
) -> Chart:
    bins = [(b["band"], int(b["count"])) for b in summary["distribution"]]
    title = t("distribution")
    return histogram(
        bins,
        chart_id=chart_id,
        title=title,
        desc=f"{title}: " + ", ".join(f"{b} {c}" for b, c in bins),
        labels=_labels(t, lang),
    )
