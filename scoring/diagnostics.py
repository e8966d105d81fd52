"""Per-wave diagnostics attached to a result: reliability per dimension and priorities.

Thin glue over :mod:`scoring.reliability`, :mod:`scoring.importance` and
:mod:`scoring.priorities`: it only shapes their inputs from the pipeline's arrays and their
outputs into JSON-safe dicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring import priorities as pri
from scoring import reliability as rel
from scoring.aggregate import (
    ItemStats,
    Scores,
    TreeSpec,
    _jacobian,
    equal_spec,
    linearised_node_se,
)
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework
from scoring.icc import icc_oneway
from scoring.importance import Quadrant, ipa_quadrants


def respondent_subscores(S: Scores, fw: Framework, *, complete: bool = False) -> np.ndarray:
    """Each respondent's sub-dimension scores (mean of answered items), (n, S).

    ``complete=True``: NaN unless *every* item of the sub-dimension is answered. The derived
    importance uses this: a mean of fewer answered items is a noisier score, so with
    mean-of-answered scores a sub-dimension's importance would fall with its don't-know rate
    (attenuation); complete scores have the same reliability whatever the DK rate, and the
    pairwise-complete correlations then handle don't-know without bias when it is random.
    """
    A = np.zeros((fw.n_items, len(fw.subdimension_codes)))
    A[np.arange(fw.n_items), fw.sub_of_item] = 1.0
    size = A.sum(axis=0)
    out = np.empty((S.shape[0], A.shape[1]))
    for a in range(0, S.shape[0], 65536):  # chunks: no full-size temporaries
        block = S[a : a + 65536]
        ok = ~np.isnan(block)
        answered = ok.astype(float) @ A
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (np.where(ok, block, 0.0) @ A) / answered
        out[a : a + 65536] = np.where(answered == size, mean, np.nan) if complete else mean
    return out


def respondent_dimension_scores(S: Scores, fw: Framework, *, complete: bool = False) -> np.ndarray:
    """Each respondent's dimension scores (mean of answered items of the dimension), (n, D);
    ``complete=True``: NaN unless every item of the dimension is answered (as in
    :func:`respondent_subscores`)."""
    A = np.zeros((fw.n_items, len(fw.dimension_codes)))
    A[np.arange(fw.n_items), fw.dim_of_item] = 1.0
    size = A.sum(axis=0)
    out = np.empty((S.shape[0], A.shape[1]))
    for a in range(0, S.shape[0], 65536):
        block = S[a : a + 65536]
        ok = ~np.isnan(block)
        answered = ok.astype(float) @ A
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (np.where(ok, block, 0.0) @ A) / answered
        out[a : a + 65536] = np.where(answered == size, mean, np.nan) if complete else mean
    return out


def wave_diagnostics(
    data: SurveyData,
    fw: Framework,
    S: Scores,
    Q: np.ndarray | None,
    weights: np.ndarray,
    sub_scores: np.ndarray,
    stats: ItemStats,
    outcome_weights: np.ndarray | None,
    suppressed: np.ndarray,
    *,
    max_rows: int = 200_000,
    random_state: int = 0,
    item_means: np.ndarray | None = None,
    spec: TreeSpec | None = None,
    level: float = 0.90,
    importance_bootstrap: int = 200,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any] | None] | None]:
    """Reliability report, district priorities and each community's priority lists.

    Reliability and derived importance are wave-level statistics: above ``max_rows``
    respondents they are computed on a seeded random subsample of that size (their sampling
    error is then ~0.002, far below what they are used for), which bounds time and memory at
    city scale. The subsample size is reported. Priorities: :func:`wave_priorities`
    (``item_means`` and ``spec`` as the index used them, for the sub-dimension SEs; the
    importance bootstrap has ``importance_bootstrap`` replicates over communities).
    """
    S_full = S
    Xi = data.columns(fw.item_codes)
    sample = np.arange(data.n)
    if data.n > max_rows:
        sample = np.sort(
            np.random.default_rng(random_state).choice(data.n, max_rows, replace=False)
        )
        Xi, S = Xi[sample], S[sample]
        Q = None if Q is None else Q[sample]
    blocks = {
        d: [fw.item_codes[j] for j in np.flatnonzero(fw.dim_of_item == k)]
        for k, d in enumerate(fw.dimension_codes)
    }
    reverse = [c for c, r in zip(fw.item_codes, fw.reverse, strict=True) if r]
    points = int(fw.points[0]) if np.all(fw.points == fw.points[0]) else 5
    report = rel.reliability_report(Xi, fw.item_codes, blocks, reverse=reverse, points=points)
    reliability: dict[str, Any] = {k: v.to_dict() for k, v in report.items()}
    reliability["_rows_used"] = int(sample.size)
    # Reliability of community means (Bliese 2000): ICC(1) and ICC(2) = λ per dimension, on
    # respondents' dimension scores (published 0–100 scale) grouped by community.
    dims = respondent_dimension_scores(S, fw)
    for k, d in enumerate(fw.dimension_codes):
        if d in reliability:
            try:
                icc = icc_oneway(dims[:, k], data.group_index[sample])
            except ScoringError:
                continue
            reliability[d]["icc1"] = icc.icc1 if np.isfinite(icc.icc1) else None
            reliability[d]["icc2"] = icc.icc2 if np.isfinite(icc.icc2) else None
    if Q is None:
        return reliability, None, None
    try:
        district, rows = wave_priorities(
            data,
            fw,
            S,
            Q,
            weights,
            sub_scores,
            stats,
            suppressed,
            sample=sample,
            S_full=S_full,
            item_means=item_means,
            spec=spec,
            level=level,
            bootstrap=importance_bootstrap,
            random_state=random_state,
        )
    except ScoringError as exc:
        return reliability, {"error": str(exc)}, None
    return reliability, district, rows


#: How the wave's importance is derived (stored with the priorities, shown on the pages).
IMPORTANCE_METHOD = (
    "relative weights (Johnson 2000) of the overall satisfaction on the sub-dimension scores, "
    "within communities (community fixed effects), don't-know handled pairwise, with a "
    "cluster bootstrap over communities"
)


def subdimension_se(
    S: Scores,
    weights: np.ndarray,
    group: np.ndarray,
    stats: ItemStats,
    item_means: np.ndarray,
    fw: Framework,
    spec: TreeSpec,
    sub_scores: np.ndarray,
) -> np.ndarray:
    """Linearisation SE of each community's sub-dimension scores, (m, S).

    The gradient of a sub-dimension w.r.t. its item means is the tree's own first level
    (``scoring.aggregate._jacobian``, arithmetic or geometric, excluded items at 0), so the SE
    is the one :func:`scoring.aggregate.linearised_node_se` gives the dimensions, one level
    down.
    """
    J = _jacobian(item_means, fw.sub_of_item, spec.item_w, sub_scores, spec.geo_sub)
    return linearised_node_se(S, weights, group, stats, J)


def wave_priorities(
    data: SurveyData,
    fw: Framework,
    S: Scores,
    Q: np.ndarray,
    weights: np.ndarray,
    sub_scores: np.ndarray,
    stats: ItemStats,
    suppressed: np.ndarray,
    *,
    sample: np.ndarray,
    S_full: Scores,
    item_means: np.ndarray | None,
    spec: TreeSpec | None,
    level: float,
    bootstrap: int,
    random_state: int,
) -> tuple[dict[str, Any], list[dict[str, Any] | None]]:
    """District importance with intervals and each community's quadrants (docs/methods.md,
    "Derived importance").

    Importance: :func:`scoring.priorities.clustered_importance` of the respondent OSI (mean of
    the answered outcomes) on the respondents' complete sub-dimension scores (every item of
    the sub-dimension answered; :func:`respondent_subscores`), grouped by community (on the
    ``sample`` rows). Quadrants: :func:`scoring.importance.ipa_quadrants` on the
    published communities' sub-dimension scores and their linearisation SEs — a cell gets a
    quadrant only when both its gap to the sub-dimension's district median and the
    importance interval against ``1/k`` are clear at ``level``; otherwise ``undetermined``.
    """
    codes = fw.subdimension_codes
    y = row_mean(Q)
    imp = pri.clustered_importance(
        respondent_subscores(S, fw, complete=True),
        y,
        data.group_index[sample],
        B=bootstrap,
        level=level,
        random_state=random_state,
    )
    spec = spec if spec is not None else equal_spec(fw)
    means = stats.mean if item_means is None else item_means
    se = subdimension_se(S_full, weights, data.group_index, stats, means, fw, spec, sub_scores)
    perf = np.where(suppressed[:, None], np.nan, sub_scores)
    perf_se = np.where(suppressed[:, None], np.nan, se)
    ipa = ipa_quadrants(perf, perf_se, imp.importance_low, imp.importance_high, level=level)
    sat_items = stats.pct_positive if stats.pct_positive is not None else stats.mean
    A = np.zeros((fw.n_items, len(codes)))
    A[np.arange(fw.n_items), fw.sub_of_item] = 1.0
    ok = ~np.isnan(sat_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        sat = (np.where(ok, sat_items, 0.0) @ A) / (ok @ A) / 100.0
    stated = None
    if data.priorities is not None and data.priorities.shape[1] == len(codes):
        stated = pri.stated_importance_shares(
            data.priorities, data.group_index, n_groups=data.m, sample_weight=weights
        )
        is_res = pri.importance_satisfaction(stated, np.clip(sat, 0.0, 1.0))
    subs = np.array(codes, dtype=object)
    gaps, ses = _json_floats(ipa.gap), _json_floats(perf_se)  # once, not per cell
    rows: list[dict[str, Any] | None] = []
    for i in range(data.m):  # building per-community JSON: output-sized, not data-sized
        quad = ipa.quadrant[i]
        first = np.flatnonzero(quad == Quadrant.PRIORITY.value)
        first = first[np.argsort(ipa.gap[i, first], kind="stable")]  # furthest below first
        row: dict[str, Any] = {
            "improve_first": subs[first].tolist(),
            "keep_up": subs[np.flatnonzero(quad == Quadrant.MAINTAIN.value)].tolist(),
            "quadrants": dict(zip(codes, quad.tolist(), strict=True)),
            "gaps": dict(zip(codes, gaps[i], strict=True)),
            "performance_se": dict(zip(codes, ses[i], strict=True)),
        }
        if stated is not None:
            row["stated_top"] = subs[is_res.order[i, :3]].tolist()
        rows.append(row)
    district = {
        "importance_method": IMPORTANCE_METHOD,
        "estimator": "within_relative_weights",
        "importance": dict(zip(codes, map(float, imp.importance), strict=True)),
        "importance_low": dict(zip(codes, map(_num, imp.importance_low), strict=True)),
        "importance_high": dict(zip(codes, map(_num, imp.importance_high), strict=True)),
        "importance_side": dict(zip(codes, map(int, ipa.importance_side), strict=True)),
        "importance_cut": ipa.importance_cut,
        "r2": imp.r2,
        "psd_adjusted": imp.psd_adjusted,
        "bootstrap": int(bootstrap),
        "level": float(level),
        "rows_used": int(sample.size),
        # one crosshair per sub-dimension (its district median); the single grand-mean
        # crosshair of older snapshots is gone (None tells readers so)
        "performance_cut": None,
        "performance_cuts": dict(zip(codes, map(_num, ipa.cut), strict=True)),
    }
    return district, rows


def _json_floats(M: np.ndarray) -> list[list[float | None]]:
    """Nested lists of floats with None for NaN (JSON-safe)."""
    # v == v is False only for NaN
    return [[v if v == v else None for v in row] for row in np.asarray(M, float).tolist()]


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def row_mean(Q: np.ndarray) -> np.ndarray:
    """Each row's mean over its answered entries (NaN when none): the respondent OSI."""
    ok = ~np.isnan(Q)
    k = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 0, np.where(ok, Q, 0.0).sum(axis=1) / k, np.nan)
