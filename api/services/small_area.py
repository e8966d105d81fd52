"""Fay–Herriot small-area estimates of each published community's index and dimensions, stored
with the snapshot (issue 12; scoring/small_area.py; docs/methods.md, "Small-area estimates").

The model shrinks a community's direct figure toward its street's mean by its own sampling
variance: ``y_c = x_cᵀβ + v_c + e_c`` with street dummies ``x_c`` (intercept only when there
are too few communities per street), REML ``σ²_v``, Prasad–Rao / Datta–Lahiri MSE and a
normal interval at the snapshot's level — fitted separately for the overall index and for each
dimension. Only published communities enter (a suppressed value can neither be estimated nor
influence another's estimate).

The direct estimate stays the published figure. When the weight model says
``estimator: fay_herriot``, the snapshot also stores ranks by EBLUP (``ranks``): the point rank
of the EBLUPs and Klein–Wright–Wieczorek rank sets from the EBLUPs and √MSE
(``scoring.rank_sets``) — per community (``rank_low``/``rank_high``, as the bootstrap interval
is per community) and joint, with tiers (what ``rank_sets`` holds for direct estimates).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from scoring.errors import ScoringError
from scoring.rank_sets import rank_sets
from scoring.small_area import dummies, fay_herriot

# REML works on dense m × m matrices: a city (3,000 communities) would cost ~0.3 GB and
# seconds per iteration, so above this the snapshot has no small-area estimates (yet).
MAX_COMMUNITIES = 500
DIRECT = "direct"
FAY_HERRIOT = "fay_herriot"


def rows_with_standard_errors(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The published communities of a snapshot's results that have an index and a positive,
    finite standard error: what the small-area fit and the joint rank sets can use."""
    return [r for r in _published(results) if _usable(r["index"], r["se"])]


def _published(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = results.get("communities") or ()
    return [r for r in rows if not r["suppressed"] and r["index"] is not None]


def _usable(score: Any, se: Any) -> bool:
    return score is not None and se is not None and bool(np.isfinite(se)) and se > 0


def _fit(
    codes: list[str], y: list[float], se: list[float], streets: list[str], level: float
) -> dict[str, Any] | None:
    """One Fay–Herriot fit (street dummies, or one common mean) as stored, or None."""
    if not 4 <= len(codes) <= MAX_COMMUNITIES:
        return None
    design = "street"
    X = dummies(streets)
    if X.shape[1] >= len(codes) - 1:  # too few communities per street: one common mean
        X, design = np.ones((len(codes), 1)), "intercept"
    try:
        fh = fay_herriot(np.array(y), np.array(se) ** 2, X, level=level)
    except ScoringError:
        return None
    return {
        "method": fh.method,
        "design": design,
        "sigma2_v": float(fh.sigma2_v),
        "level": level,
        "communities": {
            code: {
                "estimate": float(fh.estimate[i]),
                "mse": float(fh.mse[i]),
                "ci_low": float(fh.ci_low[i]),
                "ci_high": float(fh.ci_high[i]),
                "gamma": float(fh.gamma[i]),
            }
            for i, code in enumerate(codes)
        },
    }


def estimator_of(results: Mapping[str, Any]) -> str:
    """The weight model's ``estimator`` (``direct`` for models stored before the field)."""
    definition = (results.get("provenance") or {}).get("model_definition") or {}
    return str(definition.get("estimator") or DIRECT)


def small_area_estimates(results: dict[str, Any]) -> dict[str, Any] | None:
    """``{"method", "design", "sigma2_v", "level", "communities": {code: {...}},
    "dimensions": {dim: {same shape} | None}, "estimator", "ranks"}`` or None (too few).

    ``estimator`` is what ranks and change labels use: ``fay_herriot`` only when the model
    asks for it *and* every ranked community has an EBLUP (otherwise ranks would mix
    estimators); ``ranks`` is then filled (see the module docstring), else None.
    """
    street = {m["code"]: str(m.get("street")) for m in results.get("community_meta") or ()}
    level = float((results.get("provenance") or {}).get("ci_level") or 0.9)
    rows = rows_with_standard_errors(results)
    codes = [r["code"] for r in rows]
    overall = _fit(
        codes,
        [float(r["index"]) for r in rows],
        [float(r["se"]) for r in rows],
        [street.get(c, "None") for c in codes],
        level,
    )
    if overall is None:
        return None
    dim_codes = list((results.get("codes") or {}).get("dimensions") or ())
    dimensions: dict[str, Any] = {}
    for d in dim_codes:
        cells = [(r["code"], r["dimensions"].get(d) or {}) for r in _published(results)]
        cells = [(c, x) for c, x in cells if _usable(x.get("score"), x.get("se"))]
        dimensions[d] = _fit(
            [c for c, _x in cells],
            [float(x["score"]) for _c, x in cells],
            [float(x["se"]) for _c, x in cells],
            [street.get(c, "None") for c, _x in cells],
            level,
        )
    ranked = {r["code"] for r in _published(results) if r.get("rank") is not None}
    wanted = estimator_of(results) == FAY_HERRIOT
    covered = ranked <= set(overall["communities"])
    estimator = FAY_HERRIOT if wanted and covered else DIRECT
    return {
        **overall,
        "dimensions": dimensions,
        "estimator": estimator,
        # why a model's fay_herriot was not applied (a ranked community without an EBLUP)
        "estimator_note": None if estimator == FAY_HERRIOT or not wanted else "not_all_ranked",
        "ranks": eblup_ranks(overall, 1.0 - level) if estimator == FAY_HERRIOT else None,
    }


def eblup_ranks(fit: Mapping[str, Any], alpha: float) -> dict[str, Any] | None:
    """Ranks by EBLUP (1 = best, ties share the best rank) with KWW rank sets from the EBLUPs
    and √MSE: per community (``rank_low``/``rank_high``) and joint (``joint``: the shape of the
    snapshot's ``rank_sets``). Pairs are treated as independent: the EBLUPs' prediction errors
    are non-negatively correlated within a street (shared β̂), so the variance of a difference is
    at most MSE_i + MSE_j and the sets are conservative."""
    codes = list(fit["communities"])
    est = [fit["communities"][c]["estimate"] for c in codes]
    se = [float(np.sqrt(fit["communities"][c]["mse"])) for c in codes]
    try:
        single = rank_sets(est, se, alpha=alpha, coverage="individual")
        joint = rank_sets(est, se, alpha=alpha, coverage="joint")
    except ScoringError:
        return None
    return {
        "method": f"{single.method}/{single.coverage}",
        "alpha": single.alpha,
        "communities": {
            c: {
                "rank": int(single.rank[i]),
                "rank_low": int(single.lower[i]),
                "rank_high": int(single.upper[i]),
            }
            for i, c in enumerate(codes)
        },
        "joint": joint.sets_by_code(codes),
    }
