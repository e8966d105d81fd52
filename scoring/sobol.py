"""Variance-based sensitivity of the index (or rank) to the dimension weights.

Saltelli sampling with the Jansen total-effect estimator and Saltelli's (2010) first-order
estimator, on a scrambled Sobol' sequence. The model is evaluated on all ``N (D + 2)`` weight
vectors at once; outputs can be vectors (every community at once), so one run gives the indices
of all communities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from scoring.errors import ScoringError
from scoring.montecarlo import composite
from scoring.rank import rank_min


@dataclass(frozen=True)
class SobolResult:
    """First-order ``S1`` and total ``ST`` indices, shape (outputs, factors)."""

    first: np.ndarray
    total: np.ndarray
    variance: np.ndarray
    n: int


def saltelli_matrices(
    bounds: np.ndarray, n: int, random_state: int | np.random.Generator | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sample matrices A and B (n × k each) from a scrambled Sobol' sequence in ``bounds``.

    Examples
    --------
    >>> A, B = saltelli_matrices(np.array([[0.0, 1.0], [0.0, 2.0]]), 64)
    >>> A.shape, bool((B[:, 1] <= 2).all())
    ((64, 2), True)
    """
    bounds = np.asarray(bounds, dtype=float)
    k = bounds.shape[0]
    sampler = qmc.Sobol(d=2 * k, scramble=True, seed=random_state)
    m = int(np.ceil(np.log2(max(n, 2))))
    base = sampler.random_base2(m)[:n]
    lo, hi = bounds[:, 0], bounds[:, 1]
    return lo + base[:, :k] * (hi - lo), lo + base[:, k:] * (hi - lo)


def sobol_indices(
    func: Callable[[np.ndarray], np.ndarray],
    bounds: np.ndarray,
    n: int = 1024,
    *,
    random_state: int | np.random.Generator | None = 0,
) -> SobolResult:
    """Sobol' first-order and total indices of ``func`` w.r.t. independent uniform factors.

    ``func`` maps an (N, k) matrix of factor values to outputs (N,) or (N, q), vectorised.
    ``S1_i = mean(f_B (f_ABi − f_A)) / V`` (Saltelli 2010), ``ST_i = mean((f_A − f_ABi)²) / (2V)``
    (Jansen 1999), ``V`` the variance of ``[f_A, f_B]``.

    Examples
    --------
    >>> r = sobol_indices(lambda X: X[:, 0] + 2 * X[:, 1], np.array([[0, 1], [0, 1]]), 4096)
    >>> r.first.round(1).tolist(), r.total.round(1).tolist()
    ([[0.2, 0.8]], [[0.2, 0.8]])
    """
    A, B = saltelli_matrices(bounds, n, random_state)
    N, k = A.shape
    AB = np.repeat(A[None], k, axis=0)  # (k, N, k): A with column i from B
    AB[np.arange(k), :, np.arange(k)] = B.T
    y = np.asarray(func(np.concatenate([A, B, AB.reshape(k * N, k)])), dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    fA, fB = y[:N], y[N : 2 * N]
    fAB = y[2 * N :].reshape(k, N, -1)
    var = np.var(np.concatenate([fA, fB]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = (np.mean(fB[None] * (fAB - fA[None]), axis=1) / var).T
        total = (0.5 * np.mean((fA[None] - fAB) ** 2, axis=1) / var).T
    return SobolResult(first, total, var, N)


def weight_sensitivity(
    dim_scores: np.ndarray,
    base_weights: np.ndarray,
    *,
    spread: float = 0.25,
    n: int = 1024,
    output: str = "index",
    geometric: bool = False,
    rank_mask: np.ndarray | None = None,
    random_state: int | np.random.Generator | None = 0,
) -> SobolResult:
    """Sobol' indices of every community's index (or rank) w.r.t. the dimension weights.

    Each weight varies uniformly in ``base · [1 − spread, 1 + spread]`` and the vector is
    renormalised, as in the Monte Carlo. Result shapes: (m, D).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = weight_sensitivity(rng.uniform(40, 90, (5, 3)), np.full(3, 1 / 3), n=256)
    >>> r.first.shape
    (5, 3)
    """
    if output not in ("index", "rank"):
        raise ScoringError("output must be 'index' or 'rank'")
    base = np.asarray(base_weights, dtype=float)
    base = base / base.sum()
    bounds = np.column_stack([base * (1 - spread), base * (1 + spread)])
    scores = np.asarray(dim_scores, dtype=float)
    if rank_mask is not None:
        scores = np.where(np.asarray(rank_mask, bool)[:, None], scores, np.nan)

    def model(W: np.ndarray) -> np.ndarray:
        W = W / W.sum(axis=1, keepdims=True)
        idx = composite(scores, W, geometric=geometric)
        return rank_min(idx) if output == "rank" else idx

    return sobol_indices(model, bounds, n, random_state=random_state)
