"""Stage 8, publication: what the result publishes per community. Suppressed communities
publish nothing but their n (and why): every score, SE, interval and grade of theirs is blank.

Grades are those of the unrounded published index; with a bootstrap, each published community
also gets ``P(grade)`` (the share of its index replicates in each band) and a borderline (临界)
flag: its percentile interval at the model's ``ci_level`` has ends of different grades
(:func:`scoring.grades.grade_probabilities`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.grades import GradeProbabilities, grade_probabilities
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
    grade_probabilities: GradeProbabilities | None = None


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
        f.name: blank(getattr(unc, f.name))
        for f in dataclasses.fields(unc)
        if f.name != "method" and getattr(unc, f.name) is not None
    }
    published_index = blank(index.scores.overall)
    reps = intervals.get("index_reps")
    probs = (
        None
        if reps is None
        else grade_probabilities(reps.T, published_index, model.grade_bands, level=model.ci_level)
    )
    return Published(
        index=published_index,
        osi=blank(agg.osi),
        dim_score=blank(index.scores.dim),
        sub_score=blank(index.scores.sub),
        item_score=blank(agg.items.mean),
        item_pct_positive=blank(pct),
        uncertainty=dataclasses.replace(unc, **intervals),
        grade=list(model.grades(published_index)),
        grade_probabilities=probs,
    )
