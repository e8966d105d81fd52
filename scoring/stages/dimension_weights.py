"""Stage 5, resolve weights: the model's dimension weights as numbers, and the tree spec.

Data-driven methods (entropy, CRITIC, PCA, derived importance) see the equal-weight dimension
scores of the publishable communities only (at least ``min_n`` answering respondents).
Entropy and CRITIC also get those scores' sampling variances (linearisation SE², the same
formula as the index's linearised SEs) and so weigh the between-community signal only;
derived weights come from the respondents of those communities, with community fixed
effects (docs/methods-weighting.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.aggregate import (
    Scores,
    TreeSpec,
    aggregate_tree,
    linearised_node_se,
    node_gradients,
)
from scoring.diagnostics import respondent_dimension_scores, row_mean
from scoring.framework import Framework
from scoring.stages.aggregates import Aggregates
from scoring.weight_model import RespondentData, WeightModel


@dataclass(frozen=True)
class ResolvedWeights:
    """``dimension`` weights (D,), ``info`` (how they were obtained, JSON-safe) and ``spec``
    (every level's weights and aggregation choices)."""

    dimension: np.ndarray
    info: dict[str, Any]
    spec: TreeSpec
    # What the data-driven resolution used besides the community means (None: not used): a
    # bootstrap replicate re-resolves with these, so it runs the same method as the point
    # estimate (the sampling variances and respondents are those of the point estimate).
    variances: np.ndarray | None = None
    respondents: RespondentData | None = None


def resolve_weights(
    framework: Framework,
    model: WeightModel,
    agg: Aggregates,
    *,
    scores: Scores | None = None,
    outcomes: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    group: np.ndarray | None = None,
    variances: np.ndarray | None = None,
    respondents: RespondentData | None = None,
) -> ResolvedWeights:
    """Resolve the dimension weights (on the data for data-driven models).

    ``scores`` (respondents' 0–100 item scores), ``outcomes`` (their 0–100 outcome scores),
    ``weights`` (survey weights) and ``group`` (community index) give the sampling variances
    of the community dimension scores (entropy, CRITIC) and the respondent-level data of
    derived weights; without them the community means are taken as exact (plain methods).
    ``variances`` and ``respondents`` given directly (a bootstrap replicate, from the point
    estimate's :class:`ResolvedWeights`) are used as they are.
    """
    if not model.is_data_driven:
        dim_w, info = model.resolve_dimension_weights(framework)
        return ResolvedWeights(dim_w, info, model.tree_spec(framework, dim_w))
    eligible = agg.n_answering >= model.min_n
    equal = model.tree_spec(framework, np.ones(len(framework.dimension_codes)))
    pre = aggregate_tree(agg.index_means, framework, equal)
    if (
        variances is None
        and respondents is None
        and scores is not None
        and weights is not None
        and group is not None
    ):
        methods = methods_of(model.dimension_spec())
        if methods & {"entropy", "critic"}:
            grads = node_gradients(agg.index_means, framework, equal, pre)
            se = linearised_node_se(scores, weights, group, agg.items, grads)[:, 1:]
            variances = (se**2)[eligible]
        if "derived" in methods and outcomes is not None:
            rows = eligible[group]
            respondents = RespondentData(
                respondent_dimension_scores(scores[rows], framework, complete=True),
                row_mean(outcomes[rows]),
                group[rows],
            )
    dim_w, info = model.resolve_dimension_weights(
        framework,
        pre.dim[eligible],
        agg.osi[eligible],
        variances=variances,
        respondents=respondents,
    )
    return ResolvedWeights(dim_w, info, model.tree_spec(framework, dim_w), variances, respondents)


#: Methods whose weights are computed from the community means (a bootstrap replicate changes
#: them); derived weights from respondents and fixed weights do not read them.
COMMUNITY_MEAN_METHODS = frozenset({"entropy", "critic", "pca"})


def methods_of(spec: dict[str, Any]) -> set[str]:
    """Every method a (possibly combined) spec uses."""
    if spec.get("method") == "combined":
        return methods_of(spec["subjective"]) | methods_of(spec["objective"])
    return {str(spec.get("method"))}
