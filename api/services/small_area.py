"""Fay–Herriot small-area estimates of each published community's index, stored with the
snapshot (issue 12; scoring/small_area.py; docs/methods.md §9).

The model shrinks a community's direct index toward its street's mean by its own sampling
variance: ``y_c = x_cᵀβ + v_c + e_c`` with street dummies ``x_c`` (intercept only when there
are too few communities per street), REML ``σ²_v``, Prasad–Rao / Datta–Lahiri MSE and a
normal interval at the snapshot's level. Only published communities enter (a suppressed value
can neither be estimated nor influence another's estimate). The direct estimate stays the
published figure; the EBLUP is shown beside it (``estimator: fay_herriot`` is not yet a model
option).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from scoring.errors import ScoringError
from scoring.small_area import dummies, fay_herriot

# REML works on dense m × m matrices: a city (3,000 communities) would cost ~0.3 GB and
# seconds per iteration, so above this the snapshot has no small-area estimates (yet).
MAX_COMMUNITIES = 500


def rows_with_standard_errors(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The published communities of a snapshot's results that have an index and a positive,
    finite standard error: what the small-area fit and the joint rank sets can use."""
    return [
        r
        for r in results.get("communities") or ()
        if not r["suppressed"]
        and r["index"] is not None
        and r["se"] is not None
        and np.isfinite(r["se"])
        and r["se"] > 0
    ]


def small_area_estimates(results: dict[str, Any]) -> dict[str, Any] | None:
    """``{"method", "sigma2_v", "design", "communities": {code: {...}}}`` or None (too few)."""
    street = {m["code"]: m.get("street") for m in results.get("community_meta") or ()}
    rows = rows_with_standard_errors(results)
    if not 4 <= len(rows) <= MAX_COMMUNITIES:
        return None
    y = np.array([float(r["index"]) for r in rows])
    psi = np.array([float(r["se"]) ** 2 for r in rows])
    labels = [str(street.get(r["code"])) for r in rows]
    design = "street"
    X = dummies(labels)
    if X.shape[1] >= len(rows) - 1:  # too few communities per street: one common mean
        X, design = np.ones((len(rows), 1)), "intercept"
    level = float((results.get("provenance") or {}).get("ci_level") or 0.9)
    try:
        fh = fay_herriot(y, psi, X, level=level)
    except ScoringError:
        return None
    return {
        "method": fh.method,
        "design": design,
        "sigma2_v": float(fh.sigma2_v),
        "level": level,
        "communities": {
            r["code"]: {
                "estimate": float(fh.estimate[i]),
                "mse": float(fh.mse[i]),
                "ci_low": float(fh.ci_low[i]),
                "ci_high": float(fh.ci_high[i]),
                "gamma": float(fh.gamma[i]),
            }
            for i, r in enumerate(rows)
        },
    }
