"""Grade probabilities, borderline (临界) flags, and displayed values that never contradict a grade.

Grade bands use the weight model's format (``WeightModel.grade_bands``): ``[[label, lower
bound], ...]`` from the top band down, the last bound ``None``; a value ``x`` is in the first
band whose lower bound it reaches (``x ≥ bound``). Default: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差.

- The grade is always that of the **unrounded** value.
- ``P(grade)`` per community = share of bootstrap replicates of the index in each band.
- **Borderline** (临界): the ``level`` percentile interval of the replicates straddles a band
  edge, i.e. its two ends have different grades.
- **Display rule** (:func:`display_value`): round half-even to ``decimals`` places, then clamp
  the rounded number into the displayable range of the value's own band,
  ``[⌈lower⌉, upper − 10^−d]`` on the ``10^−d`` grid. So 59.989 shows "59.99" (差) and 59.999
  shows "59.99" (差), not "60.00"; 89.9951 shows "89.99" (良). The displayed number is within
  ``10^−d`` of the value and always has the value's grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError

__all__ = [
    "DEFAULT_BANDS",
    "GradeProbabilities",
    "display_value",
    "display_values",
    "grade_index",
    "grade_probabilities",
]

DEFAULT_BANDS: tuple[tuple[str, float | None], ...] = (
    ("优", 90.0),
    ("良", 80.0),
    ("中", 60.0),
    ("差", None),
)

Bands = Sequence[Sequence[Any]]


def _parse(bands: Bands) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    if not bands or bands[-1][1] is not None:
        raise ScoringError("grade bands: [[label, lower bound], ...] from the top, last bound None")
    labels = tuple(str(b[0]) for b in bands)
    bounds = np.array([float(b[1]) for b in bands[:-1]], dtype=np.float64)
    if bounds.size and not (np.isfinite(bounds).all() and (np.diff(bounds) < 0).all()):
        raise ScoringError("grade bands: lower bounds must be finite and strictly descending")
    return labels, bounds


def grade_index(values: ArrayLike, bands: Bands = DEFAULT_BANDS) -> NDArray[np.int64]:
    """Band index of each value (0 = top band), −1 for NaN.

    Examples
    --------
    >>> grade_index([95.0, 89.99, 60.0, 59.989, np.nan]).tolist()
    [0, 1, 2, 3, -1]
    """
    _, bounds = _parse(bands)
    v = np.asarray(values, dtype=np.float64)
    idx = bounds.size - (v[..., None] >= bounds[::-1]).sum(axis=-1)
    return np.where(np.isnan(v), -1, idx).astype(np.int64)


@dataclass(frozen=True)
class GradeProbabilities:
    """Result of :func:`grade_probabilities` (rows = communities).

    Attributes
    ----------
    labels : tuple of str
        Band labels from the top.
    prob : ndarray (n, G)
        ``P(grade)`` from the replicates (rows sum to 1; NaN where no replicate is finite).
    grade : ndarray (n,) int
        Band index of the unrounded point value (−1 if NaN).
    low, high : ndarray (n,)
        Percentile interval of the replicates at ``level``.
    borderline : ndarray (n,) bool
        The interval straddles a band edge (临界).
    level : float
    """

    labels: tuple[str, ...]
    prob: NDArray[np.float64]
    grade: NDArray[np.int64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    borderline: NDArray[np.bool_]
    level: float

    @property
    def grade_label(self) -> list[str | None]:
        """Grade labels of the point values (``None`` for NaN)."""
        return [self.labels[g] if g >= 0 else None for g in self.grade.tolist()]


def grade_probabilities(
    replicates: ArrayLike,
    point: ArrayLike,
    bands: Bands = DEFAULT_BANDS,
    *,
    level: float = 0.90,
) -> GradeProbabilities:
    """Grade probabilities and borderline flags from bootstrap replicates.

    Parameters
    ----------
    replicates : array_like (B, n)
        Bootstrap replicates of each community's index (NaN replicates are ignored).
    point : array_like (n,)
        The unrounded point estimates (the grade is theirs).
    bands : grade bands, default :data:`DEFAULT_BANDS`.
    level : float
        Level of the percentile interval used for the borderline flag (default 0.90).

    Returns
    -------
    GradeProbabilities

    Examples
    --------
    >>> reps = np.array([[58.0, 85.0], [59.0, 86.0], [61.0, 84.0], [62.0, 87.0]])
    >>> g = grade_probabilities(reps, [59.9, 85.5])
    >>> g.prob.tolist(), g.grade_label, g.borderline.tolist()
    ([[0.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.0, 0.0]], ['差', '良'], [True, False])
    """
    labels, _ = _parse(bands)
    R = np.asarray(replicates, dtype=np.float64)
    x = np.asarray(point, dtype=np.float64)
    if R.ndim != 2 or x.ndim != 1 or R.shape[1] != x.size:
        raise ScoringError(f"replicates must be (B, n) and point (n,); got {R.shape} and {x.shape}")
    if not 0 < level < 1:
        raise ScoringError(f"level must be in (0, 1); got {level}")
    G = len(labels)
    idx = grade_index(R, bands)  # (B, n)
    counts = np.stack([(idx == g).sum(axis=0) for g in range(G)], axis=1).astype(np.float64)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(total > 0, counts / np.where(total > 0, total, 1.0), np.nan)
    a = (1.0 - level) / 2.0
    low = np.full(x.size, np.nan)
    high = np.full(x.size, np.nan)
    ok = total[:, 0] > 0
    if ok.any():
        low[ok] = np.nanquantile(R[:, ok], a, axis=0)
        high[ok] = np.nanquantile(R[:, ok], 1.0 - a, axis=0)
    borderline = ok & (grade_index(low, bands) != grade_index(high, bands))
    return GradeProbabilities(
        labels=labels,
        prob=prob,
        grade=grade_index(x, bands),
        low=low,
        high=high,
        borderline=np.asarray(borderline),
        level=float(level),
    )


def display_value(value: float, bands: Bands = DEFAULT_BANDS, *, decimals: int = 2) -> str:
    """The value as displayed with ``decimals`` places, never showing another band's number.

    Examples
    --------
    >>> [display_value(v) for v in (59.989, 59.999, 60.0, 89.9951, 72.345)]
    ['59.99', '59.99', '60.00', '89.99', '72.34']
    >>> display_value(79.96, decimals=1)
    '79.9'
    """
    if not (isinstance(decimals, int) and 0 <= decimals <= 6):
        raise ScoringError(f"decimals must be an integer in 0..6; got {decimals!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ScoringError(f"cannot display a non-finite value ({v})")
    _, bounds = _parse(bands)
    g = int(grade_index(np.array([v]), bands)[0])
    step = Decimal(1).scaleb(-decimals)
    shown = Decimal(format(v, f".{decimals}f"))
    if g < bounds.size:  # the band has a lower bound
        lower = Decimal(repr(float(bounds[g])))
        lo = (lower / step).to_integral_value(rounding=ROUND_CEILING) * step
        shown = max(shown, lo)
    if g > 0:  # the band has an upper bound (the next band's lower bound, exclusive)
        upper = Decimal(repr(float(bounds[g - 1])))
        hi = ((upper / step).to_integral_value(rounding=ROUND_CEILING) - 1) * step
        if g < bounds.size and hi < lo:
            raise ScoringError(f"band {g} is narrower than the display resolution 10^-{decimals}")
        shown = min(shown, hi)
    return f"{shown:.{decimals}f}"


def display_values(
    values: ArrayLike, bands: Bands = DEFAULT_BANDS, *, decimals: int = 2
) -> list[str | None]:
    """:func:`display_value` for each value; ``None`` for NaN.

    Examples
    --------
    >>> display_values([59.999, np.nan, 90.0])
    ['59.99', None, '90.00']
    """
    return [
        display_value(v, bands, decimals=decimals) if np.isfinite(v) else None
        for v in np.asarray(values, dtype=np.float64).ravel().tolist()
    ]
