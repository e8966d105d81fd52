"""The one change rule of every page, JSON document and export (issue 12; docs/methods.md).

A *report family* is everything a reader sees labelled for one pair of waves: every community
present in both snapshots × (the overall index and every dimension). Each cell gets
``Δ = I₂ − I₁`` with ``SE = √(SE₁² + SE₂²)`` and is labelled by
:func:`scoring.change.change_report` — t p-values with Welch–Satterthwaite df from the two
samples' sizes, Benjamini–Hochberg at q = ``FDR`` over the **whole family** jointly, plus
the model's practical threshold on ``|Δ|`` — as ``up`` / ``down`` /
``flat``, or ``undetermined`` with the reason (SE missing, sample too small, not comparable).
Streets and the district form a second family (every street's overall index + the district's).

The dashboard, the trend report, the scorecard and the JSON all read their labels from the
tables built here (memoised per pair of snapshots), so they cannot disagree.

Estimator (the weight model's ``estimator``, carried by the snapshot's ``small_area``): with
``fay_herriot`` the community family compares the two waves' Fay–Herriot EBLUPs with
``SE = √(MSE₁ + MSE₂)`` and normal p-values (the MSE is model-based, no sample df applies);
each cell says which estimator produced it (``estimator``). Streets and the district are
always direct (their figures are population-weighted direct means).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from api.services.framework_fingerprint import changed_items
from api.services.lineage import combined, predecessors
from api.services.read_models import CommunityRow, ResultsView
from api.services.street_level import aggregates, figure_over
from api.web.messages import Message, label
from scoring.change import ChangeLabel, Reason, change_report, welch_df
from scoring.rank import Note

FDR = 0.10
OVERALL = "overall"
DISTRICT = "_district"
DIRECT = "direct"
FAY_HERRIOT = "fay_herriot"
# (score, SE) of one community's node in a snapshot; (x, NaN) when it has no SE
Figure = Callable[[ResultsView, CommunityRow, str], tuple[float | None, float | None]]

LABEL_MESSAGE = {
    ChangeLabel.UP.value: Message.CHANGE_UP,
    ChangeLabel.DOWN.value: Message.CHANGE_DOWN,
    ChangeLabel.FLAT.value: Message.CHANGE_FLAT,
    ChangeLabel.UNDETERMINED.value: Message.CHANGE_UNDETERMINED,
}
DIRECTION = {ChangeLabel.UP.value: 1, ChangeLabel.DOWN.value: -1}


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def empty_change(from_wave: str | None, to_wave: str, note_code: str | None) -> dict[str, Any]:
    """A change that was not computed at all (no previous wave, not scored): no label."""
    return {
        "from_wave": from_wave,
        "to_wave": to_wave,
        "delta": None,
        "ci_low": None,
        "ci_high": None,
        "se": None,
        "p_value": None,
        "q": None,
        "label": None,
        "label_text": None,
        "significant": False,
        "direction": 0,
        "note": None if note_code is None else label(note_code),
        "note_code": note_code,
        "reason": None,
        "bridged": False,
        "lineage": [],
        "df": None,
        "estimator": None,
    }


def undetermined(from_wave: str | None, to_wave: str, note_code: str) -> dict[str, Any]:
    """A change the rule refuses to label (无法判断), with the reason."""
    out = empty_change(from_wave, to_wave, note_code)
    out["label"] = ChangeLabel.UNDETERMINED.value
    out["label_text"] = label(Message.CHANGE_UNDETERMINED)
    return out


@dataclass(frozen=True)
class ChangeTable:
    """Labels of one report family: ``cells[key][node]`` is a change dict (JSON-ready)."""

    from_wave: str
    to_wave: str
    nodes: tuple[str, ...]
    cells: dict[str, dict[str, dict[str, Any]]]
    fdr: float
    min_change: float
    n_tested: int
    note_code: str | None  # set when the whole family is not comparable

    def get(self, key: str, node: str = OVERALL) -> dict[str, Any]:
        cell = self.cells.get(key, {}).get(node)
        if cell is None:  # not in both waves
            return undetermined(self.from_wave, self.to_wave, Message.NOT_SCORED)
        return cell


def comparability(previous: ResultsView, current: ResultsView) -> str | None:
    """Why two snapshots cannot be compared at all (a message code), or None."""
    if (previous.model_key, previous.provenance.preset) != (
        current.model_key,
        current.provenance.preset,
    ):
        return Message.MODEL_DIFFERS
    return None


def build_table(
    previous: ResultsView,
    current: ResultsView,
    figures: dict[str, dict[str, tuple[tuple[float, float] | None, tuple[float, float] | None]]],
    *,
    nodes: tuple[str, ...],
    refused: dict[str, dict[str, str]] | None = None,
    bridged: dict[str, dict[str, str]] | None = None,
    lineage: dict[str, list[str]] | None = None,
    sizes: dict[str, tuple[int, int]] | None = None,
    estimator: str = DIRECT,
) -> ChangeTable:
    """Label a family. ``figures[key][node] = ((score, se) before, (score, se) after)``, with
    ``None`` for a side that is not published (suppressed: sample too small).
    ``refused[node]`` is the note of a node that must not be compared (its questions changed),
    ``bridged[node]`` the note of a node compared over the questions both waves share;
    ``lineage[key]`` the predecessors whose combination stands for ``key`` in the earlier wave;
    ``sizes[key]`` the respondents behind each side, for Welch–Satterthwaite df (t p-values;
    without them the p-value is normal). ``estimator`` names what the figures are (each cell
    carries it)."""
    whole = comparability(previous, current)
    keys = list(figures)
    shape = (len(keys), len(nodes))
    delta = np.full(shape, np.nan)
    se = np.full(shape, np.nan)
    df = np.full(shape, np.nan)
    small = np.zeros(shape, dtype=bool)
    incomparable = np.zeros(shape, dtype=bool)
    notes: dict[tuple[int, int], str] = {}
    for i, key in enumerate(keys):
        for j, node in enumerate(nodes):
            before, after = figures[key].get(node, (None, None))
            if whole is not None or node in (refused or {}):
                incomparable[i, j] = True
                notes[i, j] = whole or Message.QUESTIONNAIRE_CHANGED
            if before is None or after is None:
                small[i, j] = True
                continue
            delta[i, j] = after[0] - before[0]
            se[i, j] = math.sqrt(before[1] ** 2 + after[1] ** 2)
            if sizes is not None and key in sizes:
                df[i, j] = float(welch_df(before[1], sizes[key][0], after[1], sizes[key][1]))
    min_change = current.provenance.trend_threshold
    report = change_report(
        delta,
        se,
        small_sample=small,
        not_comparable=incomparable,
        fdr=FDR,
        min_change=min_change,
        df=df,
    )
    z = float(stats.norm.ppf(0.5 + current.provenance.ci_level / 2))
    reason_note = {
        Reason.SMALL_SAMPLE.value: Note.INSUFFICIENT_SAMPLE,
        Reason.MISSING_DELTA.value: Note.NO_SCORE,
        Reason.MISSING_SE.value: Message.MISSING_SE,
        Reason.NONPOSITIVE_SE.value: Message.MISSING_SE,
    }
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for i, key in enumerate(keys):
        row: dict[str, dict[str, Any]] = {}
        for j, node in enumerate(nodes):
            lab = str(report.label[i, j])
            reason = str(report.reason[i, j])
            d, s = _finite(float(report.delta[i, j])), _finite(float(report.se[i, j]))
            if reason:
                cell = undetermined(previous.ref.wave, current.ref.wave, "")
                code = notes.get((i, j)) or reason_note.get(reason, Message.MISSING_SE)
                note = label(code)
                if code == Message.QUESTIONNAIRE_CHANGED and whole is None:
                    note = (refused or {})[node]
                cell.update(note=note, note_code=code, delta=d, se=s, reason=reason)
            else:
                assert d is not None and s is not None
                cell = {
                    **empty_change(previous.ref.wave, current.ref.wave, None),
                    "delta": d,
                    "se": s,
                    "ci_low": d - z * s,
                    "ci_high": d + z * s,
                    "p_value": _finite(float(report.p[i, j])),
                    "q": _finite(float(report.q[i, j])),
                    "label": lab,
                    "label_text": label(LABEL_MESSAGE[lab]),
                    "significant": lab in DIRECTION,
                    "direction": DIRECTION.get(lab, 0),
                    "reason": "",
                    "df": _finite(float(df[i, j])),
                }
            if key in (lineage or {}):
                cell["lineage"] = list((lineage or {})[key])
                if not reason:
                    words = with_items(Message.LINEAGE, cell["lineage"])
                    cell.update(note=words, note_code=Message.LINEAGE)
            if node in (bridged or {}) and whole is None:
                cell.update(bridged=True)
                if not reason:
                    cell.update(note=(bridged or {})[node], note_code=Message.BRIDGED)
            cell["estimator"] = estimator
            row[node] = cell
        cells[key] = row
    return ChangeTable(
        from_wave=previous.ref.wave,
        to_wave=current.ref.wave,
        nodes=nodes,
        cells=cells,
        fdr=FDR,
        min_change=min_change,
        n_tested=report.n_tested,
        note_code=whole,
    )


def direct_figure(
    view: ResultsView, row: CommunityRow, node: str
) -> tuple[float | None, float | None]:
    """The published (direct) score and SE."""
    return (row.index, row.se) if node == OVERALL else row.dimension(node)[:2]


def eblup_figure(
    view: ResultsView, row: CommunityRow, node: str
) -> tuple[float | None, float | None]:
    """The Fay–Herriot EBLUP and √MSE; a published score without one (no direct SE to shrink
    by) keeps its direct score with no SE, so the rule says 无法判断 (SE missing)."""
    fit = None if view.small_area is None else view.small_area.fit(node)
    e = None if fit is None else fit.communities.get(row.code)
    if e is None:
        return direct_figure(view, row, node)[0], None
    return e.estimate, e.se


def family_estimator(previous: ResultsView, current: ResultsView) -> str:
    """``fay_herriot`` when the later wave's model says so and both snapshots have the fits of
    the overall index and every dimension; otherwise ``direct`` (older snapshots, too few
    communities for a fit): one estimator for the whole family."""
    now, before = current.small_area, previous.small_area
    if now is None or before is None or now.estimator != FAY_HERRIOT:
        return DIRECT
    nodes = (OVERALL, *current.dimension_codes)
    if any(now.fit(n) is None or before.fit(n) is None for n in nodes):
        return DIRECT
    return FAY_HERRIOT


def _row_figures(
    view: ResultsView, code: str, nodes: tuple[str, ...], figure: Figure = direct_figure
) -> dict[str, Any]:
    row = view.rows.get(code)
    out: dict[str, tuple[float, float] | None] = {}
    for node in nodes:
        if row is None or row.suppressed:
            out[node] = None
            continue
        score, se = figure(view, row, node)
        # a published score with no SE stays in: the rule labels it undetermined (missing SE)
        out[node] = None if score is None else (float(score), math.nan if se is None else se)
    return out


def with_items(code: str, items: list[str]) -> dict[str, str]:
    words = label(code)
    return {
        "zh": f"{words['zh']}（{'、'.join(items)}）",
        "en": f"{words['en']} ({', '.join(items)})",
    }


def _bridged_overall(
    view: ResultsView,
    code: str,
    dims: tuple[str, ...],
    weights: dict[str, float],
    figure: Figure = direct_figure,
) -> tuple[float, float] | None:
    """The index over the unchanged dimensions only, with the dimension weights of the later
    wave renormalised; SE = Σ a_d SE_d, the bound for perfectly correlated dimensions (the
    snapshot keeps no covariances), so a bridged change is labelled conservatively."""
    row = view.rows.get(code)
    if row is None or row.suppressed:
        return None
    total = sum(weights[d] for d in dims)
    score = se = 0.0
    for d in dims:
        d_score, d_se = figure(view, row, d)
        if d_score is None or d_se is None:
            return None
        score += weights[d] / total * d_score
        se += weights[d] / total * d_se
    return score, se


def community_table(previous: ResultsView, current: ResultsView) -> ChangeTable:
    """Communities present in both snapshots × (overall + the current wave's dimensions).

    When the questionnaire changed between the waves (their framework fingerprints differ), a
    dimension with a changed item is refused (无法判断, naming the items) and the overall index
    is bridged over the unchanged dimensions (labelled ``bridged``), or refused if none is left.
    With the Fay–Herriot estimator (:func:`family_estimator`) every figure is an EBLUP with
    √MSE, and the p-values are normal (no Welch df).
    """

    def build() -> ChangeTable:
        nodes = (OVERALL, *current.dimension_codes)
        diff = changed_items(previous.framework_fingerprint, current.framework_fingerprint)
        refused: dict[str, dict[str, str]] = {}
        bridged: dict[str, dict[str, str]] = {}
        unchanged = tuple(current.dimension_codes)
        if diff:
            touched = {d for dims in diff.values() for d in dims.split(",") if d}
            for d in current.dimension_codes:
                if d in touched:
                    refused[d] = with_items(
                        Message.QUESTIONNAIRE_CHANGED, [c for c, ds in diff.items() if d in ds]
                    )
                else:
                    bridged[d] = label(Message.BRIDGED)
            unchanged = tuple(d for d in current.dimension_codes if d not in touched)
            weights = {d: current.dimension_weights.get(d) for d in unchanged}
            if unchanged and all(w is not None and w > 0 for w in weights.values()):
                bridged[OVERALL] = with_items(Message.BRIDGED, sorted(touched))
            else:
                refused[OVERALL] = with_items(Message.QUESTIONNAIRE_CHANGED, sorted(diff))
        estimator = family_estimator(previous, current)
        figure = eblup_figure if estimator == FAY_HERRIOT else direct_figure
        figures = {}
        lineage: dict[str, list[str]] = {}
        sizes: dict[str, tuple[int, int]] = {}
        for code in current.rows:
            after = _row_figures(current, code, nodes, figure)
            n_after = current.rows[code].n or 0
            if code not in previous.rows:
                preds = predecessors(current, code)
                if not preds or not any(p in previous.rows for p, _share in preds):
                    continue  # a new community: nothing to compare with
                lineage[code] = [p for p, _share in preds]
                n_before = sum((r.n or 0) for p, _s in preds if (r := previous.rows.get(p)))
                sizes[code] = (n_before, n_after)
                before = {n: combined(previous, preds, n, figure) for n in nodes}
                if OVERALL in bridged:
                    before[OVERALL] = None  # lineage and a new questionnaire: not combined
                figures[code] = {n: (before[n], after[n]) for n in nodes}
                continue
            before = _row_figures(previous, code, nodes, figure)
            sizes[code] = (previous.rows[code].n or 0, n_after)
            if OVERALL in bridged:
                w = {d: float(current.dimension_weights[d] or 0.0) for d in unchanged}
                before[OVERALL] = _bridged_overall(previous, code, unchanged, w, figure)
                after[OVERALL] = _bridged_overall(current, code, unchanged, w, figure)
            figures[code] = {n: (before[n], after[n]) for n in nodes}
        return build_table(
            previous,
            current,
            figures,
            nodes=nodes,
            refused=refused,
            bridged=bridged,
            lineage=lineage,
            sizes=sizes if estimator == DIRECT else None,
            estimator=estimator,
        )

    table: ChangeTable = current.memo(f"change-rule-communities-{previous.ref.id}", build)
    return table


def area_table(previous: ResultsView, current: ResultsView) -> ChangeTable:
    """Every street's overall index and the district's (key ``DISTRICT``): one family.

    Each area's change compares the same communities in both waves: those published in both
    (a community suppressed in one wave would otherwise change the estimand, not the residents'
    view). So a street's Δ may differ slightly from the difference of its two published means.
    """

    def build() -> ChangeTable:
        both = {r.code for r in previous.published_rows()} & {
            r.code for r in current.published_rows()
        }
        streets = {code: m.street for code, m in current.meta.items()}
        groups: dict[str, list[str]] = {}
        for code in sorted(both):
            if streets.get(code) is not None and code in previous.meta:
                groups.setdefault(str(streets[code]), []).append(code)
        figures: dict[str, dict[str, Any]] = {
            code: {OVERALL: (figure_over(previous, members), figure_over(current, members))}
            for code, members in groups.items()
        }
        for code in aggregates(current)["streets"]:  # a street with nothing comparable
            figures.setdefault(code, {OVERALL: (None, None)})
        figures[DISTRICT] = {OVERALL: (figure_over(previous, both), figure_over(current, both))}
        return build_table(previous, current, figures, nodes=(OVERALL,))

    table: ChangeTable = current.memo(f"change-rule-areas-{previous.ref.id}", build)
    return table
