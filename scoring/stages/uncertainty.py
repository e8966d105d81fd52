"""Stage 7, uncertainty: standard errors and intervals of the index, the dimensions and the OSI,
and rank intervals: by the bootstrap (B > 0), by linearisation, or none.

Item SEs are always linearised (:func:`~scoring.aggregate.item_stats`); this stage is about the
nodes of the tree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from scoring.aggregate import linearised_node_se, node_gradients
from scoring.bootstrap import bootstrap as run_bootstrap
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework
from scoring.stages.aggregates import Aggregates
from scoring.stages.dimension_weights import (
    COMMUNITY_MEAN_METHODS,
    ResolvedWeights,
    methods_of,
    resolve_weights,
)
from scoring.stages.index_tree import IndexTree
from scoring.stages.rescaling import Rescaled
from scoring.survey_weights import Calibration
from scoring.weight_model import WeightModel

NODE_SE = ("auto", "bootstrap", "linearised", "none")
#: ``bootstrap_calibration``: ``"auto"`` re-rakes every replicate when the wave has margins
#: and cells (else holds the weights fixed), ``"reraked"`` requires margins, ``"fixed"`` holds
#: the point estimate's survey weights fixed across replicates.
CALIBRATION = ("auto", "reraked", "fixed")
#: IPF tolerance of the replicates' raking (relative gap of the margins).
REPLICATE_TOL = 1e-4


@dataclass(frozen=True)
class Uncertainty:
    """SEs and interval bounds (NaN where not estimated); ``method`` is ``"bootstrap"``,
    ``"linearised"`` or ``"none"``. Shapes: (m,) for the index, OSI and ranks; (m, D) for the
    dimensions.

    ``index_reps``: the bootstrap replicates of the index, (m, B), for the grade probabilities
    of the publication stage; None without a bootstrap."""

    method: str
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    dim_se: np.ndarray
    dim_ci_low: np.ndarray
    dim_ci_high: np.ndarray
    osi_se: np.ndarray
    osi_ci_low: np.ndarray
    osi_ci_high: np.ndarray
    index_reps: np.ndarray | None = None


def bootstrap_steps(
    data: SurveyData,
    model: WeightModel | None,
    *,
    bootstrap: int,
    node_se: str = "auto",
    bootstrap_calibration: str = "auto",
    reresolve: bool = True,
) -> dict[str, str]:
    """How the bootstrap treats the weighting steps (the provenance says so):
    ``bootstrap_calibration`` ``"reraked"`` (every replicate raked again to the margins) or
    ``"fixed"``, ``bootstrap_dimension_weights`` ``"re-resolved"`` (data-driven weights
    resolved on every replicate) or ``"fixed"``; empty when there is no bootstrap."""
    if bootstrap_calibration not in CALIBRATION:
        raise ScoringError("bootstrap_calibration must be 'auto', 'reraked' or 'fixed'")
    if not (bootstrap > 0 and node_se in ("auto", "bootstrap")):
        return {}
    has_margins = data.margins is not None and data.strata is not None
    if bootstrap_calibration == "reraked" and not has_margins:
        raise ScoringError("bootstrap_calibration='reraked' needs the wave's margins and cells")
    reraked = has_margins and bootstrap_calibration != "fixed"
    resolved = model is not None and model.is_data_driven and reresolve
    return {
        "bootstrap_calibration": "reraked" if reraked else "fixed",
        "bootstrap_dimension_weights": "re-resolved" if resolved else "fixed",
    }


def uncertainty(
    data: SurveyData,
    framework: Framework,
    rescaled: Rescaled,
    weights: np.ndarray,
    agg: Aggregates,
    resolved: ResolvedWeights,
    index: IndexTree,
    *,
    level: float,
    node_se: str = "auto",
    bootstrap: int = 1000,
    random_state: int = 0,
    progress: Callable[[int, int], None] | None = None,
    model: WeightModel | None = None,
    bootstrap_calibration: str = "auto",
    reresolve: bool = True,
) -> Uncertainty:
    """Node uncertainty at confidence ``level``.

    The bootstrap includes the weighting steps: with ``bootstrap_calibration`` (see
    :data:`CALIBRATION`) every replicate is raked again to the wave's margins, and with
    ``model`` data-driven dimension weights are resolved again on every replicate
    (``reresolve=False`` holds them fixed). Fixed-weight models keep the single-spec path.

    ``node_se``: ``"auto"`` (bootstrap when ``bootstrap`` > 0, else linearisation),
    ``"bootstrap"`` (needs ``bootstrap`` > 0), ``"linearised"`` or ``"none"``. Rank intervals
    come from the bootstrap only, over the published communities. ``progress(done, B)`` is
    told the bootstrap replicates done (:func:`scoring.bootstrap.bootstrap`).
    """
    steps = bootstrap_steps(
        data,
        model,
        bootstrap=bootstrap,
        node_se=node_se,
        bootstrap_calibration=bootstrap_calibration,
        reresolve=reresolve,
    )
    if steps:
        calibration = None
        if steps["bootstrap_calibration"] == "reraked":
            assert data.strata is not None and data.margins is not None
            # Replicates are raked to a relative margin gap of REPLICATE_TOL (the point
            # estimate to rake's 1e-6): it halves the replicate raking's cost, and the SEs
            # agree with a 1e-6 raking to 7 digits (bench P1, city communities).
            calibration = Calibration(
                data.strata,
                data.margins,
                data.margin_shape,
                data.base_weights,
                tol=REPLICATE_TOL,
            )
        resolve = None
        if model is not None and steps["bootstrap_dimension_weights"] == "re-resolved":
            resolve = _resolver(framework, model, agg, resolved)
        return _bootstrapped(
            data,
            framework,
            rescaled,
            weights,
            agg,
            resolved,
            index,
            level,
            bootstrap,
            random_state,
            progress,
            calibration,
            resolve,
        )
    if node_se in ("auto", "linearised"):
        return _linearised(data, framework, rescaled, weights, agg, resolved, index, level)
    if node_se != "none":
        raise ScoringError("node_se must be 'auto', 'bootstrap', 'linearised' or 'none'")
    m, D = data.m, len(framework.dimension_codes)

    def nan(*shape: int) -> np.ndarray:
        return np.full(shape, np.nan)

    return Uncertainty(
        method="none",
        se=nan(m),
        ci_low=nan(m),
        ci_high=nan(m),
        rank_low=nan(m),
        rank_high=nan(m),
        dim_se=nan(m, D),
        dim_ci_low=nan(m, D),
        dim_ci_high=nan(m, D),
        osi_se=nan(m),
        osi_ci_low=nan(m),
        osi_ci_high=nan(m),
    )


def _bootstrapped(
    data: SurveyData,
    framework: Framework,
    rescaled: Rescaled,
    weights: np.ndarray,
    agg: Aggregates,
    resolved: ResolvedWeights,
    index: IndexTree,
    level: float,
    B: int,
    random_state: int,
    progress: Callable[[int, int], None] | None,
    calibration: Calibration | None = None,
    resolve: Callable[[np.ndarray, np.ndarray], Any] | None = None,
) -> Uncertainty:
    bs = run_bootstrap(
        rescaled.scores,
        weights,
        data.group_index,
        data.m,
        framework,
        resolved.spec,
        outcomes=rescaled.outcomes,
        outcome_weights=agg.outcome_weights,
        B=B,
        random_state=random_state,
        level=level,
        rank_mask=~index.publication.suppressed,
        progress=progress,
        item_mask=None if agg.coverage is None else agg.coverage.excluded,
        calibration=calibration,
        resolve=resolve,
    )
    return Uncertainty(
        method="bootstrap",
        se=bs.index_se,
        ci_low=bs.index_ci[0],
        ci_high=bs.index_ci[1],
        rank_low=bs.rank_low,
        rank_high=bs.rank_high,
        dim_se=bs.dim_se,
        dim_ci_low=bs.dim_ci[0],
        dim_ci_high=bs.dim_ci[1],
        osi_se=bs.osi_se,
        osi_ci_low=bs.osi_ci[0],
        osi_ci_high=bs.osi_ci[1],
        index_reps=bs.index_reps,
    )


def _resolver(
    framework: Framework, model: WeightModel, agg: Aggregates, point: ResolvedWeights
) -> Callable[[np.ndarray, np.ndarray], Any]:
    # The model's own resolution (resolve_weights, on the same eligible communities) run on a
    # replicate's item means and OSI; the other statistics (the sampling variances of the
    # signal methods, the respondents of derived weights) stay those of the point estimate.
    if point.respondents is not None and not (
        methods_of(model.dimension_spec()) & COMMUNITY_MEAN_METHODS
    ):
        # Respondent-level derived weights (alone or with fixed ones) do not read the community
        # means: every replicate would resolve to the point estimate's weights, at a model fit
        # per replicate.
        return lambda _item_means, _osi: point.spec

    def resolve(item_means: np.ndarray, osi: np.ndarray) -> Any:
        items = dataclasses.replace(agg.items, mean=item_means)
        try:
            return resolve_weights(
                framework,
                model,
                dataclasses.replace(agg, items=items, osi=osi),
                variances=point.variances,
                respondents=point.respondents,
            ).spec
        except ScoringError:
            # A replicate in which the signal methods find no between-community signal left
            # (possible when the wave's own signal is barely above the sampling noise): that
            # replicate keeps the point estimate's weights rather than failing the wave.
            return point.spec

    return resolve


def _linearised(
    data: SurveyData,
    framework: Framework,
    rescaled: Rescaled,
    weights: np.ndarray,
    agg: Aggregates,
    resolved: ResolvedWeights,
    index: IndexTree,
    level: float,
) -> Uncertainty:
    m, group, tree, st, S = data.m, data.group_index, index.scores, agg.items, rescaled.scores
    grads = node_gradients(agg.index_means, framework, resolved.spec, tree)
    node = linearised_node_se(S, weights, group, st, grads)
    z = sps.norm.ppf(0.5 + level / 2)
    se, dim_se = node[:, 0], node[:, 1:]
    osi_se, osi_lo, osi_hi = np.full(m, np.nan), np.full(m, np.nan), np.full(m, np.nan)
    Q, ost, out_w = rescaled.outcomes, agg.outcomes, agg.outcome_weights
    if Q is not None and ost is not None:
        osi_g = np.zeros((m, Q.shape[1], 1))
        avail = ~np.isnan(ost.mean)
        osi_g[:, :, 0] = avail * (out_w if out_w is not None else 1.0)
        osi_g /= np.maximum(osi_g.sum(axis=1, keepdims=True), 1e-300)
        osi_se = linearised_node_se(Q, weights, group, ost, osi_g)[:, 0]
        osi_lo, osi_hi = agg.osi - z * osi_se, agg.osi + z * osi_se
    return Uncertainty(
        method="linearised",
        se=se,
        ci_low=tree.overall - z * se,
        ci_high=tree.overall + z * se,
        rank_low=np.full(m, np.nan),
        rank_high=np.full(m, np.nan),
        dim_se=dim_se,
        dim_ci_low=tree.dim - z * dim_se,
        dim_ci_high=tree.dim + z * dim_se,
        osi_se=osi_se,
        osi_ci_low=osi_lo,
        osi_ci_high=osi_hi,
    )
