"""Internal consistency of an item block: Cronbach's α with its Feldt confidence interval,
corrected item-total correlations and α if item deleted.

Conventions: rows = respondents, columns = items, NaN = missing. Listwise deletion by default;
:func:`cronbach_alpha` also offers ``nan_policy="pairwise"``. Reverse-keyed items must be
recoded before. Re-exported by :mod:`scoring.reliability`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from scoring.errors import ScoringError
from scoring.weighting._common import FloatArray, as_matrix

__all__ = ["AlphaResult", "alpha_if_deleted", "cronbach_alpha", "item_total_correlations"]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's α with its Feldt confidence interval, rows used ``n`` and items ``k``."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int


def _items(X: ArrayLike, *, min_items: int = 2) -> FloatArray:
    A = as_matrix(X, allow_nan=True)
    if A.shape[1] < min_items:
        raise ScoringError(f"need at least {min_items} items (columns); got {A.shape[1]}")
    return A


def _listwise(A: FloatArray, *, min_rows: int = 3) -> FloatArray:
    C = A[~np.isnan(A).any(axis=1)]
    if C.shape[0] < min_rows:
        raise ScoringError(
            f"only {C.shape[0]} respondents answered every item of the block; need at least "
            f"{min_rows}"
        )
    return C


def _pairwise_cov(A: FloatArray) -> tuple[FloatArray, int]:
    M = ~np.isnan(A)
    Z = np.where(M, A, 0.0)
    Mf = M.astype(np.float64)
    nij = Mf.T @ Mf
    if (nij < 2).any():
        raise ScoringError("some pair of items has fewer than 2 joint answers")
    sxy = Z.T @ Z
    si = Z.T @ Mf  # si[i, j] = sum of item i over rows where i and j are observed
    cov = (sxy - si * si.T / nij) / (nij - 1)
    return cov, int(M.any(axis=1).sum())


def _alpha_from_cov(C: FloatArray) -> float:
    k = C.shape[0]
    total = C.sum()
    if total <= 0:
        raise ScoringError("the total score has zero variance; α is undefined")
    return float(k / (k - 1) * (1.0 - np.trace(C) / total))


def cronbach_alpha(X: ArrayLike, *, ci: float = 0.95, nan_policy: str = "listwise") -> AlphaResult:
    """Cronbach's α ``k/(k−1) (1 − Σσ²_item / σ²_total)`` with a Feldt confidence interval.

    The interval is ``1 − (1 − α) F``, with F quantiles on (n − 1, (n − 1)(k − 1)) degrees of
    freedom (Feldt 1965; as pingouin). Covariances use ddof = 1.

    Parameters
    ----------
    X : array_like (n, k)
    ci : float
        Confidence level.
    nan_policy : {"listwise", "pairwise"}

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> round(cronbach_alpha(X).alpha, 4)
    0.9621
    """
    if not 0 < ci < 1:
        raise ScoringError(f"ci must be in (0, 1); got {ci}")
    A = _items(X)
    if nan_policy == "listwise":
        C = _listwise(A)
        cov = np.cov(C, rowvar=False)
        n = C.shape[0]
    elif nan_policy == "pairwise":
        cov, n = _pairwise_cov(A)
    else:
        raise ScoringError(f"nan_policy must be 'listwise' or 'pairwise'; got {nan_policy!r}")
    k = A.shape[1]
    a = _alpha_from_cov(cov)
    df1 = n - 1
    df2 = df1 * (k - 1)
    lo = 1 - (1 - a) * stats.f.isf((1 - ci) / 2, df1, df2)
    hi = 1 - (1 - a) * stats.f.isf((1 + ci) / 2, df1, df2)
    return AlphaResult(a, float(lo), float(hi), int(n), int(k))


def item_total_correlations(X: ArrayLike) -> FloatArray:
    """Corrected item-total correlations: item j against the sum of the *other* items.

    Listwise deletion. An item (or rest score) with zero variance gets NaN.

    Examples
    --------
    >>> X = [[1, 2, 1], [2, 2, 3], [3, 4, 3], [4, 5, 5]]
    >>> item_total_correlations(X).round(3).tolist()
    [0.994, 0.885, 0.889]
    """
    C = _listwise(_items(X))
    rest = C.sum(axis=1, keepdims=True) - C
    Cc = C - C.mean(axis=0)
    Rc = rest - rest.mean(axis=0)
    num = (Cc * Rc).sum(axis=0)
    den = np.sqrt((Cc**2).sum(axis=0) * (Rc**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return np.asarray(r, dtype=np.float64)


def alpha_if_deleted(X: ArrayLike) -> FloatArray:
    """Cronbach's α of the block without each item in turn (listwise; NaN for k = 2).

    Examples
    --------
    >>> X = [[1, 2, 1], [2, 2, 3], [3, 4, 3], [4, 5, 5]]
    >>> alpha_if_deleted(X).round(3).tolist()
    [0.897, 0.96, 0.967]
    """
    C = _listwise(_items(X))
    cov = np.cov(C, rowvar=False)
    k = C.shape[1]
    out = np.full(k, np.nan)
    if k < 3:
        return out
    for j in range(k):
        keep = np.arange(k) != j
        sub = cov[np.ix_(keep, keep)]
        out[j] = _alpha_from_cov(sub) if sub.sum() > 0 else np.nan
    return out
