"""Stage 9, diagnostics: reliability per dimension and priorities (within-community derived
importance with bootstrap intervals, quadrants only where the gaps are clear, stated
importance), by :func:`scoring.diagnostics.wave_diagnostics`; suppressed communities get no
priority list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.aggregate import TreeSpec
from scoring.data import SurveyData
from scoring.framework import Framework
from scoring.stages.aggregates import Aggregates
from scoring.stages.index_tree import IndexTree
from scoring.stages.rescaling import Rescaled


@dataclass(frozen=True)
class Diagnostics:
    """``reliability`` per dimension, district ``priorities`` and each community's
    (``None`` for suppressed communities); each ``None`` when not computed."""

    reliability: dict[str, Any] | None = None
    priorities: dict[str, Any] | None = None
    community_priorities: list[dict[str, Any] | None] | None = None


def diagnose(
    data: SurveyData,
    framework: Framework,
    rescaled: Rescaled,
    weights: np.ndarray,
    agg: Aggregates,
    index: IndexTree,
    *,
    random_state: int = 0,
    spec: TreeSpec | None = None,
    level: float = 0.90,
) -> Diagnostics:
    """Reliability and priorities of the wave (seeded by ``random_state``: the subsample of
    large waves and the importance bootstrap). ``spec`` is the index's tree spec (for the
    sub-dimension SEs; equal weights when ``None``) and ``level`` the interval level of the
    importance and of the quadrant rule (the model's ``ci_level``)."""
    from scoring.diagnostics import wave_diagnostics

    sup = index.publication.suppressed
    reliability, priorities, per_community = wave_diagnostics(
        data,
        framework,
        rescaled.scores,
        rescaled.outcomes,
        weights,
        index.scores.sub,
        agg.items,
        agg.outcome_weights,
        sup,
        random_state=random_state,
        item_means=agg.index_means,
        spec=spec,
        level=level,
    )
    if per_community is not None:
        per_community = [None if s else cp for s, cp in zip(sup, per_community, strict=True)]
    return Diagnostics(reliability, priorities, per_community)
