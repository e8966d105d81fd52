"""Per-wave diagnostics attached to a result: reliability per dimension and priorities.

Thin glue over :mod:`scoring.reliability` and :mod:`scoring.priorities`: it only shapes their
inputs from the pipeline's arrays and their outputs into JSON-safe dicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring import priorities as pri
from scoring import reliability as rel
from scoring.aggregate import ItemStats, Scores
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework
from scoring.icc import icc_oneway
from scoring.weighting import derived_importance


def respondent_subscores(S: Scores, fw: Framework) -> np.ndarray:
    """Each respondent's sub-dimension scores (mean of answered items), (n, S)."""
    A = np.zeros((fw.n_items, len(fw.subdimension_codes)))
    A[np.arange(fw.n_items), fw.sub_of_item] = 1.0
    out = np.empty((S.shape[0], A.shape[1]))
    for a in range(0, S.shape[0], 65536):  # chunks: no full-size temporaries
        block = S[a : a + 65536]
        ok = ~np.isnan(block)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a : a + 65536] = (np.where(ok, block, 0.0) @ A) / (ok.astype(float) @ A)
    return out


def respondent_dimension_scores(S: Scores, fw: Framework) -> np.ndarray:
    """Each respondent's dimension scores (mean of answered items of the dimension), (n, D)."""
    A = np.zeros((fw.n_items, len(fw.dimension_codes)))
    A[np.arange(fw.n_items), fw.dim_of_item] = 1.0
    out = np.empty((S.shape[0], A.shape[1]))
    for a in range(0, S.shape[0], 65536):
        block = S[a : a + 65536]
        ok = ~np.isnan(block)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a : a + 65536] = (np.where(ok, block, 0.0) @ A) / (ok.astype(float) @ A)
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
) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any] | None] | None]:
    """Reliability report, district priorities and each community's priority lists.

    Reliability and derived importance are wave-level statistics: above ``max_rows``
    respondents they are computed on a seeded random subsample of that size (their sampling
    error is then ~0.002, far below what they are used for), which bounds time and memory at
    city scale. The subsample size is reported.
    """
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

    # Derived importance: correlation of each sub-dimension with the OSI across respondents.
    y = _row_mean(Q)
    try:
        imp = derived_importance(respondent_subscores(S, fw), y, method="correlation")
    except ScoringError as exc:
        return reliability, {"error": str(exc)}, None
    perf = np.where(suppressed[:, None], np.nan, sub_scores)
    ipa = pri.importance_performance(imp.importances, perf)
    sat_items = stats.pct_positive if stats.pct_positive is not None else stats.mean
    A = np.zeros((fw.n_items, len(fw.subdimension_codes)))
    A[np.arange(fw.n_items), fw.sub_of_item] = 1.0
    ok = ~np.isnan(sat_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        sat = (np.where(ok, sat_items, 0.0) @ A) / (ok @ A) / 100.0
    stated = None
    if data.priorities is not None and data.priorities.shape[1] == len(fw.subdimension_codes):
        stated = pri.stated_importance_shares(
            data.priorities, data.group_index, n_groups=data.m, sample_weight=weights
        )
        is_res = pri.importance_satisfaction(stated, np.clip(sat, 0.0, 1.0))
    subs = np.array(fw.subdimension_codes, dtype=object)
    rows: list[dict[str, Any] | None] = []
    for i in range(data.m):  # building per-community JSON: output-sized, not data-sized
        quad = ipa.quadrant[i]
        first = np.flatnonzero(quad == 0)
        first = first[np.argsort(perf[i, first])]
        row: dict[str, Any] = {
            "improve_first": subs[first].tolist(),
            "keep_up": subs[np.flatnonzero(quad == 1)].tolist(),
        }
        if stated is not None:
            row["stated_top"] = subs[is_res.order[i, :3]].tolist()
        rows.append(row)
    district = {
        "importance_method": "correlation with the OSI across respondents",
        "importance": dict(zip(fw.subdimension_codes, map(float, imp.importances), strict=True)),
        "rows_used": int(sample.size),
        "performance_cut": float(np.nanmean(perf)) if np.isfinite(perf).any() else None,
    }
    return reliability, district, rows


def _row_mean(Q: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(Q)
    k = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 0, np.where(ok, Q, 0.0).sum(axis=1) / k, np.nan)
