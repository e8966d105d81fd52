"""Stage 8, publication: what the result publishes per community. Suppressed communities
publish nothing but their n (and why): every score, SE, interval and grade of theirs is blank.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.stages.aggregates import Aggregates
from scoring.stages.index_tree import IndexTree
from scoring.stages.uncertainty import Uncertainty
from scoring.weight_model import WeightModel


@dataclass(frozen=True)
class Published:
    """The published arrays (copies, NaN for suppressed communities) and grade labels."""

    index: np.ndarray
    osi: np.ndarray
    dim_score: np.ndarray
    sub_score: np.ndarray
    item_score: np.ndarray
    item_pct_positive: np.ndarray
    uncertainty: Uncertainty
    grade: list[str | None]


def publish(model: WeightModel, agg: Aggregates, index: IndexTree, unc: Uncertainty) -> Published:
    """Blank every number of the suppressed communities, then grade the published index."""
    suppressed = index.publication.suppressed
    pct = agg.items.pct_positive
    assert pct is not None  # item_stats was given the positive indicator

    def blank(a: np.ndarray) -> np.ndarray:
        out = a.copy()
        out[suppressed] = np.nan
        return out

    intervals: dict[str, Any] = {
        f.name: blank(getattr(unc, f.name)) for f in dataclasses.fields(unc) if f.name != "method"
    }
    published_index = blank(index.scores.overall)
    return Published(
        index=published_index,
        osi=blank(agg.osi),
        dim_score=blank(index.scores.dim),
        sub_score=blank(index.scores.sub),
        item_score=blank(agg.items.mean),
        item_pct_positive=blank(pct),
        uncertainty=dataclasses.replace(unc, **intervals),
        grade=list(model.grades(published_index)),
    )
