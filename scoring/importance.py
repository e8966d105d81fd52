"""Derived importance within communities, with intervals, and IPA quadrants that are defensible.

Importance of each sub-dimension score (drivers, columns of ``X``) for the overall satisfaction
outcome ``y``, estimated from respondents *within* communities:

1. **Fixed effects**: every column of ``X`` and ``y`` is centred on its community mean (over the
   respondents who answered it), so differences *between* communities (which mix service
   quality with composition) do not drive the importance.
2. **Pairwise-complete correlations**: don't-know answers are NaN; the correlation of each pair
   of variables uses the respondents who answered both. Such a matrix need not be positive
   semi-definite; it is replaced by the nearest correlation matrix (Higham 2002, alternating
   projections with Dykstra's correction) when its smallest eigenvalue is below ``1e-10``.
3. **Relative weights** (Johnson 2000): ``R_xx = QΛQᵀ``, ``L = QΛ^{1/2}Qᵀ``,
   ``β = L⁻¹ r_xy``, ``ε_j = Σ_k L_jk² β_k²`` (they sum to R²), or the **Shapley / LMG**
   decomposition of R² (Grömping 2007): ``φ_j = Σ_{S ⊆ K∖j} |S|!(k−|S|−1)!/k! ·
   [R²(S ∪ j) − R²(S)]``, computed exactly over all ``2^k`` subsets (k ≤ 15).
4. **Intervals**: cluster bootstrap over communities (whole communities drawn with replacement,
   so the respondents' dependence within a community is kept), percentile intervals.

IPA quadrants (:func:`ipa_quadrants`): the performance cut of each sub-dimension is the
district median of community performance; a community is *low* / *high* on a sub-dimension
only when the interval of its gap to the cut, ``gap ± z·SE``, excludes zero (the cut is treated
as fixed). Importance is *high* / *low* when the bootstrap interval of the normalised importance
excludes the importance cut (default ``1/k``, the equal share). Only when both sides are
determined does a cell get a quadrant; otherwise it is ``undetermined``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from scoring.errors import ScoringError

__all__ = [
    "QUADRANT_ZH",
    "DriverImportance",
    "IPAResult",
    "Quadrant",
    "driver_importance",
    "ipa_quadrants",
    "nearest_correlation",
    "pairwise_correlation",
    "r2_from_correlation",
    "relative_weights_from_correlation",
    "shapley_r2",
    "within_centre",
]

FloatArray = NDArray[np.float64]
_METHODS = ("relative", "shapley")


def within_centre(Z: ArrayLike, groups: ArrayLike) -> FloatArray:
    """Centre every column on its group mean over non-missing rows (NaN stays NaN).

    Examples
    --------
    >>> within_centre([[1.0, np.nan], [3.0, 4.0], [10.0, 6.0]], [0, 0, 1]).tolist()
    [[-1.0, nan], [1.0, 0.0], [0.0, 0.0]]
    """
    A = np.asarray(Z, dtype=np.float64)
    g = np.asarray(groups)
    _, gi = np.unique(g, return_inverse=True)
    m = int(gi.max()) + 1 if gi.size else 0
    M = ~np.isnan(A)
    A0 = np.where(M, A, 0.0)
    sums = np.zeros((m, A.shape[1]))
    cnts = np.zeros((m, A.shape[1]))
    np.add.at(sums, gi, A0)
    np.add.at(cnts, gi, M)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / cnts
    return np.where(M, A - means[gi], np.nan)


def pairwise_correlation(
    Z: ArrayLike, weights: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """Pairwise-complete (optionally weighted) Pearson correlation matrix.

    Returns ``(R, N)`` where ``N[i, j]`` is the (weighted) number of rows with both present.
    Entries with fewer than 3 rows or a zero variance are NaN.

    Examples
    --------
    >>> R, N = pairwise_correlation([[1, 2], [2, 4], [3, np.nan], [4, 8.5]])
    >>> round(float(R[0, 1]), 4), N.tolist()
    (0.9996, [[4.0, 3.0], [3.0, 3.0]])
    """
    A = np.asarray(Z, dtype=np.float64)
    w = np.ones(A.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    M = (~np.isnan(A)).astype(np.float64)
    A0 = np.where(M > 0, A, 0.0)
    W = w[:, None]
    N = (M * W).T @ M
    S1 = (A0 * W).T @ M  # S1[i, j] = Σ w z_i over rows with both i and j
    S2 = (A0**2 * W).T @ M
    P = (A0 * W).T @ A0
    with np.errstate(invalid="ignore", divide="ignore"):
        mi, mj = S1 / N, S1.T / N
        cov = P / N - mi * mj
        vi, vj = S2 / N - mi**2, S2.T / N - mj**2
        R = cov / np.sqrt(vi * vj)
        bad = (M[w > 0].T @ M[w > 0] < 3) | ~(vi > 1e-12 * (S2 / N)) | ~(vj > 1e-12 * (S2.T / N))
    R[bad] = np.nan
    R = np.clip(R, -1.0, 1.0)
    np.fill_diagonal(R, np.where(np.isnan(np.diag(R)), np.nan, 1.0))
    return R, N


def nearest_correlation(
    R: ArrayLike, *, tol: float = 1e-10, max_iter: int = 200
) -> tuple[FloatArray, bool]:
    """Nearest correlation matrix (Higham 2002) if ``R`` is not PSD; returns ``(R', adjusted)``.

    Examples
    --------
    >>> bad = np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    >>> fixed, adjusted = nearest_correlation(bad)
    >>> adjusted, bool(np.linalg.eigvalsh(fixed).min() > -1e-8), np.diag(fixed).round(6).tolist()
    (True, True, [1.0, 1.0, 1.0])
    """
    A = np.asarray(R, dtype=np.float64)
    A = (A + A.T) / 2
    if np.linalg.eigvalsh(A).min() >= tol:
        return A, False
    Y = A.copy()
    dS = np.zeros_like(A)
    for _ in range(max_iter):
        Rk = Y - dS
        vals, vecs = np.linalg.eigh(Rk)
        X = (vecs * np.clip(vals, tol, None)) @ vecs.T
        dS = X - Rk
        Y_new = X.copy()
        np.fill_diagonal(Y_new, 1.0)
        if float(np.linalg.norm(Y_new - Y)) <= 1e-12 * max(1.0, float(np.linalg.norm(Y))):
            Y = Y_new
            break
        Y = Y_new
    vals, vecs = np.linalg.eigh((Y + Y.T) / 2)
    Y = (vecs * np.clip(vals, tol, None)) @ vecs.T
    d = np.sqrt(np.diag(Y))
    return Y / np.outer(d, d), True


def r2_from_correlation(Rxx: ArrayLike, rxy: ArrayLike) -> float:
    """``R² = r_xyᵀ R_xx⁻¹ r_xy`` of the standardised regression."""
    A = np.asarray(Rxx, dtype=np.float64)
    b = np.asarray(rxy, dtype=np.float64)
    if b.size == 0:
        return 0.0
    return float(b @ np.linalg.solve(A, b))


def relative_weights_from_correlation(Rxx: ArrayLike, rxy: ArrayLike) -> FloatArray:
    """Johnson's (2000) raw relative weights from a correlation matrix (they sum to R²).

    Examples
    --------
    >>> relative_weights_from_correlation(np.eye(2), [0.6, 0.3]).round(6).tolist()
    [0.36, 0.09]
    """
    A = np.asarray(Rxx, dtype=np.float64)
    b = np.asarray(rxy, dtype=np.float64)
    vals, Q = np.linalg.eigh((A + A.T) / 2)
    if vals.min() <= 1e-10 * max(float(vals.max()), 1.0):
        raise ScoringError(
            "relative weights need linearly independent drivers (singular correlation matrix)"
        )
    L = (Q * np.sqrt(vals)) @ Q.T
    beta = np.linalg.solve(L, b)
    return np.asarray((L**2) @ (beta**2), dtype=np.float64)


def shapley_r2(Rxx: ArrayLike, rxy: ArrayLike) -> FloatArray:
    """Shapley value (LMG) decomposition of R² over all subsets (exact; k ≤ 15).

    Examples
    --------
    >>> shapley_r2(np.eye(2), [0.6, 0.3]).round(6).tolist()
    [0.36, 0.09]
    """
    A = np.asarray(Rxx, dtype=np.float64)
    b = np.asarray(rxy, dtype=np.float64)
    k = b.size
    if k > 15:
        raise ScoringError(f"exact Shapley decomposition is limited to 15 drivers; got {k}")
    r2 = np.zeros(1 << k)
    for size in range(1, k + 1):
        for S in combinations(range(k), size):
            idx = list(S)
            mask = sum(1 << j for j in S)
            r2[mask] = r2_from_correlation(A[np.ix_(idx, idx)], b[idx])
    weight = [factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)]
    phi = np.zeros(k)
    for mask in range(1 << k):
        s = bin(mask).count("1")
        for j in range(k):
            if not mask >> j & 1:
                phi[j] += weight[s] * (r2[mask | 1 << j] - r2[mask])
    return phi


@dataclass(frozen=True)
class DriverImportance:
    """Result of :func:`driver_importance`.

    Attributes
    ----------
    raw : ndarray (k,)
        Raw relative weights / Shapley values (sum to ``r2``).
    importance : ndarray (k,)
        ``raw / r2`` (sum to 1).
    r2 : float
        Within-community R² of the drivers for the outcome.
    raw_low, raw_high, importance_low, importance_high : ndarray (k,)
        Percentile intervals at ``level`` from the cluster bootstrap (NaN when ``B = 0``).
    replicates : ndarray (B, k)
        Bootstrap replicates of ``importance`` (NaN rows for degenerate replicates).
    n_pairs : ndarray (k + 1, k + 1)
        Respondents with both variables present (drivers, then the outcome).
    psd_adjusted : bool
        The pairwise correlation matrix was replaced by its nearest correlation matrix.
    method : str
    level : float
    """

    raw: FloatArray
    importance: FloatArray
    r2: float
    raw_low: FloatArray
    raw_high: FloatArray
    importance_low: FloatArray
    importance_high: FloatArray
    replicates: FloatArray
    n_pairs: FloatArray
    psd_adjusted: bool
    method: str
    level: float


def _decompose(R: FloatArray, method: str) -> tuple[FloatArray, float, bool]:
    R, adjusted = nearest_correlation(R)
    Rxx, rxy = R[:-1, :-1], R[:-1, -1]
    raw = (
        relative_weights_from_correlation(Rxx, rxy)
        if method == "relative"
        else shapley_r2(Rxx, rxy)
    )
    return raw, float(raw.sum()), adjusted


def driver_importance(
    X: ArrayLike,
    y: ArrayLike,
    groups: ArrayLike,
    *,
    method: str = "relative",
    B: int = 500,
    level: float = 0.90,
    random_state: int | np.random.Generator | None = None,
) -> DriverImportance:
    """Within-community derived importance of each driver with cluster-bootstrap intervals.

    Parameters
    ----------
    X : array_like (n, k)
        Respondent-level sub-dimension scores, NaN = don't know / not answered.
    y : array_like (n,)
        Overall satisfaction outcome (e.g. OSI), NaN = missing.
    groups : array_like (n,)
        Community of each respondent (the fixed effect and the bootstrap cluster).
    method : {"relative", "shapley"}
        Johnson's relative weights (default) or the exact Shapley / LMG decomposition.
    B : int
        Bootstrap replicates over communities (0 = no intervals).
    level : float
        Interval level (default 0.90).
    random_state : int or Generator, optional

    Returns
    -------
    DriverImportance

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(20), 30)
    >>> X = rng.normal(size=(600, 2)) + rng.normal(size=(20, 1))[g] * 5
    >>> y = X @ [2.0, 1.0] + rng.normal(size=600)
    >>> r = driver_importance(X, y, g, B=50, random_state=1)
    >>> int(np.argmax(r.importance)), round(float(r.importance.sum()), 6)
    (0, 1.0)
    """
    A = np.asarray(X, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    g = np.asarray(groups)
    if A.ndim != 2 or b.shape != (A.shape[0],) or g.shape != b.shape:
        raise ScoringError(
            f"X must be (n, k), y and groups (n,); got {A.shape}, {b.shape}, {g.shape}"
        )
    if np.isinf(A).any() or np.isinf(b).any():
        raise ScoringError("X and y must not contain infinite values")
    if method not in _METHODS:
        raise ScoringError(f"method must be one of {_METHODS}; got {method!r}")
    if B < 0 or not 0 < level < 1:
        raise ScoringError(f"need B >= 0 and level in (0, 1); got B={B}, level={level}")
    Z = within_centre(np.column_stack([A, b]), g)
    R, N = pairwise_correlation(Z)
    if np.isnan(R).any():
        i, j = np.argwhere(np.isnan(R))[0]
        raise ScoringError(
            f"correlation of variables {i} and {j} is undefined (fewer than 3 respondents with "
            "both, or no variation within communities); drop the driver"
        )
    raw, r2, adjusted = _decompose(R, method)
    if r2 <= 0:
        raise ScoringError("the drivers explain none of the outcome within communities")
    k = A.shape[1]
    reps = np.full((B, k), np.nan)
    raw_reps = np.full((B, k), np.nan)
    if B:
        rng = np.random.default_rng(random_state)
        _, gi = np.unique(g, return_inverse=True)
        m = int(gi.max()) + 1
        for r in range(B):
            counts = rng.multinomial(m, np.full(m, 1.0 / m)).astype(np.float64)
            Rb, _ = pairwise_correlation(Z, counts[gi])
            if np.isnan(Rb).any():
                continue
            try:
                rb, r2b, _ = _decompose(Rb, method)
            except (ScoringError, np.linalg.LinAlgError):
                continue
            if r2b > 0:
                raw_reps[r] = rb
                reps[r] = rb / r2b
    return importance_result(
        raw, r2, raw_reps, reps, n_pairs=N, psd_adjusted=adjusted, method=method, level=level
    )


def importance_result(
    raw: np.ndarray,
    r2: float,
    raw_reps: np.ndarray,
    reps: np.ndarray,
    *,
    n_pairs: Any,
    psd_adjusted: bool,
    method: str,
    level: float,
) -> DriverImportance:
    """The point estimate and percentile intervals from the (B, k) replicates (rows of NaN for
    failed replicates; no interval when none succeeded). Shared by :func:`driver_importance`
    and :func:`scoring.priorities.clustered_importance`, which computes the same replicates
    from per-community sums."""
    a = (1 - level) / 2
    nan = np.full(raw.shape[0], np.nan)
    have = reps.shape[0] > 0 and bool(np.isfinite(reps[:, 0]).any())
    return DriverImportance(
        raw=raw,
        importance=raw / r2,
        r2=r2,
        raw_low=np.nanquantile(raw_reps, a, axis=0) if have else nan,
        raw_high=np.nanquantile(raw_reps, 1 - a, axis=0) if have else nan,
        importance_low=np.nanquantile(reps, a, axis=0) if have else nan,
        importance_high=np.nanquantile(reps, 1 - a, axis=0) if have else nan,
        replicates=reps,
        n_pairs=n_pairs,
        psd_adjusted=psd_adjusted,
        method=method,
        level=float(level),
    )


class Quadrant(StrEnum):
    """IPA quadrant of one community × sub-dimension cell."""

    PRIORITY = "priority"  # 重点改进: high importance, low performance
    MAINTAIN = "maintain"  # 继续保持: high importance, high performance
    LOW_PRIORITY = "low_priority"  # 次要改进: low importance, low performance
    POSSIBLE_OVERKILL = "possible_overkill"  # 可能过度: low importance, high performance
    UNDETERMINED = "undetermined"


QUADRANT_ZH = {
    Quadrant.PRIORITY: "重点改进",
    Quadrant.MAINTAIN: "继续保持",
    Quadrant.LOW_PRIORITY: "次要改进",
    Quadrant.POSSIBLE_OVERKILL: "可能过度",
    Quadrant.UNDETERMINED: "待定",
}


@dataclass(frozen=True)
class IPAResult:
    """Result of :func:`ipa_quadrants`.

    Attributes
    ----------
    quadrant : ndarray (m, k) of str
        :class:`Quadrant` values.
    performance_side : ndarray (m, k) int
        +1 above the cut (interval excludes 0), −1 below, 0 undetermined.
    importance_side : ndarray (k,) int
        +1 / −1 / 0 likewise against ``importance_cut``.
    cut : ndarray (k,)
        District median of community performance per sub-dimension.
    gap : ndarray (m, k)
        ``performance − cut``.
    importance_cut : float
    level : float
    """

    quadrant: NDArray[np.str_]
    performance_side: NDArray[np.int64]
    importance_side: NDArray[np.int64]
    cut: FloatArray
    gap: FloatArray
    importance_cut: float
    level: float


def ipa_quadrants(
    performance: ArrayLike,
    performance_se: ArrayLike,
    importance_low: ArrayLike,
    importance_high: ArrayLike,
    *,
    importance_cut: float | None = None,
    level: float = 0.90,
) -> IPAResult:
    """IPA quadrants only where the gaps to the cuts are statistically clear.

    Parameters
    ----------
    performance, performance_se : array_like (m, k)
        Community scores per sub-dimension and their SEs (NaN = unknown → undetermined).
    importance_low, importance_high : array_like (k,)
        Interval of the normalised importance (e.g. from :func:`driver_importance`).
    importance_cut : float, optional
        Default ``1/k``.
    level : float
        Level of the performance-gap intervals (default 0.90).

    Returns
    -------
    IPAResult

    Examples
    --------
    >>> P = [[50.0, 80.0], [70.0, 70.0], [90.0, 60.0]]
    >>> r = ipa_quadrants(P, np.full((3, 2), 2.0), [0.6, 0.1], [0.8, 0.3])
    >>> r.quadrant.tolist()
    [['priority', 'possible_overkill'], ['undetermined', 'undetermined'], ['maintain', \
'low_priority']]
    """
    Pm = np.asarray(performance, dtype=np.float64)
    S = np.asarray(performance_se, dtype=np.float64)
    lo = np.asarray(importance_low, dtype=np.float64)
    hi = np.asarray(importance_high, dtype=np.float64)
    if Pm.ndim != 2 or S.shape != Pm.shape or lo.shape != (Pm.shape[1],) or hi.shape != lo.shape:
        raise ScoringError(
            "performance and performance_se must be (m, k) and the importance bounds (k,); got "
            f"{Pm.shape}, {S.shape}, {lo.shape}, {hi.shape}"
        )
    k = Pm.shape[1]
    cut_imp = 1.0 / k if importance_cut is None else float(importance_cut)
    if np.isnan(Pm).all(axis=0).any():
        raise ScoringError("a sub-dimension has no community performance to take a median of")
    cut = np.nanmedian(Pm, axis=0)
    gap = Pm - cut
    z = float(stats.norm.ppf(0.5 + level / 2))
    ok = np.isfinite(gap) & np.isfinite(S) & (S > 0)
    with np.errstate(invalid="ignore"):
        perf = np.where(ok & (gap - z * S > 0), 1, np.where(ok & (gap + z * S < 0), -1, 0))
        imp = np.where(lo > cut_imp, 1, np.where(hi < cut_imp, -1, 0))
    quad = np.full(Pm.shape, Quadrant.UNDETERMINED.value, dtype="<U17")
    side = imp[None, :]
    quad[(side > 0) & (perf < 0)] = Quadrant.PRIORITY.value
    quad[(side > 0) & (perf > 0)] = Quadrant.MAINTAIN.value
    quad[(side < 0) & (perf < 0)] = Quadrant.LOW_PRIORITY.value
    quad[(side < 0) & (perf > 0)] = Quadrant.POSSIBLE_OVERKILL.value
    return IPAResult(
        quadrant=quad,
        performance_side=perf.astype(np.int64),
        importance_side=imp.astype(np.int64),
        cut=cut,
        gap=gap,
        importance_cut=cut_imp,
        level=float(level),
    )
