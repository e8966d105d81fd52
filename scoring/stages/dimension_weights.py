"""Stage 5, resolve weights: the model's dimension weights as numbers, and the tree spec.

Data-driven methods (entropy, CRITIC, PCA, derived importance) see the equal-weight dimension
scores of the publishable communities only (at least ``min_n`` answering respondents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.aggregate import TreeSpec, aggregate_tree
from scoring.framework import Framework
from scoring.stages.aggregates import Aggregates
from scoring.weight_model import WeightModel


@dataclass(frozen=True)
class ResolvedWeights:
    """``dimension`` weights (D,), ``info`` (how they were obtained, JSON-safe) and ``spec``
    (every level's weights and aggregation choices)."""

    dimension: np.ndarray
    info: dict[str, Any]
    spec: TreeSpec


def resolve_weights(framework: Framework, model: WeightModel, agg: Aggregates) -> ResolvedWeights:
    """Resolve the dimension weights (on the data for data-driven models)."""
    if model.is_data_driven:
        eligible = agg.n_answering >= model.min_n
        equal = model.tree_spec(framework, np.ones(len(framework.dimension_codes)))
        pre = aggregate_tree(agg.index_means, framework, equal)
        dim_w, info = model.resolve_dimension_weights(
            framework, pre.dim[eligible], agg.osi[eligible]
        )
    else:
        dim_w, info = model.resolve_dimension_weights(framework)
    return ResolvedWeights(dim_w, info, model.tree_spec(framework, dim_w))
