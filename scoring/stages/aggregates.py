"""Stage 4, community aggregates: weighted item means (with linearisation SEs, counts, DK rate
and % positive) per community, and the overall satisfaction index (OSI) from the outcomes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.aggregate import ItemStats, item_stats
from scoring.coverage import ItemCoverage, item_coverage
from scoring.data import SurveyData
from scoring.framework import Framework
from scoring.rescale import overall_satisfaction_index, positive_indicator
from scoring.stages.rescaling import Rescaled
from scoring.weight_model import WeightModel


@dataclass(frozen=True)
class Aggregates:
    """``items`` (community × item statistics), ``outcomes`` (the same for O1–O3, or
    ``None``), ``outcome_weights`` (the model's, ``None`` for equal) and ``osi`` (m,, NaN
    without outcomes); ``coverage`` says which item means leave a community's index."""

    items: ItemStats
    outcomes: ItemStats | None
    outcome_weights: np.ndarray | None
    osi: np.ndarray
    coverage: ItemCoverage | None = None

    @property
    def index_means(self) -> np.ndarray:
        """Item means as the index uses them: NaN where the coverage rules exclude them."""
        if self.coverage is None or not self.coverage.excluded.any():
            return self.items.mean
        return np.where(self.coverage.excluded, np.nan, self.items.mean)

    @property
    def n_answering(self) -> np.ndarray:
        """Respondents per community who answered at least one item (the published n)."""
        return self.items.n_answering


def aggregate(
    data: SurveyData,
    framework: Framework,
    model: WeightModel,
    rescaled: Rescaled,
    weights: np.ndarray,
) -> Aggregates:
    """Item statistics per community, and the OSI when the wave has outcomes."""
    group, m, Xi = data.group_index, data.m, rescaled.answers
    st = item_stats(
        rescaled.scores,
        weights,
        group,
        m,
        positive=lambda a, b: positive_indicator(Xi[a:b], framework.points, framework.reverse),
    )
    out_w = (
        np.array([model.outcome_weights.get(c, 1.0) for c in framework.outcome_codes])
        if model.outcome_weights
        else None
    )
    cov = item_coverage(
        st.n, st.n_answering, min_n=model.min_item_n, min_share=model.min_item_share
    )
    if rescaled.outcomes is None:
        return Aggregates(st, None, out_w, np.full(m, np.nan), cov)
    ost = item_stats(rescaled.outcomes, weights, group, m)
    return Aggregates(st, ost, out_w, overall_satisfaction_index(ost.mean, out_w), cov)
