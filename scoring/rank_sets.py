"""Rank confidence sets and groups of statistically indistinguishable communities.

Following Klein, Wright & Wieczorek (2020), a community's rank set comes from pairwise
comparisons: with simultaneous tests of every pairwise difference ``θ_c − θ_j``
(``z = (y_c − y_j) / √(SE_c² + SE_j²)``, independent estimates),

    rank set of c = [1 + #{j : j significantly better than c},  n − #{j : j significantly worse}]

(rank 1 = highest score). If no test makes a false directional claim — probability at least
``1 − α`` for the simultaneous procedures below — every community's true rank lies in its set,
jointly for all communities (``coverage="joint"``, the family is all ``n(n−1)/2`` pairs) or for
each community separately (``coverage="individual"``, the family is that community's ``n − 1``
comparisons, giving narrower sets).

Multiplicity: ``"bonferroni"`` (critical ``z = Φ⁻¹(1 − α/(2K))``) or ``"holm"`` (step-down on
the pairwise p-values; same FWER, never fewer rejections).

Indistinguishable groups, precisely (ranked order = estimates descending, ties by input order):

- **tiers** (:attr:`RankSets.tier`): a partition into consecutive blocks built greedily from
  the top: a tier starts at the best unassigned community and takes the next community in
  ranked order as long as it is not significantly different from *any* member already in the
  tier. Members of a tier are pairwise indistinguishable; the first member of the next tier
  differs significantly from at least one member of the previous tier.
- **runs** (:func:`indistinguishable_runs`): all maximal contiguous stretches of the ranked
  order whose members are pairwise indistinguishable. Runs may overlap (like a compact letter
  display); tiers are the non-overlapping cover that starts from the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from scoring.errors import ScoringError

__all__ = ["RankSets", "indistinguishable_runs", "pairwise_better", "rank_sets"]

_METHODS = ("bonferroni", "holm")
_COVERAGE = ("joint", "individual")


@dataclass(frozen=True)
class RankSets:
    """Result of :func:`rank_sets` (arrays per community, in input order).

    Attributes
    ----------
    estimate, se : ndarray (n,)
    rank : ndarray (n,) int
        Point rank (``min`` method, 1 = best).
    lower, upper : ndarray (n,) int
        Rank set ``[lower, upper]``.
    better : ndarray (n, n) bool
        ``better[i, j]``: community i is significantly better than j (in i's family when
        ``coverage="individual"``, where the matrix need not be antisymmetric).
    order : ndarray (n,) int
        Community indices in ranked order.
    tier : ndarray (n,) int
        Tier number (1 = top tier) of each community.
    alpha : float
    method, coverage : str
    """

    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    rank: NDArray[np.int64]
    lower: NDArray[np.int64]
    upper: NDArray[np.int64]
    better: NDArray[np.bool_]
    order: NDArray[np.int64]
    tier: NDArray[np.int64]
    alpha: float
    method: str
    coverage: str

    def sets_by_code(self, codes: Sequence[str]) -> dict[str, Any]:
        """``{"method", "alpha", "communities": {code: {"rank_set_low", "rank_set_high",
        "tier"}}}`` (JSON-safe), ``codes`` naming the communities in input order."""
        return {
            "method": f"{self.method}/{self.coverage}",
            "alpha": self.alpha,
            "communities": {
                code: {
                    "rank_set_low": int(self.lower[i]),
                    "rank_set_high": int(self.upper[i]),
                    "tier": int(self.tier[i]),
                }
                for i, code in enumerate(codes)
            },
        }

    @property
    def distinct(self) -> NDArray[np.bool_]:
        """``distinct[i, j]``: i and j differ significantly (either direction)."""
        return np.asarray(self.better | self.better.T)


def _holm(p: NDArray[np.float64], alpha: float) -> NDArray[np.bool_]:
    """Holm step-down rejections for a 1-D vector of p-values."""
    k = p.size
    order = np.argsort(p, kind="stable")
    ok = p[order] <= alpha / (k - np.arange(k))
    # reject the first run of successes (step-down stops at the first failure)
    n_rej = k if ok.all() else int(np.argmin(ok))
    rejected = np.zeros(k, dtype=bool)
    rejected[order[:n_rej]] = True
    return rejected


def pairwise_better(
    estimate: ArrayLike,
    se: ArrayLike,
    *,
    alpha: float = 0.10,
    method: str = "holm",
    coverage: str = "joint",
) -> NDArray[np.bool_]:
    """Simultaneous pairwise tests: ``B[i, j]`` is True when i is significantly better than j.

    Parameters
    ----------
    estimate, se : array_like (n,)
        Estimates and their standard errors (finite, > 0), independent across communities.
    alpha : float
        Family-wise error rate (default 0.10, i.e. 90 % simultaneous coverage).
    method : {"holm", "bonferroni"}
    coverage : {"joint", "individual"}
        Family = all pairs, or row i's ``n − 1`` comparisons.

    Examples
    --------
    >>> pairwise_better([80.0, 70.0, 69.0], [1.0, 1.0, 1.0], method="bonferroni").astype(int)
    array([[0, 1, 1],
           [0, 0, 0],
           [0, 0, 0]])
    """
    y = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        raise ScoringError(f"estimate and se must be 1-D of equal length; got {y.shape}, {s.shape}")
    if y.size < 2:
        raise ScoringError("rank sets need at least 2 communities")
    if not (np.isfinite(y).all() and np.isfinite(s).all() and (s > 0).all()):
        raise ScoringError(
            "estimates must be finite and SEs finite and > 0: leave out suppressed communities "
            "(a missing SE is not 0)"
        )
    if not 0 < alpha < 1:
        raise ScoringError(f"alpha must be in (0, 1); got {alpha}")
    if method not in _METHODS:
        raise ScoringError(f"method must be one of {_METHODS}; got {method!r}")
    if coverage not in _COVERAGE:
        raise ScoringError(f"coverage must be one of {_COVERAGE}; got {coverage!r}")
    n = y.size
    diff = y[:, None] - y[None, :]
    sd = np.sqrt(s[:, None] ** 2 + s[None, :] ** 2)
    z = diff / sd
    p = 2.0 * stats.norm.sf(np.abs(z))
    off = ~np.eye(n, dtype=bool)
    rejected = np.zeros((n, n), dtype=bool)
    if coverage == "joint":
        iu = np.triu_indices(n, 1)
        k = iu[0].size
        rejected[iu] = p[iu] <= alpha / k if method == "bonferroni" else _holm(p[iu], alpha)
        rejected = rejected | rejected.T
    else:
        for i in range(n):
            cols = np.flatnonzero(off[i])
            if method == "bonferroni":
                rejected[i, cols] = p[i, cols] <= alpha / (n - 1)
            else:
                rejected[i, cols] = _holm(p[i, cols], alpha)
    return np.asarray(rejected & (diff > 0))


def _tiers(order: NDArray[np.int64], distinct: NDArray[np.bool_]) -> NDArray[np.int64]:
    tier = np.zeros(order.size, dtype=np.int64)
    current: list[int] = []
    t = 0
    for c in order.tolist():
        if not current or distinct[c, current].any():
            t += 1
            current = []
        current.append(c)
        tier[c] = t
    return tier


def rank_sets(
    estimate: ArrayLike,
    se: ArrayLike,
    *,
    alpha: float = 0.10,
    method: str = "holm",
    coverage: str = "joint",
) -> RankSets:
    """Simultaneous rank confidence sets (Klein, Wright & Wieczorek 2020) and tiers.

    Parameters are those of :func:`pairwise_better`.

    Returns
    -------
    RankSets

    Examples
    --------
    >>> r = rank_sets([80.0, 70.0, 69.0, 50.0], [1.0, 1.0, 1.0, 1.0])
    >>> r.lower.tolist(), r.upper.tolist(), r.tier.tolist()
    ([1, 2, 2, 4], [1, 3, 3, 4], [1, 2, 2, 3])
    """
    B = pairwise_better(estimate, se, alpha=alpha, method=method, coverage=coverage)
    y = np.asarray(estimate, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    n = y.size
    if coverage == "joint":
        n_better = B.sum(axis=0)  # j better than c: B[j, c]
        n_worse = B.sum(axis=1)
    else:  # c's own family: c significantly worse than j is B[j, c] only if tested in row c
        worse_than = pairwise_better(-y, s, alpha=alpha, method=method, coverage=coverage)
        n_better = worse_than.sum(axis=1)
        n_worse = B.sum(axis=1)
    rank = 1 + (y[None, :] > y[:, None]).sum(axis=1)
    order = np.lexsort((np.arange(n), -y)).astype(np.int64)
    distinct = B | B.T
    return RankSets(
        estimate=y,
        se=s,
        rank=rank.astype(np.int64),
        lower=(1 + n_better).astype(np.int64),
        upper=(n - n_worse).astype(np.int64),
        better=B,
        order=order,
        tier=_tiers(order, distinct),
        alpha=float(alpha),
        method=method,
        coverage=coverage,
    )


def indistinguishable_runs(result: RankSets) -> list[NDArray[np.int64]]:
    """All maximal runs of the ranked order whose members are pairwise indistinguishable.

    Returns a list of community-index arrays (each in ranked order), top run first. A
    community belongs to at least one run (a singleton when it differs from both neighbours).

    Examples
    --------
    >>> r = rank_sets([80.0, 77.5, 75.0, 50.0], [1.0, 1.0, 1.0, 1.0], method="bonferroni")
    >>> [run.tolist() for run in indistinguishable_runs(r)]
    [[0, 1], [1, 2], [3]]
    """
    distinct = result.distinct
    order = result.order
    n = order.size
    runs: list[NDArray[np.int64]] = []
    last_end = -1
    for a in range(n):
        b = a
        while b + 1 < n and not distinct[order[b + 1], order[a : b + 1]].any():
            b += 1
        if b > last_end:
            runs.append(order[a : b + 1].copy())
            last_end = b
    return runs
