"""Combining subjective (AHP / expert) and objective (entropy, CRITIC...) weights."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError, WeightModelError
from scoring.weighting._common import FloatArray, check_weights

__all__ = ["combine_weights"]


def combine_weights(
    w_subjective: ArrayLike,
    w_objective: ArrayLike,
    *,
    alpha: float = 0.5,
    method: str = "linear",
) -> FloatArray:
    """Combine two weight vectors over the same indicators.

    ``"linear"``: ``w = α w_s + (1 − α) w_o``. ``"multiplicative"``: ``w = w_s w_o / Σ w_s w_o``
    (``alpha`` ignored). Both inputs are validated (≥ 0, not all zero) and normalised first.

    Examples
    --------
    >>> combine_weights([0.5, 0.3, 0.2], [0.2, 0.3, 0.5], alpha=0.5).round(4).tolist()
    [0.35, 0.3, 0.35]
    >>> combine_weights([0.5, 0.5], [0.8, 0.2], method="multiplicative").round(4).tolist()
    [0.8, 0.2]
    """
    try:
        ws = check_weights(w_subjective, "w_subjective")
        wo = check_weights(w_objective, "w_objective", n=ws.size)
    except ScoringError as exc:
        raise WeightModelError(str(exc)) from None
    if method == "linear":
        if not (0.0 <= alpha <= 1.0):
            raise WeightModelError(f"alpha must be in [0, 1]; got {alpha}")
        w = alpha * ws + (1.0 - alpha) * wo
        return w / w.sum()
    if method == "multiplicative":
        prod = ws * wo
        if prod.sum() <= 0:
            raise WeightModelError(
                "multiplicative combination is undefined: no indicator has a positive weight "
                "in both vectors"
            )
        return np.asarray(prod / prod.sum(), dtype=np.float64)
    raise WeightModelError(f"method must be 'linear' or 'multiplicative'; got {method!r}")
