"""Stage 2, rescaling: answers → 0–100 item scores (by the model's preset) and outcomes → 0–100.

Item scores are rescaled block by block where they are used (:class:`~scoring.rescale.LazyScores`):
no second n × p matrix is held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.data import SurveyData
from scoring.framework import Framework
from scoring.rescale import LazyScores, rescale_outcomes


@dataclass(frozen=True)
class Rescaled:
    """``answers`` (n × p raw item answers), ``scores`` (the same rescaled, lazily) and
    ``outcomes`` (n × 3 rescaled O1–O3, ``None`` when the wave has no outcome columns)."""

    answers: np.ndarray
    scores: LazyScores
    outcomes: np.ndarray | None


def rescale(data: SurveyData, framework: Framework, preset: str) -> Rescaled:
    """Rescale the framework's items with ``preset``, and the outcomes when all are present."""
    Xi = data.columns(framework.item_codes)
    S = LazyScores(Xi, framework.points, framework.reverse, preset, framework.item_codes)
    has_outcomes = bool(framework.outcome_codes) and all(
        c in data.codes for c in framework.outcome_codes
    )
    Q = (
        rescale_outcomes(
            data.columns(framework.outcome_codes), framework.outcome_low, framework.outcome_high
        )
        if has_outcomes
        else None
    )
    return Rescaled(Xi, S, Q)
