"""ICC(1) and ICC(2) / λ of community means: one-way ANOVA with unequal group sizes.

For respondents ``i`` in communities ``c = 1..k`` (``n_c`` respondents, ``N = Σ n_c``)::

    MSB = Σ_c n_c (ȳ_c − ȳ)² / (k − 1),   MSW = Σ_c Σ_i (y_ci − ȳ_c)² / (N − k),
    n0  = (N − Σ_c n_c² / N) / (k − 1)                      (unequal-size correction)
    ICC(1) = (MSB − MSW) / (MSB + (n0 − 1) MSW)            share of variance between communities
    ICC(2) = λ = (MSB − MSW) / MSB                          reliability of a community mean (at n0)

and per community ``λ_c = n_c τ² / (n_c τ² + σ²)`` with ``τ² = max(MSB − MSW, 0)/n0`` and
``σ² = MSW`` (Bliese 2000; Shrout & Fleiss 1979 ICC(1,1) and ICC(1,k) for equal sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError

__all__ = ["ICCResult", "icc_by_dimension", "icc_oneway"]


@dataclass(frozen=True)
class ICCResult:
    """One-way ANOVA ICCs of one variable (see the module docstring).

    Attributes
    ----------
    icc1, icc2 : float
        ICC(1) and ICC(2) = λ (may be negative when MSB < MSW).
    msb, msw, n0 : float
    k, n : int
        Communities and respondents used (non-missing values).
    lambda_c : ndarray (k,)
        Reliability of each community's mean at its own size (sorted group labels).
    """

    icc1: float
    icc2: float
    msb: float
    msw: float
    n0: float
    k: int
    n: int
    lambda_c: NDArray[np.float64]


def icc_oneway(values: ArrayLike, groups: ArrayLike) -> ICCResult:
    """ICC(1), ICC(2) and per-community λ; NaN values are dropped.

    Examples
    --------
    >>> r = icc_oneway([1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 1, 1, 2, 2])
    >>> round(r.n0, 4), round(r.icc1, 4), round(r.icc2, 4)
    (2.2857, 0.8727, 0.94)
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    g = np.asarray(groups).ravel()
    if y.shape != g.shape:
        raise ScoringError(f"values and groups differ in length: {y.size} vs {g.size}")
    ok = ~np.isnan(y)
    y, g = y[ok], g[ok]
    _, gi = np.unique(g, return_inverse=True)
    k = int(gi.max()) + 1 if gi.size else 0
    n = y.size
    if k < 2 or n - k < 1:
        raise ScoringError(
            f"ICC needs ≥ 2 communities and more respondents than communities; got {k} and {n}"
        )
    nc = np.bincount(gi, minlength=k).astype(np.float64)
    means = np.bincount(gi, weights=y, minlength=k) / nc
    grand = y.mean()
    msb = float(np.sum(nc * (means - grand) ** 2) / (k - 1))
    msw = float(np.sum((y - means[gi]) ** 2) / (n - k))
    n0 = float((n - np.sum(nc**2) / n) / (k - 1))
    if msb <= 0:
        raise ScoringError("ICC is undefined: the community means do not vary (MSB = 0)")
    icc1 = (msb - msw) / (msb + (n0 - 1) * msw)
    icc2 = (msb - msw) / msb
    tau2 = max(msb - msw, 0.0) / n0
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = nc * tau2 / (nc * tau2 + msw) if (tau2 > 0 or msw > 0) else np.ones(k)
    return ICCResult(float(icc1), float(icc2), msb, msw, n0, k, n, np.asarray(lam))


def icc_by_dimension(Y: ArrayLike, groups: ArrayLike) -> list[ICCResult]:
    """:func:`icc_oneway` for each column of ``Y`` (respondents × dimensions)."""
    A = np.asarray(Y, dtype=np.float64)
    if A.ndim != 2:
        raise ScoringError(f"Y must be 2-D (respondents × dimensions); got shape {A.shape}")
    return [icc_oneway(A[:, j], groups) for j in range(A.shape[1])]
