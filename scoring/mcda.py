"""Multi-criteria evaluation methods offered to researchers: TOPSIS, grey relational
analysis and fuzzy comprehensive evaluation.

TOPSIS and grey relational grades are **relative to the current set of communities**: adding
or removing a community changes every other community's value. Every result says so
(``relative_to``); never use them for trends. Conventions: rows = communities, columns =
criteria; weights (n,) or a batch (draws, n) for Monte Carlo; missing values raise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError
from scoring.weighting._common import FloatArray, as_directions, as_matrix, minmax_by_direction

__all__ = [
    "RELATIVE_NOTE",
    "FuzzyResult",
    "GreyResult",
    "TopsisResult",
    "fuzzy_evaluation",
    "fuzzy_membership",
    "grey_relational_analysis",
    "topsis",
]

RELATIVE_NOTE = (
    "relative to the current set of communities: values change when communities are added or "
    "removed; not comparable across waves"
)
_NORMALISATIONS = ("vector", "minmax", "max", "sum")


def _weights_batch(weights: ArrayLike, n: int) -> tuple[FloatArray, bool]:
    W = np.asarray(weights, dtype=np.float64)
    single = W.ndim == 1
    W2 = W[None, :] if single else W
    if W2.ndim != 2 or W2.shape[1] != n:
        raise ScoringError(f"weights must have shape ({n},) or (draws, {n}); got {W.shape}")
    if not np.isfinite(W2).all():
        raise ScoringError("weights must be finite")
    if (W2 < 0).any():
        raise ScoringError("weights must be non-negative")
    tot = W2.sum(axis=1, keepdims=True)
    if (tot <= 0).any():
        raise ScoringError(f"weight vector {int(np.argmax(tot.ravel() <= 0))} is all zero")
    return W2 / tot, single


@dataclass(frozen=True)
class TopsisResult:
    """TOPSIS closeness ``C = D⁻ / (D⁺ + D⁻)`` in [0, 1] (higher is better).

    ``closeness``, ``d_plus``, ``d_minus`` have shape (m,) for one weight vector or
    (draws, m) for a batch; distances are ``None`` when not requested. A community whose
    distances are both 0 (no weighted criterion varies) gets NaN.
    """

    closeness: FloatArray
    d_plus: FloatArray | None
    d_minus: FloatArray | None
    normalisation: str
    relative_to: str = RELATIVE_NOTE


def _normalise(X: FloatArray, d: NDArray[np.int8], how: str) -> tuple[FloatArray, NDArray[np.int8]]:
    if how == "minmax":
        return minmax_by_direction(X, d), np.ones_like(d)
    if how in ("vector", "sum", "max") and (X < 0).any():
        raise ScoringError(
            f"{how!r} normalisation needs non-negative data; use normalisation='minmax'"
        )
    if how == "vector":
        den = np.sqrt((X**2).sum(axis=0))
    elif how == "sum":
        den = X.sum(axis=0)
    elif how == "max":
        den = X.max(axis=0)
    else:
        raise ScoringError(f"normalisation must be one of {_NORMALISATIONS}; got {how!r}")
    return X / np.where(den > 0, den, 1.0), d


def topsis(
    X: ArrayLike,
    weights: ArrayLike,
    *,
    directions: ArrayLike | None = None,
    normalisation: str = "vector",
    distances: bool = True,
) -> TopsisResult:
    """TOPSIS (Hwang & Yoon 1981) closeness to the ideal, relative to the current set.

    Normalise columns (``"vector"``: x/‖x‖₂, default; ``"minmax"`` by direction; ``"max"``;
    ``"sum"``), weight them, take the ideal (best per column: max for benefit, min for cost)
    and anti-ideal, Euclidean distances ``D⁺``, ``D⁻`` and ``C = D⁻ / (D⁺ + D⁻)``.
    Cost columns keep their normalised values and take the minimum as ideal; this equals
    pymcdm's reflection (``1 − r``) for vector, min-max and max normalisation.

    A batch of weight vectors (draws × n) is evaluated at once: because weights are
    non-negative the weighted ideal is ``w_j × ideal_j``, so ``D²`` is a matrix product
    ``((N − ideal)²) @ (w²)ᵀ`` — no (draws × m × n) array is built.

    Examples
    --------
    >>> X = [[78.2, 65.0, 81.5], [70.1, 72.3, 69.8], [85.4, 60.2, 75.0], [66.0, 80.1, 71.2]]
    >>> topsis(X, [0.5, 0.3, 0.2]).closeness.round(4).tolist()
    [0.5256, 0.3449, 0.5975, 0.3938]
    """
    A = as_matrix(X)
    n = A.shape[1]
    d = as_directions(directions, n)
    W, single = _weights_batch(weights, n)
    N, dd = _normalise(A, d, normalisation)
    best = np.where(dd > 0, N.max(axis=0), N.min(axis=0))
    worst = np.where(dd > 0, N.min(axis=0), N.max(axis=0))
    W2 = W**2  # (draws, n)
    dp = W2 @ ((N - best) ** 2).T  # (draws, m)
    dm = W2 @ ((N - worst) ** 2).T
    np.maximum(dp, 0.0, out=dp)
    np.sqrt(dp, out=dp)
    np.maximum(dm, 0.0, out=dm)
    np.sqrt(dm, out=dm)
    tot = dp + dm
    with np.errstate(invalid="ignore", divide="ignore"):
        C = np.divide(dm, tot, out=np.full_like(tot, np.nan), where=tot > 0)
    del tot
    if single:
        C, dp, dm = C[0], dp[0], dm[0]
    return TopsisResult(
        closeness=C,
        d_plus=dp if distances else None,
        d_minus=dm if distances else None,
        normalisation=normalisation,
    )


@dataclass(frozen=True)
class GreyResult:
    """Grey relational grades (m,) or (draws, m) and coefficients ξ (m, n)."""

    grades: FloatArray
    coefficients: FloatArray
    rho: float
    relative_to: str = RELATIVE_NOTE


def grey_relational_analysis(
    X: ArrayLike,
    weights: ArrayLike,
    *,
    rho: float = 0.5,
    directions: ArrayLike | None = None,
    normalisation: str = "minmax",
) -> GreyResult:
    """Grey relational analysis (Deng 1982) against the ideal community.

    Columns are min-max normalised by direction (``normalisation="minmax"``, default; or
    ``"none"`` for data already on a common scale, where the reference is the best value of
    each column by direction). Reference series = best value per column;
    ``Δ_ij = |x₀_j − x_ij|``; coefficient
    ``ξ_ij = (Δmin + ρ Δmax) / (Δ_ij + ρ Δmax)`` with Δmin, Δmax over all communities and
    criteria; grade ``γ_i = Σ_j w_j ξ_ij``. ρ = 0.5 by default.

    Examples
    --------
    >>> X = [[78.2, 65.0, 81.5], [70.1, 72.3, 69.8], [85.4, 60.2, 75.0], [66.0, 80.1, 71.2]]
    >>> g = grey_relational_analysis(X, [0.5, 0.3, 0.2])
    >>> int(np.argmax(g.grades))
    2
    """
    if not 0 < rho <= 1:
        raise ScoringError(f"rho must be in (0, 1]; got {rho}")
    A = as_matrix(X)
    n = A.shape[1]
    d = as_directions(directions, n)
    W, single = _weights_batch(weights, n)
    if normalisation == "minmax":
        Y = minmax_by_direction(A, d)
        ref = np.ones(n)
    elif normalisation == "none":
        Y = A
        ref = np.where(d > 0, A.max(axis=0), A.min(axis=0))
    else:
        raise ScoringError(f"normalisation must be 'minmax' or 'none'; got {normalisation!r}")
    delta = np.abs(ref - Y)
    dmin, dmax = float(delta.min()), float(delta.max())
    xi = np.ones_like(delta) if dmax == 0 else (dmin + rho * dmax) / (delta + rho * dmax)
    grades = (xi @ W.T).T
    return GreyResult(grades[0] if single else grades, xi, float(rho))


@dataclass(frozen=True)
class FuzzyResult:
    """Fuzzy comprehensive evaluation: membership vector(s) B, optional score, best grade."""

    B: FloatArray
    score: FloatArray | float | None
    grade_index: NDArray[np.int64] | int


def fuzzy_evaluation(
    A: ArrayLike,
    R: ArrayLike,
    V: ArrayLike | None = None,
    *,
    operator: str = "weighted_average",
) -> FuzzyResult:
    """Fuzzy comprehensive evaluation ``B = A ∘ R`` and score ``B·V / ΣB``.

    Parameters
    ----------
    A : array_like (k,)
        Factor weights (normalised to sum 1).
    R : array_like (k, g) or (m, k, g)
        Membership of each factor in each grade (rows usually sum to 1), or one such matrix
        per community (see :func:`fuzzy_membership`).
    V : array_like (g,), optional
        Grade values, e.g. (95, 80, 65, 50); gives the score.
    operator : {"weighted_average", "min_max"}
        ``M(·, ⊕)``: ``B = A·R`` (default, keeps all information); ``M(∧, ∨)`` (Zadeh):
        ``B_l = max_i min(a_i, r_il)``, then normalised to sum 1.

    Returns
    -------
    FuzzyResult
        ``grade_index`` is the grade with the largest membership (maximum-membership
        principle).

    Examples
    --------
    >>> R = [[.5, .3, .2, 0], [.2, .4, .3, .1], [.1, .3, .5, .1], [0, .2, .4, .4]]
    >>> r = fuzzy_evaluation([0.4, 0.3, 0.2, 0.1], R, [95, 80, 65, 50])
    >>> r.B.round(4).tolist(), round(float(r.score), 2)
    ([0.28, 0.32, 0.31, 0.09], 76.85)
    """
    a = np.asarray(A, dtype=np.float64).ravel()
    if a.size == 0 or not np.isfinite(a).all() or (a < 0).any() or a.sum() <= 0:
        raise ScoringError("A must be non-negative finite factor weights, not all zero")
    a = a / a.sum()
    Rm = np.asarray(R, dtype=np.float64)
    if Rm.ndim not in (2, 3) or Rm.shape[-2] != a.size:
        raise ScoringError(
            f"R must have shape ({a.size}, grades) or (communities, {a.size}, grades); "
            f"got {Rm.shape}"
        )
    if np.isnan(Rm).any():
        raise ScoringError("R has missing memberships (an item without answers?)")
    if (Rm < 0).any() or (Rm > 1 + 1e-9).any():
        raise ScoringError("memberships in R must lie in [0, 1]")
    if operator == "weighted_average":
        B = np.einsum("k,...kg->...g", a, Rm)
    elif operator == "min_max":
        B = np.minimum(a[:, None], Rm).max(axis=-2)
        s = B.sum(axis=-1, keepdims=True)
        B = B / np.where(s > 0, s, 1.0)
    else:
        raise ScoringError(f"operator must be 'weighted_average' or 'min_max'; got {operator!r}")
    grade = np.argmax(B, axis=-1)
    score: FloatArray | float | None = None
    if V is not None:
        v = np.asarray(V, dtype=np.float64).ravel()
        if v.size != B.shape[-1] or not np.isfinite(v).all():
            raise ScoringError(f"V must have {B.shape[-1]} finite grade values")
        s = B.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sc = (B @ v) / s
        score = float(sc) if B.ndim == 1 else sc
    return FuzzyResult(B, score, int(grade) if B.ndim == 1 else grade)


def fuzzy_membership(
    X: ArrayLike,
    *,
    points: int = 5,
    group: ArrayLike | None = None,
    n_groups: int | None = None,
    reverse_mask: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    best_first: bool = True,
) -> FloatArray:
    """Membership matrix R from answer distributions: share of each answer per item.

    Parameters
    ----------
    X : array_like (n, k)
        Answers 1..points per respondent and item; NaN = missing (excluded).
    group : array_like of int (n,), optional
        Community index 0..m−1: one R per community, shape (m, k, points).
    reverse_mask : array_like of bool (k,), optional
        Reverse-keyed items are recoded ``points + 1 − x`` first.
    sample_weight : array_like (n,), optional
        Survey weights.
    best_first : bool
        Column 0 is the best answer (``points``, e.g. 非常满意), matching grade values such as
        (95, 80, 65, 50, 35); ``False`` orders answers 1..points.

    Returns
    -------
    ndarray (k, points) or (m, k, points)
        Rows sum to 1; an item (or community × item) without answers is NaN.

    Examples
    --------
    >>> fuzzy_membership([[5, 4], [4, 4], [5, 2], [3, 4]], points=5)[0].tolist()
    [0.5, 0.25, 0.25, 0.0, 0.0]
    """
    Am = as_matrix(X, allow_nan=True)
    n, k = Am.shape
    if points < 2:
        raise ScoringError("points must be at least 2")
    obs = ~np.isnan(Am)
    vals = Am[obs]
    if ((vals < 1) | (vals > points) | (vals != np.round(vals))).any():
        raise ScoringError(f"answers must be integers 1..{points} (NaN for missing)")
    if reverse_mask is not None:
        rev = np.asarray(reverse_mask, dtype=bool).ravel()
        if rev.size != k:
            raise ScoringError(f"reverse_mask has {rev.size} entries; X has {k} columns")
        Am = np.where(rev[None, :], points + 1 - Am, Am)
    if group is None:
        g = np.zeros(n, dtype=np.int64)
        m = 1
    else:
        g = np.asarray(group).ravel().astype(np.int64)
        if g.size != n or (g < 0).any():
            raise ScoringError("group must hold a non-negative community index per row")
        m = int(n_groups) if n_groups is not None else int(g.max()) + 1 if n else 0
        if n and g.max() >= m:
            raise ScoringError(f"group has index {int(g.max())} ≥ n_groups = {m}")
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64).ravel()
        if w.size != n or not np.isfinite(w).all() or (w < 0).any():
            raise ScoringError("sample_weight must be n non-negative finite numbers")
    rows, cols = np.nonzero(obs)
    level = Am[rows, cols].astype(np.int64) - 1
    if best_first:
        level = points - 1 - level
    idx = (g[rows] * k + cols) * points + level
    counts = np.bincount(idx, weights=None if w is None else w[rows], minlength=m * k * points)
    counts = counts.reshape(m, k, points).astype(np.float64)
    tot = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        Rm = np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), np.nan)
    return Rm[0] if group is None else Rm
