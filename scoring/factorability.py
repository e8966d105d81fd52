"""Factorability and one-factor reliability of an item block: Kaiser–Meyer–Olkin sampling
adequacy, Bartlett's sphericity test, one-factor loadings and McDonald's ω.

Conventions: rows = respondents, columns = items, NaN = missing; listwise deletion within the
block. Re-exported by :mod:`scoring.reliability`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from scoring.errors import ScoringError
from scoring.internal_consistency import _items, _listwise
from scoring.weighting._common import FloatArray

__all__ = ["bartlett_sphericity", "kmo", "mcdonald_omega", "one_factor_loadings"]


def _corr(C: FloatArray) -> FloatArray:
    sd = C.std(axis=0)
    if (sd == 0).any():
        j = int(np.argmax(sd == 0))
        raise ScoringError(f"item {j} has zero variance; drop it before KMO / Bartlett / ω")
    return np.asarray(np.corrcoef(C, rowvar=False), dtype=np.float64)


def kmo(X: ArrayLike) -> tuple[float, FloatArray]:
    """Kaiser–Meyer–Olkin measure of sampling adequacy (overall, per item).

    ``KMO = Σ_{i≠j} r² / (Σ_{i≠j} r² + Σ_{i≠j} q²)`` with partial correlations
    ``q_ij = −P_ij / √(P_ii P_jj)``, ``P = R⁻¹``. Listwise deletion.

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> round(kmo(X)[0], 4)
    0.8474
    """
    C = _listwise(_items(X))
    R = _corr(C)
    try:
        P = np.linalg.inv(R)
    except np.linalg.LinAlgError:
        raise ScoringError("the item correlation matrix is singular; KMO is undefined") from None
    d = np.sqrt(np.diag(P))
    Q = -P / np.outer(d, d)
    np.fill_diagonal(Q, 0.0)
    R0 = R.copy()
    np.fill_diagonal(R0, 0.0)
    r2 = R0**2
    q2 = Q**2
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    return overall, per_item


def bartlett_sphericity(X: ArrayLike) -> tuple[float, int, float]:
    """Bartlett's test that the item correlation matrix is the identity.

    ``χ² = −(N − 1 − (2p + 5)/6) ln|R|``, ``df = p(p − 1)/2``; returns ``(chi2, df, p)``.
    Listwise deletion (N = complete rows).

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> chi2, df, p = bartlett_sphericity(X)
    >>> round(chi2, 4), df
    (37.8227, 6)
    """
    C = _listwise(_items(X))
    N, p = C.shape
    R = _corr(C)
    sign, logdet = np.linalg.slogdet(R)
    if sign <= 0:
        raise ScoringError("the item correlation matrix is singular; Bartlett's test is undefined")
    chi2 = float(-(N - 1 - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    return chi2, df, float(stats.chi2.sf(chi2, df))


def one_factor_loadings(X: ArrayLike, *, max_iter: int = 500, tol: float = 1e-8) -> FloatArray:
    """Standardised loadings of a one-factor model by iterated principal axis (ULS/minres).

    Communalities start at the squared multiple correlations and are capped at 0.995
    (Heywood cases). Loadings are signed so that they sum to a positive number.

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> bool((one_factor_loadings(X) > 0.8).all())
    True
    """
    C = _listwise(_items(X))
    R = _corr(C)
    try:
        h = 1.0 - 1.0 / np.diag(np.linalg.inv(R))
    except np.linalg.LinAlgError:
        h = np.full(R.shape[0], 0.5)
    h = np.clip(h, 0.005, 0.995)
    lam = np.sqrt(h)
    for _ in range(max_iter):
        Rh = R.copy()
        np.fill_diagonal(Rh, h)
        vals, vecs = np.linalg.eigh(Rh)
        lam = vecs[:, -1] * np.sqrt(max(vals[-1], 0.0))
        h_new = np.clip(lam**2, 0.005, 0.995)
        if np.max(np.abs(h_new - h)) < tol:
            h = h_new
            break
        h = h_new
    if lam.sum() < 0:
        lam = -lam
    return np.asarray(lam, dtype=np.float64)


def mcdonald_omega(X: ArrayLike) -> float:
    """McDonald's ω (total) from a one-factor fit on the correlation matrix.

    ``ω = (Σλ)² / ((Σλ)² + Σ(1 − λ²))`` with the loadings of :func:`one_factor_loadings`.

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> 0.9 < mcdonald_omega(X) < 1
    True
    """
    lam = one_factor_loadings(X)
    s = lam.sum() ** 2
    return float(s / (s + np.sum(1.0 - lam**2)))
