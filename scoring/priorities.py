"""What to improve first: importance–performance analysis (IPA) and the
importance–satisfaction rating from the "top three priorities" question.

Conventions: performance is a (m communities × k sub-dimensions) matrix of 0–100 scores,
importance a (k,) vector (district-level derived importance) or an (m, k) matrix; NaN = no
score (gets no quadrant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError
from scoring.weighting._common import FloatArray, as_matrix

__all__ = [
    "QUADRANTS",
    "IPAResult",
    "ISResult",
    "importance_performance",
    "importance_satisfaction",
    "stated_importance_shares",
]

#: Quadrant code → (中文, English). Code −1 = not classified (missing score).
QUADRANTS: dict[int, tuple[str, str]] = {
    0: ("重点改进", "Improve first"),  # high importance, low performance
    1: ("继续保持", "Keep up the good work"),  # high importance, high performance
    2: ("次要改进", "Low priority"),  # low importance, low performance
    3: ("可能过度", "Possible overkill"),  # low importance, high performance
}


@dataclass(frozen=True)
class IPAResult:
    """Quadrants per community (rows) and sub-dimension (columns).

    ``quadrant`` holds codes 0–3 (see :data:`QUADRANTS`), −1 where the score is missing;
    ``label_zh`` / ``label_en`` the labels ("" for −1). ``importance_cut`` and
    ``performance_cut`` are the crosshairs used (broadcastable to (m, k)). A value equal to
    its crosshair counts as high.
    """

    quadrant: NDArray[np.int64]
    label_zh: NDArray[np.str_]
    label_en: NDArray[np.str_]
    importance_cut: FloatArray
    performance_cut: FloatArray


def _cut(value: ArrayLike | str | None, M: FloatArray, name: str, default: str) -> FloatArray:
    how = default if value is None else value
    if isinstance(how, str):
        with np.errstate(invalid="ignore"):
            if how == "grand":
                c = np.array(np.nanmean(M)) if np.isfinite(M).any() else np.array(np.nan)
            elif how == "column":
                c = _nanmean(M, axis=0)[None, :]
            elif how == "row":
                c = _nanmean(M, axis=1)[:, None]
            else:
                raise ScoringError(
                    f"{name} must be a number, an array, 'grand', 'column' or 'row'; got {how!r}"
                )
        return np.asarray(c, dtype=np.float64)
    c = np.asarray(how, dtype=np.float64)
    try:
        np.broadcast_to(c, M.shape)
    except ValueError:
        raise ScoringError(f"{name} of shape {c.shape} does not fit {M.shape}") from None
    return c


def _nanmean(M: FloatArray, axis: int) -> FloatArray:
    ok = ~np.isnan(M)
    cnt = ok.sum(axis=axis)
    tot = np.where(ok, M, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def importance_performance(
    importance: ArrayLike,
    performance: ArrayLike,
    *,
    importance_cut: ArrayLike | str | None = None,
    performance_cut: ArrayLike | str | None = None,
) -> IPAResult:
    """Importance–performance quadrants for every community and sub-dimension at once.

    Parameters
    ----------
    importance : array_like (k,) or (m, k)
        Importance of each sub-dimension (e.g. derived importance across the district's
        respondents); one vector for all communities or one per community.
    performance : array_like (m, k)
        Scores (0–100) of each community on each sub-dimension; NaN = no score.
    importance_cut : number, array or {"row", "grand"}, optional
        Importance crosshair. Default: the mean importance (of the vector, or of each
        community's row when importance is (m, k): ``"row"``).
    performance_cut : number, array or {"grand", "column", "row"}, optional
        Performance crosshair. Default ``"grand"``: the district mean over all communities and
        sub-dimensions. ``"column"``: each sub-dimension's district mean; ``"row"``: each
        community's own mean.

    Returns
    -------
    IPAResult
        Quadrants: 重点改进 (high importance, low score), 继续保持 (high, high),
        次要改进 (low, low), 可能过度 (low, high).

    Examples
    --------
    >>> r = importance_performance([0.4, 0.1, 0.3, 0.2], [[60, 90, 85, 70]])
    >>> r.label_zh.tolist()
    [['重点改进', '可能过度', '继续保持', '次要改进']]
    """
    P = as_matrix(performance, "performance", allow_nan=True)
    m, k = P.shape
    imp = np.asarray(importance, dtype=np.float64)
    if imp.ndim == 1:
        imp = imp[None, :]
    if imp.ndim != 2 or imp.shape[1] != k or imp.shape[0] not in (1, m):
        raise ScoringError(
            f"importance must have shape ({k},) or ({m}, {k}); got {np.shape(importance)}"
        )
    if not np.isfinite(imp).all():
        raise ScoringError("importance must be finite (one value per sub-dimension)")
    imp_full = np.broadcast_to(imp, (m, k))
    icut = _cut(importance_cut, np.asarray(imp), "importance_cut", "row")
    pcut = _cut(performance_cut, P, "performance_cut", "grand")
    hi_imp = np.greater_equal(imp_full, icut)
    with np.errstate(invalid="ignore"):
        hi_perf = np.greater_equal(P, pcut)
    q = np.where(hi_imp, np.where(hi_perf, 1, 0), np.where(hi_perf, 3, 2)).astype(np.int64)
    q[np.isnan(P) | np.isnan(np.broadcast_to(pcut, P.shape))] = -1
    zh = np.array(["", *(QUADRANTS[c][0] for c in range(4))])
    en = np.array(["", *(QUADRANTS[c][1] for c in range(4))])
    return IPAResult(q, zh[q + 1], en[q + 1], np.asarray(icut), np.asarray(pcut))


@dataclass(frozen=True)
class ISResult:
    """Importance–satisfaction ratings and the priority order (highest IS first, per row)."""

    is_score: FloatArray
    order: NDArray[np.int64]


def importance_satisfaction(stated_share: ArrayLike, satisfaction_share: ArrayLike) -> ISResult:
    """Importance–satisfaction rating ``IS = importance × (1 − satisfaction share)``.

    Parameters
    ----------
    stated_share : array_like (k,) or (m, k)
        Share of respondents choosing each sub-dimension among their top priorities.
    satisfaction_share : array_like, same shape
        Share satisfied (e.g. answering 4 or 5), in [0, 1].

    Returns
    -------
    ISResult
        Same shape as the inputs; ``order`` sorts sub-dimensions by decreasing IS along the
        last axis (stable; NaN last).

    Examples
    --------
    >>> r = importance_satisfaction([0.5, 0.2, 0.3], [0.6, 0.5, 0.9])
    >>> r.is_score.round(2).tolist(), r.order.tolist()
    ([0.2, 0.1, 0.03], [0, 1, 2])
    """
    imp = np.asarray(stated_share, dtype=np.float64)
    sat = np.asarray(satisfaction_share, dtype=np.float64)
    if imp.shape != sat.shape or imp.ndim not in (1, 2):
        raise ScoringError(
            f"stated_share {imp.shape} and satisfaction_share {sat.shape} must have the same "
            "shape (k,) or (m, k)"
        )
    for name, a in (("stated_share", imp), ("satisfaction_share", sat)):
        v = a[~np.isnan(a)]
        if ((v < 0) | (v > 1)).any():
            raise ScoringError(f"{name} must be shares in [0, 1]")
    score = imp * (1.0 - sat)
    key = np.where(np.isnan(score), np.inf, -score)
    order = np.argsort(key, axis=-1, kind="stable").astype(np.int64)
    return ISResult(score, order)


def stated_importance_shares(
    priorities: ArrayLike,
    group: ArrayLike,
    *,
    n_groups: int | None = None,
    answered: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
) -> FloatArray:
    """Share of respondents choosing each sub-dimension, per community (bincount-based).

    Parameters
    ----------
    priorities : array_like of bool (n, k)
        True where respondent i chose sub-dimension j among their top priorities.
    group : array_like of int (n,)
        Community index 0..m−1.
    answered : array_like of bool (n,), optional
        Who answered the question (denominator). Default: respondents who chose at least one.
    sample_weight : array_like (n,), optional
        Survey weights.

    Returns
    -------
    ndarray (m, k)
        Shares in [0, 1]; NaN for a community where nobody answered.

    Examples
    --------
    >>> P = [[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 0]]
    >>> stated_importance_shares(P, [0, 0, 1, 1]).tolist()
    [[0.5, 0.5, 1.0], [1.0, 1.0, 0.0]]
    """
    Pm = np.asarray(priorities)
    if Pm.ndim != 2:
        raise ScoringError(f"priorities must be a 2-D boolean matrix; got shape {Pm.shape}")
    if Pm.dtype != bool:
        if not np.isin(Pm, (0, 1)).all():
            raise ScoringError("priorities must be boolean (or 0/1)")
        Pm = Pm.astype(bool)
    n, k = Pm.shape
    g = np.asarray(group).ravel()
    if g.size != n:
        raise ScoringError(f"group has {g.size} entries; priorities has {n} rows")
    g = g.astype(np.int64)
    if n and g.min() < 0:
        raise ScoringError("group indices must be non-negative")
    m = int(n_groups) if n_groups is not None else (int(g.max()) + 1 if n else 0)
    if n and g.max() >= m:
        raise ScoringError(f"group has index {int(g.max())} ≥ n_groups = {m}")
    ans = np.asarray(
        Pm.any(axis=1) if answered is None else np.asarray(answered, dtype=bool).ravel(),
        dtype=np.bool_,
    )
    if ans.size != n:
        raise ScoringError(f"answered has {ans.size} entries; expected {n}")
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64).ravel()
    if w.size != n or not np.isfinite(w).all() or (w < 0).any():
        raise ScoringError("sample_weight must be n non-negative finite numbers")
    w = np.where(ans, w, 0.0)
    den = np.bincount(g, weights=w, minlength=m)
    rows, cols = np.nonzero(Pm & ans[:, None])
    num = np.bincount(g[rows] * k + cols, weights=w[rows], minlength=m * k).reshape(m, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den[:, None] > 0, num / np.where(den > 0, den, 1.0)[:, None], np.nan)
