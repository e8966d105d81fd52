"""Derived (statistical) importance: how strongly each driver predicts an outcome.

Used for derived weights and for importance–performance analysis: X holds respondent-level
(or community-level) driver scores, y the overall satisfaction (e.g. OSI). Rows with a
missing value in X or y are dropped (listwise); the number of rows used is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from scoring.errors import ScoringError
from scoring.weighting._common import FloatArray, as_matrix, as_vector

__all__ = ["DerivedImportance", "derived_importance", "relative_weights"]

_METHODS = ("ridge", "relative", "correlation")


@dataclass(frozen=True)
class DerivedImportance:
    """Result of :func:`derived_importance`.

    Attributes
    ----------
    importances : ndarray (k,)
        Non-negative, sum to 1 (negative raw effects are clipped to 0 before normalising).
    coefficients : ndarray (k,)
        Raw effects: standardised ridge coefficients, Johnson's raw relative weights (they sum
        to R²) or Pearson correlations with y.
    r2 : float
        R² of the standardised linear model (ridge: of the ridge fit; otherwise OLS).
    n : int
        Rows used after listwise deletion.
    method : str
    clipped : tuple of int
        Indices whose raw effect was negative and got importance 0.
    """

    importances: FloatArray
    coefficients: FloatArray
    r2: float
    n: int
    method: str
    clipped: tuple[int, ...]


def _standardise(Z: FloatArray, what: str) -> FloatArray:
    sd = Z.std(axis=0)
    if (sd == 0).any():
        j = int(np.argmax(sd == 0))
        raise ScoringError(
            f"{what} column {j} is constant over the rows used; drop it before deriving importance"
        )
    return (Z - Z.mean(axis=0)) / sd


def relative_weights(X: ArrayLike, y: ArrayLike) -> tuple[FloatArray, float]:
    """Johnson's (2000) relative weights: raw weights summing to the OLS R².

    ``R_xx = Q Λ Qᵀ``, ``L = Q Λ^{1/2} Qᵀ`` (symmetric square root), ``β = L⁻¹ r_xy``,
    ``ε_j = Σ_k L_jk² β_k²``. Expects complete data (no NaN).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3)); y = X @ [1.0, 0.5, 0.0] + rng.normal(size=200)
    >>> eps, r2 = relative_weights(X, y)
    >>> bool(np.isclose(eps.sum(), r2))
    True
    """
    A = as_matrix(X)
    b = as_vector(y, "y")
    Zx = _standardise(A, "X")
    zy = _standardise(b[:, None], "y")[:, 0]
    n = A.shape[0]
    Rxx = Zx.T @ Zx / n
    rxy = Zx.T @ zy / n
    vals, Q = np.linalg.eigh(Rxx)
    if vals.min() <= 1e-10 * max(vals.max(), 1.0):
        raise ScoringError(
            "relative weights need linearly independent drivers (the correlation matrix of X "
            "is singular); drop a redundant column"
        )
    L = (Q * np.sqrt(vals)) @ Q.T
    beta = np.linalg.solve(L, rxy)
    eps = (L**2) @ (beta**2)
    return eps, float(eps.sum())


def derived_importance(
    X: ArrayLike, y: ArrayLike, *, method: str = "ridge", alpha: float = 1.0
) -> DerivedImportance:
    """Importance of each driver (column of X) for the outcome y.

    Parameters
    ----------
    X : array_like (n, k)
        Driver scores, rows = respondents (or communities), NaN = missing.
    y : array_like (n,)
        Outcome (overall satisfaction), NaN = missing.
    method : {"ridge", "relative", "correlation"}
        ``"ridge"``: standardised ridge regression coefficients (scikit-learn ``Ridge`` on
        z-scores, ``alpha`` penalty; the penalty scale is that of n standardised rows).
        ``"relative"``: Johnson's relative weights (robust to correlated drivers).
        ``"correlation"``: Pearson correlation with y.
    alpha : float
        Ridge penalty (≥ 0).

    Returns
    -------
    DerivedImportance
        ``importances`` are clipped at 0 and normalised to sum 1.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(300, 3)); y = X @ [2.0, 1.0, 0.0] + rng.normal(size=300)
    >>> r = derived_importance(X, y, method="relative")
    >>> int(np.argmax(r.importances)), round(float(r.importances.sum()), 6)
    (0, 1.0)
    """
    if method not in _METHODS:
        raise ScoringError(f"method must be one of {_METHODS}; got {method!r}")
    if not np.isfinite(alpha) or alpha < 0:
        raise ScoringError(f"alpha must be a non-negative number; got {alpha}")
    A = as_matrix(X, allow_nan=True)
    b = as_vector(y, "y", allow_nan=True)
    if b.size != A.shape[0]:
        raise ScoringError(f"y has {b.size} rows; X has {A.shape[0]}")
    ok = ~np.isnan(A).any(axis=1) & ~np.isnan(b)
    n_used = int(ok.sum())
    k = A.shape[1]
    if n_used < k + 2:
        raise ScoringError(f"only {n_used} complete rows for {k} drivers; need at least {k + 2}")
    A, b = A[ok], b[ok]
    Zx = _standardise(A, "X")
    zy = _standardise(b[:, None], "y")[:, 0]
    if method == "ridge":
        from sklearn.linear_model import Ridge

        model = Ridge(alpha=alpha, fit_intercept=False).fit(Zx, zy)
        coef = np.asarray(model.coef_, dtype=np.float64).ravel()
        resid = zy - Zx @ coef
        r2 = float(1.0 - resid @ resid / (zy @ zy))
    elif method == "relative":
        coef, r2 = relative_weights(A, b)
    else:
        coef = Zx.T @ zy / n_used
        beta, *_ = np.linalg.lstsq(Zx, zy, rcond=None)
        resid = zy - Zx @ beta
        r2 = float(1.0 - resid @ resid / (zy @ zy))
    pos = np.clip(coef, 0.0, None)
    if pos.sum() <= 0:
        raise ScoringError(
            "no driver has a positive association with the outcome; derived importance is undefined"
        )
    clipped = tuple(int(j) for j in np.flatnonzero(coef < 0))
    return DerivedImportance(pos / pos.sum(), coef, r2, n_used, method, clipped)
