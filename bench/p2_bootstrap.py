"""P2: bootstrap (B = 1,000) of every community's index, dimensions, OSI and rank, city scale.

Subject: :func:`scoring.bootstrap.bootstrap` on the rescaled, raked wave (the part of
``score_wave`` that the bootstrap adds), with the weights held fixed as before issue 12; the
product's default re-rakes every replicate (``calibration=``, docs/methods.md §6), timed too
and reported as ``reraked_median_s`` against the same loop re-raking each replicate with
``rake`` (``reraked_ref_s``, ``reraked_ratio``).
Reference: a per-replicate Python loop over the same
data — draw Poisson(1) multipliers, recompute the weighted community item means with a sparse
product, aggregate the tree, keep the replicate — timed for a few replicates and extrapolated
to B (stated in ``params``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench._city import CITY, city_wave
from bench.harness import interleaved, machine, summary
from scoring.aggregate import aggregate_tree, indicator
from scoring.bootstrap import bootstrap
from scoring.rank import nan_quantiles, rank_min
from scoring.rescale import LazyScores, rescale_items, rescale_outcomes
from scoring.stages.uncertainty import REPLICATE_TOL
from scoring.survey_weights import Calibration, rake
from scoring.weight_model import builtin_model

ID = "P2"
TITLE = "bootstrap B=1000 (index, dims, OSI, rank) vs per-replicate loop"
B = 1000
LOOP_REPLICATES = 4
LOOP_REPLICATES_RERAKED = 2


def run(runs: int) -> dict[str, Any]:
    fw, data = city_wave()
    model = builtin_model("expert-v0")
    dim_w, _ = model.resolve_dimension_weights(fw)
    spec = model.tree_spec(fw, dim_w)
    S = rescale_items(data.X[:, :36], fw.points, fw.reverse, "ptm")
    Q = rescale_outcomes(data.X[:, 36:], fw.outcome_low, fw.outcome_high)
    g, m = data.group_index, data.m
    assert data.strata is not None and data.margins is not None
    strata, margins = data.strata, data.margins  # narrowed for the closures below
    w = rake(g, strata, margins, data.margin_shape).weights
    missing = np.isnan(S)
    S0, M = np.where(missing, 0.0, S), (~missing).astype(float)

    lazy = LazyScores(data.X[:, :36], fw.points, fw.reverse, "ptm")  # as score_wave passes it

    def subject() -> Any:
        return bootstrap(lazy, w, g, m, fw, spec, outcomes=Q, B=B, random_state=0)

    def loop_replicates() -> Any:
        rng = np.random.default_rng(0)
        reps = []
        for _ in range(LOOP_REPLICATES):
            G = indicator(g, m, w * rng.poisson(1.0, size=g.size))
            with np.errstate(invalid="ignore", divide="ignore"):
                reps.append(aggregate_tree((G @ S0) / (G @ M), fw, spec).overall)
        # The loop's summaries over its replicates (a negligible share of its time).
        arr = np.array(reps)
        return nan_quantiles(arr, [0.05, 0.95], axis=0), rank_min(arr)

    subj, ref = interleaved(subject, loop_replicates, runs=runs, ref_runs=min(runs, 3))
    s = summary(subj)
    cal = Calibration(data.strata, data.margins, data.margin_shape, None, tol=REPLICATE_TOL)

    def reraked() -> Any:
        return bootstrap(lazy, w, g, m, fw, spec, outcomes=Q, B=B, random_state=0, calibration=cal)

    def loop_replicates_reraked() -> Any:
        # The same loop, raking every replicate again with ``rake`` (multipliers as base
        # weights, resampled rows only): what the calibrated bootstrap replaces.
        rng = np.random.default_rng(0)
        reps = []
        for _ in range(LOOP_REPLICATES_RERAKED):
            r = rng.poisson(1.0, size=g.size).astype(float)
            keep = r > 0
            wr = np.zeros(g.size)
            wr[keep] = rake(
                g[keep],
                strata[keep],
                margins,
                data.margin_shape,
                base_weights=r[keep],
                tol=REPLICATE_TOL,
            ).weights
            G = indicator(g, m, wr)
            with np.errstate(invalid="ignore", divide="ignore"):
                reps.append(aggregate_tree((G @ S0) / (G @ M), fw, spec).overall)
        arr = np.array(reps)
        return nan_quantiles(arr, [0.05, 0.95], axis=0), rank_min(arr)

    rr, ref_rr = interleaved(reraked, loop_replicates_reraked, runs=runs, ref_runs=1)
    s_rr = summary(rr)
    ref_rr_total = float(np.median(ref_rr)) / LOOP_REPLICATES_RERAKED * B
    per_rep = float(np.median(ref)) / LOOP_REPLICATES
    ref_total = per_rep * B
    return {
        "id": ID,
        **s,
        "ref_median_s": ref_total,
        "ratio": ref_total / s["median_s"],
        "reraked_median_s": s_rr["median_s"],
        "reraked_ref_s": ref_rr_total,
        "reraked_ratio": ref_rr_total / s_rr["median_s"],
        "note": f"reference extrapolated from {LOOP_REPLICATES} replicates ×{B // LOOP_REPLICATES}",
        "params": {
            **CITY,
            "rows": data.n,
            "B": B,
            "runs": runs,
            "reference": f"per-replicate loop, {LOOP_REPLICATES} replicates timed, "
            f"extrapolated to B={B} ({per_rep:.3f} s per replicate)",
            "machine": machine(),
        },
    }
