"""Equal, fixed and objective (data-driven) weights: entropy, CRITIC, PCA.

All objective methods work on a community-level matrix ``X`` (m communities × n indicators)
and depend on which communities are in the set: compute them on community means and freeze
the result in a published weight model. Missing values raise :class:`ScoringError` (impute
or drop communities first): a silently smaller set would change the weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator

from scoring.errors import ScoringError, WeightModelError
from scoring.weighting._common import (
    FloatArray,
    as_directions,
    as_matrix,
    as_vector,
    minmax_by_direction,
)

__all__ = [
    "CriticWeighter",
    "EntropyWeighter",
    "PCAWeighter",
    "SignalWeights",
    "critic_signal_weights",
    "critic_weights",
    "entropy_signal_weights",
    "entropy_weights",
    "equal_weights",
    "fixed_weights",
    "pca_weights",
]


def equal_weights(n: int) -> FloatArray:
    """``n`` equal weights summing to 1.

    Examples
    --------
    >>> equal_weights(4).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise WeightModelError(f"equal_weights needs a positive integer count; got {n!r}")
    return np.full(int(n), 1.0 / int(n))


def fixed_weights(values: ArrayLike) -> FloatArray:
    """Expert weights: validated (finite, ≥ 0, not all zero) and normalised to sum 1.

    Examples
    --------
    >>> fixed_weights([2, 1, 1]).tolist()
    [0.5, 0.25, 0.25]
    """
    try:
        arr = as_vector(values, "weights")
    except ScoringError as exc:
        raise WeightModelError(str(exc)) from None
    if (arr < 0).any():
        j = int(np.argmax(arr < 0))
        raise WeightModelError(f"weights[{j}] = {arr[j]:g} is negative; weights must be >= 0")
    if arr.sum() <= 0:
        raise WeightModelError("weights are all zero; at least one must be positive")
    return arr / arr.sum()


def _entropy_input(X: FloatArray, d: np.ndarray, transform: str) -> FloatArray:
    if transform == "minmax":
        return minmax_by_direction(X, d)
    if transform != "raw":
        raise ScoringError(f"transform must be 'raw' or 'minmax'; got {transform!r}")
    neg = (X < 0) & (d > 0)[None, :]
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise ScoringError(
            f"entropy weights need non-negative data: X[{i}, {j}] = {X[i, j]:g}; "
            "use transform='minmax' for data with negative values"
        )
    lo, hi = X.min(axis=0), X.max(axis=0)
    # cost columns are reflected within their own range: r = max + min − x (stays ≥ 0 when x is)
    R = np.where(d > 0, X, hi + lo - X)
    if ((R < 0) & (d < 0)[None, :]).any():
        raise ScoringError(
            "a cost column has negative values; use transform='minmax' for such data"
        )
    return R


def entropy_weights(
    X: ArrayLike, *, directions: ArrayLike | None = None, transform: str = "raw"
) -> FloatArray:
    """Entropy weights (Shannon entropy of each indicator's share distribution).

    ``p_ij = r_ij / Σ_i r_ij``; ``e_j = −(1/ln m) Σ_i p_ij ln p_ij`` with ``0·ln 0 = 0``;
    ``d_j = 1 − e_j``; ``w_j = d_j / Σ d``. A constant column (or an all-zero column) carries
    no information and gets weight 0.

    Parameters
    ----------
    X : array_like (m, n)
        Community-level matrix, m ≥ 2, no NaN.
    directions : array_like (n,), optional
        +1 / "benefit" (default) or −1 / "cost" per column.
    transform : {"raw", "minmax"}
        ``"raw"`` (default, METHODS.md): benefit columns used as they are (must be ≥ 0), cost
        columns reflected within their range, ``r = max + min − x``. ``"minmax"``: min-max to
        [0, 1] by direction (the worst community gets 0, which ``0·ln 0 = 0`` handles).

    Examples
    --------
    >>> X = [[9, 0, 0, 0], [8, 3, 0.9, 0.5], [6, 7, 0.2, 1]]
    >>> entropy_weights(X).round(6).tolist()
    [0.008565, 0.307162, 0.393265, 0.291008]
    """
    A = as_matrix(X)
    m, n = A.shape
    if m < 2:
        raise ScoringError("entropy weights need at least 2 communities (rows)")
    d = as_directions(directions, n)
    R = _entropy_input(A, d, transform)
    colsum = R.sum(axis=0)
    safe = np.where(colsum > 0, colsum, 1.0)
    P = R / safe
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    e[colsum <= 0] = 1.0  # all-zero column: no information
    div = np.clip(1.0 - e, 0.0, None)
    div[np.ptp(R, axis=0) == 0] = 0.0  # exact zero for constant columns (rounding)
    if div.sum() <= 0:
        raise ScoringError("entropy weights are undefined: no column varies across communities")
    return div / div.sum()


def critic_weights(X: ArrayLike, *, directions: ArrayLike | None = None) -> FloatArray:
    """CRITIC weights (Diakoulaki et al. 1995): contrast intensity × conflict.

    Min-max to [0, 1] by direction; ``σ_j`` the standard deviation (ddof = 1, as pymcdm;
    the choice cancels in the normalisation); ``ρ`` Pearson correlation;
    ``C_j = σ_j Σ_k (1 − ρ_jk)``; ``w_j = C_j / Σ C``. A constant column gets weight 0 and is
    left out of the other columns' conflict sums, so adding one does not change the others.

    Examples
    --------
    >>> X = [[80, 100, 50, 60, 10], [82, 100, 55, 85, 40], [78, 90, 50, 95, 90],
    ...      [70, 95, 60, 70, 50]]
    >>> critic_weights(X).round(6).tolist()
    [0.18751, 0.240022, 0.229576, 0.164235, 0.178656]
    """
    A = as_matrix(X)
    m, n = A.shape
    if m < 3:
        raise ScoringError("CRITIC weights need at least 3 communities (rows)")
    d = as_directions(directions, n)
    R = minmax_by_direction(A, d)
    varies = np.ptp(A, axis=0) > 0
    if not varies.any():
        raise ScoringError("CRITIC weights are undefined: no column varies across communities")
    sd = np.zeros(n)
    sd[varies] = R[:, varies].std(axis=0, ddof=1)
    C = np.zeros(n)
    if varies.sum() == 1:
        C[varies] = sd[varies]  # a single varying column takes all the weight
    else:
        rho = np.corrcoef(R[:, varies], rowvar=False)
        C[varies] = sd[varies] * (1.0 - rho).sum(axis=1)
    C = np.clip(C, 0.0, None)
    if C.sum() <= 1e-12 * max(float(sd.max()), 1.0):
        raise ScoringError(
            "CRITIC weights are undefined: the varying columns are perfectly correlated "
            "(no conflict between criteria); drop duplicated indicators"
        )
    return C / C.sum()


@dataclass(frozen=True)
class _PCAFit:
    weights: FloatArray
    eigenvalues: FloatArray
    components: FloatArray  # (n_retained, n_varying) eigenvectors = loading / sqrt(eigenvalue)
    explained_share: FloatArray
    columns: FloatArray = field(repr=False)


def _pca_fit(X: ArrayLike, min_eigenvalue: float, n_components: int | None) -> _PCAFit:
    A = as_matrix(X)
    m, n = A.shape
    if m < 3:
        raise ScoringError("PCA weights need at least 3 communities (rows)")
    varies = np.flatnonzero(np.ptp(A, axis=0) > 0)
    if varies.size == 0:
        raise ScoringError("PCA weights are undefined: no column varies across communities")
    w = np.zeros(n)
    if varies.size == 1:
        w[varies] = 1.0
        one = np.ones(1)
        return _PCAFit(w, one, one[None, :], one, varies.astype(np.float64))
    Rm = np.corrcoef(A[:, varies], rowvar=False)
    vals, vecs = np.linalg.eigh(Rm)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    # deterministic sign: each component's coefficients sum to a positive number
    sgn = np.where(vecs.sum(axis=0) < 0, -1.0, 1.0)
    vecs = vecs * sgn
    if n_components is not None:
        if not 1 <= n_components <= varies.size:
            raise ScoringError(f"n_components must be in 1..{varies.size}; got {n_components}")
        keep = n_components
    else:
        keep = max(1, int((vals > min_eigenvalue).sum()))
    lam = vals[:keep]
    U = vecs[:, :keep]
    share = lam / lam.sum()
    coef = np.abs(U @ share)
    if coef.sum() <= 0:
        raise ScoringError("PCA weights are undefined (components cancel out)")
    w[varies] = coef / coef.sum()
    return _PCAFit(w, lam, U.T.copy(), share, varies.astype(np.float64))


def pca_weights(
    X: ArrayLike, *, min_eigenvalue: float = 1.0, n_components: int | None = None
) -> FloatArray:
    """PCA weights on the standardised community matrix.

    Eigen-decomposition of the correlation matrix (equivalently PCA on z-scores). Components
    with eigenvalue > ``min_eigenvalue`` (Kaiser, default 1) are retained (at least one).
    The coefficient of variable j in component c is loading / √eigenvalue (= the eigenvector
    entry); each component's sign is fixed so that its coefficients sum to a positive number.
    Coefficients are combined over retained components weighted by their explained-variance
    share, then absolute values are taken and normalised. Constant columns get weight 0.

    Examples
    --------
    >>> X = [[1, 2, 3], [2, 4, 1], [3, 5, 2], [4, 9, 5], [5, 8, 4]]
    >>> w = pca_weights(X)
    >>> round(float(w.sum()), 6), bool((w >= 0).all())
    (1.0, True)
    """
    return _pca_fit(X, min_eigenvalue, n_components).weights


class EntropyWeighter(BaseEstimator):
    """scikit-learn-style wrapper: ``EntropyWeighter().fit(X).weights_``.

    Examples
    --------
    >>> EntropyWeighter().fit([[1, 2], [2, 2], [3, 2]]).weights_.tolist()
    [1.0, 0.0]
    """

    def __init__(self, *, directions: ArrayLike | None = None, transform: str = "raw") -> None:
        self.directions = directions
        self.transform = transform

    def fit(self, X: ArrayLike, y: object = None) -> EntropyWeighter:
        """Compute ``weights_`` from ``X``; returns self."""
        self.weights_ = entropy_weights(X, directions=self.directions, transform=self.transform)
        return self


class CriticWeighter(BaseEstimator):
    """scikit-learn-style wrapper: ``CriticWeighter().fit(X).weights_``.

    Examples
    --------
    >>> w = CriticWeighter().fit([[1, 2], [2, 1], [3, 5]]).weights_
    >>> round(float(w.sum()), 6)
    1.0
    """

    def __init__(self, *, directions: ArrayLike | None = None) -> None:
        self.directions = directions

    def fit(self, X: ArrayLike, y: object = None) -> CriticWeighter:
        """Compute ``weights_`` from ``X``; returns self."""
        self.weights_ = critic_weights(X, directions=self.directions)
        return self


class PCAWeighter(BaseEstimator):
    """scikit-learn-style PCA weights with diagnostics.

    After ``fit``: ``weights_``, ``eigenvalues_`` (retained), ``components_`` (retained
    eigenvectors over the non-constant columns ``columns_``), ``explained_share_``.

    Examples
    --------
    >>> p = PCAWeighter().fit([[1, 2, 3], [2, 4, 1], [3, 5, 2], [4, 9, 5], [5, 8, 4]])
    >>> p.components_.shape[1]
    3
    """

    def __init__(self, *, min_eigenvalue: float = 1.0, n_components: int | None = None) -> None:
        self.min_eigenvalue = min_eigenvalue
        self.n_components = n_components

    def fit(self, X: ArrayLike, y: object = None) -> PCAWeighter:
        """Fit on ``X``; returns self."""
        fit = _pca_fit(X, self.min_eigenvalue, self.n_components)
        self.weights_ = fit.weights
        self.eigenvalues_ = fit.eigenvalues
        self.components_ = fit.components
        self.explained_share_ = fit.explained_share
        self.columns_ = fit.columns.astype(np.intp)
        return self


@dataclass(frozen=True)
class SignalWeights:
    """Objective weights computed on between-community *signal* (net of sampling noise).

    Attributes
    ----------
    weights : ndarray (n,)
        Sum to 1; 0 for columns without signal.
    observed_var : ndarray (n,)
        Variance of the community means across communities (ddof = 1).
    sampling_var : ndarray (n,)
        Mean sampling variance of a community mean (mean over communities of SE²).
    signal_var : ndarray (n,)
        ``max(observed_var − sampling_var, 0)``.
    reliability : ndarray (n,)
        ``signal_var / observed_var`` (0 for a constant column).
    method : str
        ``"entropy"`` or ``"critic"``.
    """

    weights: FloatArray
    observed_var: FloatArray
    sampling_var: FloatArray
    signal_var: FloatArray
    reliability: FloatArray
    method: str


def _signal(
    means: ArrayLike, variances: ArrayLike, method: str, min_rows: int
) -> tuple[FloatArray, SignalWeights]:
    A = as_matrix(means, "means")
    V = as_matrix(variances, "variances")
    if V.shape != A.shape:
        raise ScoringError(f"variances has shape {V.shape}; means has {A.shape}")
    if (V < 0).any():
        raise ScoringError("sampling variances must be >= 0 (SE² of each community mean)")
    m, n = A.shape
    if m < min_rows:
        raise ScoringError(f"{method} weights need at least {min_rows} communities (rows)")
    obs = A.var(axis=0, ddof=1)
    samp = V.mean(axis=0)
    sig = np.clip(obs - samp, 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = np.where(obs > 0, sig / np.where(obs > 0, obs, 1.0), 0.0)
    if not (sig > 0).any():
        worst = int(np.argmax(obs - samp))
        raise ScoringError(
            f"{method} weights are undefined: no between-community signal remains after "
            "removing sampling variance (for every indicator the variance of the community "
            "means is at most the mean sampling variance of a mean; best column "
            f"{worst}: observed {obs[worst]:.4g} vs sampling {samp[worst]:.4g}); differences "
            "between communities are within noise, so use equal or expert weights"
        )
    return A, SignalWeights(np.zeros(n), obs, samp, sig, lam, method)


def entropy_signal_weights(
    means: ArrayLike, variances: ArrayLike, *, directions: ArrayLike | None = None
) -> SignalWeights:
    """Entropy weights of the between-community signal, net of sampling variance.

    Each column of community means is shrunk towards its mean so that its variance equals
    the signal variance ``σ²_sig,j = max(s²_j − mean_i SE²_ij, 0)``:
    ``x̃_ij = x̄_j + √λ_j (x_ij − x̄_j)`` with ``λ_j = σ²_sig,j / s²_j`` (the method-of-moments
    reliability), then :func:`entropy_weights` (``transform="raw"``) is applied to ``x̃``. A
    column without signal becomes constant and gets weight 0. For bounded, positive means the
    entropy weights are ≈ shares of the squared signal coefficient of variation,
    ``w_j ≈ CV²_sig,j / Σ_k CV²_sig,k`` (docs/methods-weighting.md).

    Parameters
    ----------
    means : array_like (m, n)
        Community means (≥ 0 for benefit columns), no NaN.
    variances : array_like (m, n)
        Their sampling variances (SE²), ≥ 0.
    directions : array_like (n,), optional
        As in :func:`entropy_weights`.

    Raises
    ------
    ScoringError
        When no column has between-community variance left after removing sampling variance.

    Examples
    --------
    >>> X = [[50, 60, 40], [60, 62, 50], [70, 64, 60]]
    >>> V = [[36, 9, 0], [36, 9, 0], [36, 9, 0]]
    >>> r = entropy_signal_weights(X, V)
    >>> r.signal_var.tolist(), r.weights.round(4).tolist()
    ([64.0, 0.0, 100.0], [0.3069, 0.0, 0.6931])
    """
    A, out = _signal(means, variances, "entropy", 2)
    shrunk = A.mean(axis=0) + np.sqrt(out.reliability) * (A - A.mean(axis=0))
    w = entropy_weights(shrunk, directions=directions, transform="raw")
    return SignalWeights(
        w, out.observed_var, out.sampling_var, out.signal_var, out.reliability, "entropy"
    )


def critic_signal_weights(
    means: ArrayLike, variances: ArrayLike, *, directions: ArrayLike | None = None
) -> SignalWeights:
    """CRITIC weights of the between-community signal, net of sampling variance.

    As :func:`critic_weights` (min-max by direction, ``C_j = σ_j Σ_k (1 − ρ_jk)``) with
    ``σ_j`` the signal standard deviation of the normalised column, ``σ_j √λ_j``, and ``ρ``
    the disattenuated correlation of the signal, ``cov_jk / √(σ²_sig,j σ²_sig,k)`` clipped to
    [−1, 1] (sampling errors of different indicators taken as uncorrelated, which makes ``ρ``
    conservative when they are positively correlated). Columns without signal get weight 0
    and are left out of the conflict sums.

    Parameters and errors are those of :func:`entropy_signal_weights`; needs m ≥ 3.

    Examples
    --------
    >>> X = [[80, 100, 50], [82, 100, 55], [78, 90, 50], [70, 95, 60]]
    >>> r = critic_signal_weights(X, np.zeros((4, 3)))
    >>> bool(np.allclose(r.weights, critic_weights(X)))
    True
    """
    A, out = _signal(means, variances, "CRITIC", 3)
    n = A.shape[1]
    d = as_directions(directions, n)
    R = minmax_by_direction(A, d)
    keep = out.signal_var > 0
    sd = np.zeros(n)
    sd[keep] = R[:, keep].std(axis=0, ddof=1) * np.sqrt(out.reliability[keep])
    C = np.zeros(n)
    if keep.sum() == 1:
        C[keep] = sd[keep]
    else:
        S = np.cov(A[:, keep], rowvar=False)
        sig = out.signal_var[keep]
        rho = np.clip(S / np.sqrt(np.outer(sig, sig)), -1.0, 1.0)
        # direction flips the sign of a column's correlations
        dk = d[keep].astype(np.float64)
        rho = rho * np.outer(dk, dk)
        np.fill_diagonal(rho, 1.0)
        C[keep] = sd[keep] * (1.0 - rho).sum(axis=1)
    C = np.clip(C, 0.0, None)
    if C.sum() <= 1e-12 * max(float(sd.max()), 1.0):
        raise ScoringError(
            "CRITIC weights are undefined: the signals of the indicators are perfectly "
            "correlated (no conflict between criteria)"
        )
    return SignalWeights(
        C / C.sum(), out.observed_var, out.sampling_var, out.signal_var, out.reliability, "critic"
    )
