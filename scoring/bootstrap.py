"""Vectorised bootstrap of respondents within communities (METHODS.md §6, "Sampling").

Poisson bootstrap: in replicate b respondent i counts ``r_ib ~ Poisson(1)`` times, independently
(a byte-resolution Poisson with exact mean and variance 1, see ``_COUNTS``), which resamples
within every community at once (the community stays the stratum). Each
replicate's item means are ratios of weighted sums, so all replicates of a block of communities
are one batched matrix product ``Yᵀ R`` (BLAS) over a padded (community, respondent) layout.
The only Python loops run over blocks of communities of similar size and over chunks of
replicates, both sized to bound memory.

Weights and methods are held fixed across replicates (intervals are conditional on the resolved
weight model); rank intervals rank the non-suppressed communities in every replicate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.aggregate import Scores, TreeSpec, aggregate_tree
from scoring.framework import Framework
from scoring.rank import nan_quantiles, nan_std, rank_min
from scoring.rescale import overall_satisfaction_index

#: Replicate multipliers: a byte-resolution Poisson(1). Category counts out of 256 for the values
#: 0..5 are chosen so that the mean and the variance are exactly 1 (what the bootstrap variance
#: depends on); the probabilities are within 0.004 of Poisson(1) and the third central moment is
#: 0.98 (Poisson: 1). One random byte per draw is ~10× cheaper than ``Generator.poisson``, and
#: drawing n × B multipliers is the bootstrap's main cost.
#: Default bound on the elements of the replicate-multiplier block held in memory (32 MiB of
#: float32): replicates are drawn in chunks so that one chunk of the largest community fits.
MAX_ELEMS = 2**23

_COUNTS = (94, 95, 46, 16, 4, 1)
_TABLE = np.repeat(np.arange(len(_COUNTS), dtype=np.float32), _COUNTS)
_PAIRS = (
    np.stack([_TABLE[np.arange(65536) & 255], _TABLE[np.arange(65536) >> 8]], axis=1)
    .astype(np.float32)
    .view(np.uint64)
    .ravel()
)


def poisson_weights(
    rng: np.random.Generator, shape: tuple[int, ...], out: np.ndarray | None = None
) -> np.ndarray:
    """Poisson(1)-like replicate multipliers (float32, mean 1, variance 1) of ``shape``.

    ``out`` (float32, at least that many elements) is reused to avoid allocating a large
    buffer per block.

    Examples
    --------
    >>> r = poisson_weights(np.random.default_rng(0), (200_000,))
    >>> round(float(r.mean()), 2), round(float(r.var()), 1), int(r.max())
    (1.0, 1.0, 5)
    """
    size = int(np.prod(shape))
    half = (size + 1) // 2
    raw = rng.bit_generator.random_raw((half + 3) // 4).view(np.uint16)[:half]
    buf = np.empty(2 * half, dtype=np.float32) if out is None else out.reshape(-1)[: 2 * half]
    # Two multipliers per lookup: each 16-bit draw indexes a table of (table[lo], table[hi])
    # pairs, halving the gathers (the bootstrap's hot spot). "clip": no bounds-check pass.
    np.take(_PAIRS, raw, out=buf.view(np.uint64), mode="clip")
    return buf[:size].reshape(shape)


@dataclass(frozen=True)
class BootstrapResult:
    """Replicate summaries. Intervals are percentile intervals at ``level``."""

    B: int
    level: float
    index_se: np.ndarray
    index_ci: np.ndarray  # (2, m)
    dim_se: np.ndarray  # (m, D)
    dim_ci: np.ndarray  # (2, m, D)
    osi_se: np.ndarray
    osi_ci: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    index_reps: np.ndarray  # (m, B) float32


def blas_threads_limit(threads: int | None) -> Any:
    """Context manager pinning BLAS to ``threads`` threads (``None``: no change)."""

    # The batched products are many small GEMMs. On a shared 2-core machine a multi-threaded
    # BLAS that loses a core to another process spins at its barriers and runs 10-30× slower
    # than one thread, so the bootstrap pins BLAS to ``threads`` while it runs. threadpoolctl
    # comes with scikit-learn; without it the BLAS is left as configured.
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn installs it
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def _blocks(counts: np.ndarray, cap: int) -> list[np.ndarray]:
    # Communities sorted by size, cut into blocks whose padded size (count × largest) ≤ cap,
    # so padding wastes little.
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] > 0]
    blocks = []
    i = 0
    while i < order.size:
        largest = max(int(counts[order[i]]), 1)
        k = max(1, cap // largest)
        blocks.append(order[i : i + k])
        i += k
    return blocks


def bootstrap(
    S: Scores,
    weights: np.ndarray,
    group: np.ndarray,
    m: int,
    fw: Framework,
    spec: TreeSpec,
    *,
    outcomes: np.ndarray | None = None,
    outcome_weights: np.ndarray | None = None,
    B: int = 1000,
    random_state: int | np.random.Generator | None = 0,
    level: float = 0.90,
    rank_mask: np.ndarray | None = None,
    replicate_weights: np.ndarray | None = None,
    item_mask: np.ndarray | None = None,
    max_elems: int | None = None,
    blas_threads: int | None = 1,
    progress: Callable[[int, int], None] | None = None,
) -> BootstrapResult:
    """Bootstrap SEs and percentile intervals of index, dimensions, OSI and rank.

    Parameters
    ----------
    S : array (n, p), item scores on 0–100 (NaN missing), columns in framework order.
    weights, group, m : survey weights, community of each row, number of communities.
    fw, spec : the framework and the resolved weights/methods.
    outcomes : optional array (n, q) of rescaled outcomes for the OSI.
    B : number of replicates.
    random_state : seed or Generator.
    level : interval level (0.90 → 5th–95th percentiles, also for ranks).
    rank_mask : bool (m,), communities that are ranked (the non-suppressed ones).
    replicate_weights : optional (n, B) multipliers to use instead of random draws (tests).
    item_mask : optional bool (m, p): item means left out of a community's index in every
        replicate (the coverage rules, ``scoring.coverage``), as in the point estimate.
    max_elems : bound on the replicate-multiplier block held in memory (default
        :data:`MAX_ELEMS`).
    blas_threads : BLAS threads during the batched products (``None``: leave as configured).
    progress : called as ``progress(done, B)`` after each block of communities, ``done``
        counting replicates finished (fractions of a block of replicates in proportion to the
        respondents done), non-decreasing, and last ``(B, B)``. For a job's progress display;
        it does not change the result.

    Examples
    --------
    >>> from scoring.framework import Framework, default_framework_dict
    >>> from scoring.aggregate import equal_spec
    >>> fw = Framework.from_dict(default_framework_dict())
    >>> rng = np.random.default_rng(0)
    >>> S = rng.integers(0, 5, size=(400, 36)) * 25.0
    >>> r = bootstrap(S, np.ones(400), np.repeat([0, 1], 200), 2, fw, equal_spec(fw), B=200)
    >>> bool(np.all(r.index_ci[0] < r.index_ci[1]))
    True
    """
    rng = np.random.default_rng(random_state)
    max_elems = MAX_ELEMS if max_elems is None else max_elems
    _n, p = S.shape
    q = 0 if outcomes is None else outcomes.shape[1]
    D = len(fw.dimension_codes)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=m)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    largest = max(int(counts.max(initial=1)), 1)
    bc = int(min(B, max(1, max_elems // largest)))
    blocks = _blocks(counts, max(largest, max_elems // bc))

    index_reps = np.full((m, B), np.nan, dtype=np.float32)
    osi_reps = np.full((m, B), np.nan, dtype=np.float32)
    dim_reps = np.full((m, D, B), np.nan, dtype=np.float32)
    r_buf = np.empty(max_elems + largest * bc, dtype=np.float32)
    respondents = max(int(counts.sum()), 1)
    with blas_threads_limit(blas_threads):
        for b0 in range(0, B, bc):
            b1 = min(B, b0 + bc)
            done_rows = 0
            for comms in blocks:
                k = comms.size
                width = int(counts[comms].max())
                # Padded layout: slot (c, j) holds the j-th respondent of community c; empty slots
                # keep zeros in Y so their multipliers do not matter.
                cnt = counts[comms]
                c_idx = np.repeat(np.arange(k), cnt)
                j_idx = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
                rows = order[np.repeat(starts[comms], cnt) + j_idx]
                # Values of the block's rows: [w·y, w·answered] for items, then for outcomes.
                parts = [S[rows]] if not q or outcomes is None else [S[rows], outcomes[rows]]
                V = np.empty((rows.size, 2 * (p + q)), dtype=np.float32)
                col = 0
                for part in parts:
                    ok = ~np.isnan(part)
                    width_j = part.shape[1]
                    V[:, col : col + width_j] = np.where(ok, part, 0.0) * w[rows, None]
                    V[:, col + width_j : col + 2 * width_j] = ok * w[rows, None]
                    col += 2 * width_j
                if np.all(cnt == width):
                    Y = V.reshape(k, width, V.shape[1])  # equal sizes: no padding needed
                else:
                    Y = np.zeros((k, width, V.shape[1]), dtype=np.float32)
                    Y[c_idx, j_idx] = V
                if replicate_weights is None:
                    R = poisson_weights(rng, (k, width, b1 - b0), out=r_buf)
                else:
                    R = np.zeros((k, width, b1 - b0), dtype=np.float32)
                    R[c_idx, j_idx] = replicate_weights[rows, b0:b1]
                T = np.matmul(Y.transpose(0, 2, 1), R).astype(float)  # (k, 2(p+q), bc)
                with np.errstate(invalid="ignore", divide="ignore"):
                    items = (T[:, :p] / T[:, p : 2 * p]).transpose(2, 0, 1)  # (bc, k, p)
                    items = np.ascontiguousarray(items)
                    if item_mask is not None:
                        items[:, item_mask[comms]] = np.nan
                    tree = aggregate_tree(items, fw, spec)
                    index_reps[comms, b0:b1] = tree.overall.T
                    dim_reps[comms, :, b0:b1] = tree.dim.transpose(1, 2, 0)
                    if q:
                        om = (T[:, 2 * p : 2 * p + q] / T[:, 2 * p + q :]).transpose(2, 0, 1)
                        osi_reps[comms, b0:b1] = overall_satisfaction_index(om, outcome_weights).T
                if progress is not None:
                    done_rows += int(cnt.sum())
                    progress(b0 + (b1 - b0) * done_rows // respondents, B)

    if progress is not None:
        progress(B, B)
    alpha = (1.0 - level) / 2.0
    qs = [alpha, 1.0 - alpha]
    ranked = np.ones(m, dtype=bool) if rank_mask is None else np.asarray(rank_mask, dtype=bool)
    ranks = rank_min(np.where(ranked[None, :], index_reps.T, np.nan))  # (B, m)
    rq = nan_quantiles(ranks, qs, axis=0)
    return BootstrapResult(
        B=B,
        level=level,
        index_se=nan_std(index_reps),
        index_ci=nan_quantiles(index_reps, qs, axis=-1),
        dim_se=nan_std(dim_reps),
        dim_ci=nan_quantiles(dim_reps, qs, axis=-1),
        osi_se=nan_std(osi_reps),
        osi_ci=nan_quantiles(osi_reps, qs, axis=-1),
        rank_low=np.floor(rq[0]),
        rank_high=np.ceil(rq[1]),
        index_reps=index_reps,
    )
