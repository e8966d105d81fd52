"""Fay–Herriot area-level model: EBLUP of community scores with Prasad–Rao MSE.

Model (Fay & Herriot 1979) for community ``c = 1..m``::

    y_c = x_cᵀ β + v_c + e_c,   v_c ~ N(0, σ²_v),   e_c ~ N(0, ψ_c)   (ψ_c known)

``y_c`` is the direct (survey) estimate and ``ψ_c`` its sampling variance (SE²); ``x_c`` holds
area covariates, here usually an intercept and street (or housing-type) dummies
(:func:`dummies`). With ``V = diag(σ²_v + ψ_c)``:

- ``β̂ = (XᵀV⁻¹X)⁻¹ XᵀV⁻¹ y`` (GLS), synthetic estimate ``x_cᵀβ̂``;
- shrinkage ``γ_c = σ²_v / (σ²_v + ψ_c)``; EBLUP ``θ̂_c = γ_c y_c + (1 − γ_c) x_cᵀβ̂``;
- ``σ²_v`` by REML (Fisher scoring, truncated at 0) or the Prasad–Rao (1990) moment
  estimator ``[Σ ê²_OLS − Σ ψ_c (1 − h_cc)] / (m − p)`` truncated at 0;
- MSE (Prasad–Rao 1990; Datta–Lahiri 2000 for REML): ``g1 + g2 + 2 g3`` with
  ``g1 = γ_c ψ_c``, ``g2 = (1 − γ_c)² x_cᵀ (XᵀV⁻¹X)⁻¹ x_c``,
  ``g3 = ψ_c² / (σ²_v + ψ_c)³ · V̄(σ̂²_v)`` where ``V̄ = 2 / Σ_c (σ²_v + ψ_c)⁻²`` for REML and
  ``V̄ = 2 m⁻² Σ_c (σ²_v + ψ_c)²`` for the Prasad–Rao estimator;
- interval ``θ̂_c ± z √MSE_c``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from scoring.errors import ScoringError

__all__ = ["FayHerriot", "dummies", "fay_herriot"]

FloatArray = NDArray[np.float64]
_METHODS = ("reml", "pr")


@dataclass(frozen=True)
class FayHerriot:
    """Result of :func:`fay_herriot` (arrays are per community, in input order).

    Attributes
    ----------
    estimate : ndarray (m,)
        EBLUP ``θ̂_c``.
    direct, psi : ndarray (m,)
        The inputs ``y_c`` and ``ψ_c``.
    synthetic : ndarray (m,)
        Regression (synthetic) estimate ``x_cᵀβ̂``.
    gamma : ndarray (m,)
        Shrinkage factor (weight of the direct estimate).
    mse, g1, g2, g3 : ndarray (m,)
        ``mse = g1 + g2 + 2 g3``.
    ci_low, ci_high : ndarray (m,)
        ``θ̂ ± z √mse`` at ``level``.
    direct_low, direct_high : ndarray (m,)
        Direct intervals ``y ± z √ψ`` at ``level``.
    beta : ndarray (p,)
        GLS coefficients.
    sigma2_v : float
        Estimated area-effect variance (≥ 0).
    method : str
        ``"reml"`` or ``"pr"``.
    iterations : int
        Fisher-scoring iterations (0 for ``"pr"``).
    converged : bool
    level : float
    """

    estimate: FloatArray
    direct: FloatArray
    psi: FloatArray
    synthetic: FloatArray
    gamma: FloatArray
    mse: FloatArray
    g1: FloatArray
    g2: FloatArray
    g3: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    direct_low: FloatArray
    direct_high: FloatArray
    beta: FloatArray
    sigma2_v: float
    method: str
    iterations: int
    converged: bool
    level: float

    @property
    def se(self) -> FloatArray:
        """``√MSE``."""
        return np.sqrt(self.mse)


def dummies(labels: Sequence[object], *, intercept: bool = True) -> FloatArray:
    """Design matrix of group dummies (e.g. the street of each community).

    With ``intercept`` (default): a column of ones plus one dummy per group except the first
    (in sorted order); without: one dummy per group (cell means). Groups are sorted by label.

    Examples
    --------
    >>> dummies(["b", "a", "b", "c"]).tolist()
    [[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    keys = sorted(set(labels), key=str)
    pos = {k: i for i, k in enumerate(keys)}
    idx = np.array([pos[v] for v in labels], dtype=np.intp)
    D = np.zeros((idx.size, len(keys)))
    D[np.arange(idx.size), idx] = 1.0
    if intercept:
        D = np.column_stack([np.ones(idx.size), D[:, 1:]])
    return D


def _gls(y: FloatArray, X: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """β̂ and (XᵀV⁻¹X)⁻¹ for a diagonal V with entries v."""
    Xw = X / v[:, None]
    A = X.T @ Xw
    A_inv: FloatArray = np.asarray(np.linalg.inv(A), dtype=np.float64)
    return A_inv @ (Xw.T @ y), A_inv


def _prasad_rao(y: FloatArray, X: FloatArray, psi: FloatArray) -> float:
    m, p = X.shape
    XtX_inv = np.linalg.inv(X.T @ X)
    resid = y - X @ (XtX_inv @ (X.T @ y))
    h = np.einsum("ij,jk,ik->i", X, XtX_inv, X)
    return max(0.0, float((resid @ resid - np.sum(psi * (1.0 - h))) / (m - p)))


def _reml(
    y: FloatArray, X: FloatArray, psi: FloatArray, start: float, tol: float, max_iter: int
) -> tuple[float, int, bool]:
    """REML σ²_v by Fisher scoring, truncated at 0."""
    s2 = max(start, 0.0)
    for it in range(1, max_iter + 1):
        v = s2 + psi
        Vinv = np.diag(1.0 / v)
        XtVinv = X.T * (1.0 / v)
        P = Vinv - XtVinv.T @ np.linalg.solve(XtVinv @ X, XtVinv)
        Py = P @ y
        score = -0.5 * np.trace(P) + 0.5 * Py @ Py
        info = 0.5 * np.sum(P * P)  # tr(P P), P symmetric
        new = max(0.0, s2 + score / info)
        if abs(new - s2) <= tol * max(1.0, s2):
            return new, it, True
        s2 = new
    return s2, max_iter, False


def fay_herriot(
    direct: ArrayLike,
    psi: ArrayLike,
    X: ArrayLike | None = None,
    *,
    method: str = "reml",
    level: float = 0.90,
    sigma2_v: float | None = None,
    tol: float = 1e-8,
    max_iter: int = 100,
) -> FayHerriot:
    """Fay–Herriot EBLUP with Prasad–Rao / Datta–Lahiri MSE.

    Parameters
    ----------
    direct : array_like (m,)
        Direct estimates ``y_c`` (finite).
    psi : array_like (m,)
        Their sampling variances ``ψ_c = SE_c²`` (finite, > 0; treated as known).
    X : array_like (m, p), optional
        Design matrix (full column rank, p < m). Default: intercept only. Build street dummies
        with :func:`dummies`.
    method : {"reml", "pr"}
        Estimator of ``σ²_v``: REML by Fisher scoring (default, started at the Prasad–Rao
        value) or the Prasad–Rao moment estimator; both truncated at 0.
    level : float
        Interval level (default 0.90).
    sigma2_v : float, optional
        Use this ``σ²_v`` instead of estimating it (``g3`` is then 0: no estimation error).
    tol, max_iter
        Fisher-scoring convergence tolerance (relative) and iteration cap.

    Returns
    -------
    FayHerriot

    Examples
    --------
    >>> r = fay_herriot([60.0, 70.0, 80.0], [4.0, 4.0, 4.0], sigma2_v=12.0)
    >>> r.gamma.tolist(), r.estimate.tolist()
    ([0.75, 0.75, 0.75], [62.5, 70.0, 77.5])
    """
    y = np.asarray(direct, dtype=np.float64)
    ps = np.asarray(psi, dtype=np.float64)
    if y.ndim != 1 or ps.shape != y.shape:
        raise ScoringError(f"direct and psi must be 1-D of equal length; got {y.shape}, {ps.shape}")
    if not np.isfinite(y).all():
        raise ScoringError("direct estimates must be finite: drop communities without one")
    if not (np.isfinite(ps).all() and (ps > 0).all()):
        raise ScoringError(
            "sampling variances psi must be finite and > 0 (a missing SE is not 0): drop or "
            "impute communities without one"
        )
    m = y.size
    D = np.ones((m, 1)) if X is None else np.asarray(X, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != m:
        raise ScoringError(f"X must have shape ({m}, p); got {D.shape}")
    p = D.shape[1]
    if p >= m:
        raise ScoringError(f"Fay–Herriot needs more communities ({m}) than covariates ({p})")
    if np.linalg.matrix_rank(D) < p:
        raise ScoringError("X is not of full column rank (drop a redundant dummy or intercept)")
    if method not in _METHODS:
        raise ScoringError(f"method must be one of {_METHODS}; got {method!r}")
    if not 0 < level < 1:
        raise ScoringError(f"level must be in (0, 1); got {level}")

    iterations, converged = 0, True
    if sigma2_v is not None:
        if not (np.isfinite(sigma2_v) and sigma2_v >= 0):
            raise ScoringError(f"sigma2_v must be >= 0; got {sigma2_v}")
        s2 = float(sigma2_v)
    else:
        s2 = _prasad_rao(y, D, ps)
        if method == "reml":
            s2, iterations, converged = _reml(y, D, ps, s2, tol, max_iter)

    v = s2 + ps
    beta, A_inv = _gls(y, D, v)
    synthetic = D @ beta
    gamma = s2 / v
    estimate = gamma * y + (1.0 - gamma) * synthetic
    g1 = gamma * ps
    g2 = (1.0 - gamma) ** 2 * np.einsum("ij,jk,ik->i", D, A_inv, D)
    if sigma2_v is not None:
        var_s2 = 0.0
    elif method == "reml":
        var_s2 = 2.0 / float(np.sum(v**-2))
    else:
        var_s2 = 2.0 * float(np.sum(v**2)) / m**2
    g3 = ps**2 / v**3 * var_s2
    mse = g1 + g2 + 2.0 * g3
    z = float(stats.norm.ppf(0.5 + level / 2))
    half = z * np.sqrt(mse)
    dhalf = z * np.sqrt(ps)
    return FayHerriot(
        estimate=estimate,
        direct=y,
        psi=ps,
        synthetic=synthetic,
        gamma=gamma,
        mse=mse,
        g1=g1,
        g2=g2,
        g3=g3,
        ci_low=estimate - half,
        ci_high=estimate + half,
        direct_low=y - dhalf,
        direct_high=y + dhalf,
        beta=beta,
        sigma2_v=s2,
        method=method if sigma2_v is None else "fixed",
        iterations=iterations,
        converged=converged,
        level=float(level),
    )
