"""Stage 3, survey weights: raking to the community margins when the wave has them, else the
base weights (or 1), with Kish's design effect and effective sample size per community."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.data import SurveyData
from scoring.survey_weights import kish, rake


@dataclass(frozen=True)
class SurveyWeights:
    """Respondent ``weights`` (n,), ``deff`` and ``n_eff`` (m,), and the provenance note."""

    weights: np.ndarray
    deff: np.ndarray
    n_eff: np.ndarray
    info: dict[str, Any]


def survey_weights(data: SurveyData) -> SurveyWeights:
    """Rake when ``data`` has ``margins`` and ``strata``; otherwise use ``base_weights``."""
    if data.margins is None or data.strata is None:
        w = np.ones(data.n) if data.base_weights is None else data.base_weights
        deff, n_eff = kish(w, data.group_index, data.m)
        return SurveyWeights(w, deff, n_eff, {"method": "none"})
    rk = rake(
        data.group_index,
        data.strata,
        data.margins,
        data.margin_shape,
        base_weights=data.base_weights,
    )
    info = {
        "method": "raking",
        "margins": list(data.margin_shape or ()),
        "trim": [0.3, 3.0],
        "iterations": rk.iterations,
        "not_converged": int((~rk.converged).sum()),
        "uncovered_categories": int(rk.uncovered_categories.sum()),
        "trimmed_rows": int(rk.trimmed.sum()),
    }
    return SurveyWeights(rk.weights, rk.deff, rk.n_eff, info)
