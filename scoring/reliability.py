"""Reliability and factorability of item blocks: Cronbach's α, item-total correlations,
α if item deleted, McDonald's ω (one-factor), KMO and Bartlett's sphericity test.

Conventions: rows = respondents, columns = items, NaN = missing (including 不了解/不适用).
Missing values are handled **listwise** by default (rows with any missing item in the block
are dropped, and ``n`` reports how many rows were used); :func:`cronbach_alpha` also offers
``nan_policy="pairwise"`` (covariances over jointly observed rows, as pingouin's default).
Reverse-keyed items must be recoded before (``reliability_report`` can do it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from scoring.errors import ScoringError
from scoring.weighting._common import FloatArray, as_matrix

__all__ = [
    "AlphaResult",
    "BlockReliability",
    "alpha_if_deleted",
    "bartlett_sphericity",
    "cronbach_alpha",
    "item_total_correlations",
    "kmo",
    "mcdonald_omega",
    "one_factor_loadings",
    "reliability_report",
]


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


@dataclass(frozen=True)
class BlockReliability:
    """Reliability of one block (dimension or sub-dimension) of items.

    Statistics that cannot be computed for the block (too few items or rows, zero variance,
    singular correlations) are NaN and the reason is in ``notes``.
    """

    code: str
    items: tuple[str, ...]
    n: int
    alpha: float
    alpha_ci: tuple[float, float]
    omega: float
    item_total: dict[str, float]
    alpha_if_deleted: dict[str, float]
    kmo: float
    kmo_per_item: dict[str, float]
    bartlett_chi2: float
    bartlett_df: int
    bartlett_p: float
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict (NaN → None)."""

        def f(x: float) -> float | None:
            return None if not np.isfinite(x) else float(x)

        return {
            "code": self.code,
            "items": list(self.items),
            "n": self.n,
            "alpha": f(self.alpha),
            "alpha_ci": [f(self.alpha_ci[0]), f(self.alpha_ci[1])],
            "omega": f(self.omega),
            "item_total": {k: f(v) for k, v in self.item_total.items()},
            "alpha_if_deleted": {k: f(v) for k, v in self.alpha_if_deleted.items()},
            "kmo": f(self.kmo),
            "kmo_per_item": {k: f(v) for k, v in self.kmo_per_item.items()},
            "bartlett_chi2": f(self.bartlett_chi2),
            "bartlett_df": self.bartlett_df,
            "bartlett_p": f(self.bartlett_p),
            "notes": list(self.notes),
        }


def reliability_report(
    X: ArrayLike,
    codes: Sequence[str],
    blocks: Mapping[str, Sequence[str]],
    *,
    reverse: Collection[str] = (),
    points: int = 5,
    ci: float = 0.95,
) -> dict[str, BlockReliability]:
    """Reliability statistics per block of items (e.g. per dimension), listwise within block.

    Parameters
    ----------
    X : array_like (n, p)
        Raw answers, columns named by ``codes``; NaN = missing.
    codes : sequence of str (p,)
    blocks : mapping block code → item codes
    reverse : collection of str
        Reverse-keyed item codes, recoded ``points + 1 − x`` before anything else.
    points : int
        Scale points of the reverse-keyed items.

    Examples
    --------
    >>> X = [[5,4,5,4],[4,4,4,3],[3,3,4,3],[2,2,3,2],[5,5,5,5],[4,3,4,4],[3,2,3,3],
    ...      [1,2,2,1],[4,4,5,4],[2,3,2,2]]
    >>> rep = reliability_report(X, ["a", "b", "c", "d"], {"D1": ["a", "b", "c", "d"]})
    >>> round(rep["D1"].alpha, 4), rep["D1"].n
    (0.9621, 10)
    """
    A = as_matrix(X, allow_nan=True)
    codes = [str(c) for c in codes]
    if len(codes) != A.shape[1]:
        raise ScoringError(f"codes has {len(codes)} entries; X has {A.shape[1]} columns")
    pos = {c: j for j, c in enumerate(codes)}
    missing_rev = [c for c in reverse if c not in pos]
    if missing_rev:
        raise ScoringError(f"reverse-keyed codes not in codes: {missing_rev}")
    A = A.copy()
    for c in reverse:
        A[:, pos[c]] = points + 1 - A[:, pos[c]]
    out: dict[str, BlockReliability] = {}
    for bcode, items in blocks.items():
        unknown = [c for c in items if c not in pos]
        if unknown:
            raise ScoringError(f"block {bcode!r} names unknown item codes {unknown}")
        items_t = tuple(str(c) for c in items)
        B = A[:, [pos[c] for c in items_t]]
        notes: list[str] = []
        n_complete = int((~np.isnan(B).any(axis=1)).sum())
        nan = float("nan")
        alpha, lo, hi, omega, kmo_all, chi2, p = (nan,) * 7
        df = len(items_t) * (len(items_t) - 1) // 2
        itc: dict[str, float] = dict.fromkeys(items_t, nan)
        aid: dict[str, float] = dict.fromkeys(items_t, nan)
        kpi: dict[str, float] = dict.fromkeys(items_t, nan)
        if len(items_t) < 2:
            notes.append("fewer than 2 items: reliability not defined")
        else:
            try:
                ar = cronbach_alpha(B, ci=ci)
                alpha, lo, hi = ar.alpha, ar.ci_low, ar.ci_high
                itc = dict(zip(items_t, item_total_correlations(B).tolist(), strict=True))
                aid = dict(zip(items_t, alpha_if_deleted(B).tolist(), strict=True))
            except ScoringError as exc:
                notes.append(f"alpha: {exc}")
            try:
                kmo_all, per = kmo(B)
                kpi = dict(zip(items_t, per.tolist(), strict=True))
                chi2, df, p = bartlett_sphericity(B)
                omega = mcdonald_omega(B)
            except ScoringError as exc:
                notes.append(f"factorability: {exc}")
        out[bcode] = BlockReliability(
            code=str(bcode),
            items=items_t,
            n=n_complete,
            alpha=alpha,
            alpha_ci=(lo, hi),
            omega=omega,
            item_total=itc,
            alpha_if_deleted=aid,
            kmo=kmo_all,
            kmo_per_item=kpi,
            bartlett_chi2=chi2,
            bartlett_df=df,
            bartlett_p=p,
            notes=tuple(notes),
        )
    return out
