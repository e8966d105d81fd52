"""Vectorised bootstrap of respondents within communities (METHODS.md §6, "Sampling").

Poisson bootstrap: in replicate b respondent i counts ``r_ib ~ Poisson(1)`` times, independently
(a byte-resolution Poisson with exact mean and variance 1, see ``_COUNTS``), which resamples
within every community at once (the community stays the stratum). Each
replicate's item means are ratios of weighted sums, so all replicates of a block of communities
are one batched matrix product ``Yᵀ R`` (BLAS) over a padded (community, respondent) layout.
The only Python loops run over blocks of communities of similar size and over chunks of
replicates, both sized to bound memory.

With ``calibration`` (what the raking was given) every replicate is raked again: raking
multiplies a row's base weight by a factor of its weighting cell, so each replicate's cell
tables (summed multipliers per community × cell, one segment sum over the padded layout, whose
rows are sorted by cell within each community) are raked by :func:`~scoring.survey_weights.
rake_cells`, vectorised over communities and replicates, and the multipliers are scaled by the
gathered cell factors before the main product. Without it the survey weights are held fixed.
With ``resolve`` the dimension weights are resolved again on every replicate's item means of all
communities (data-driven models); otherwise the tree spec is held fixed. Rank intervals rank the
non-suppressed communities in every replicate.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.aggregate import Scores, TreeSpec, aggregate_tree
from scoring.framework import Framework
from scoring.rank import nan_quantiles, nan_std, rank_min
from scoring.rescale import overall_satisfaction_index
from scoring.survey_weights import Calibration, rake_cells

#: ``resolve(item_means (m, p), osi (m,)) -> TreeSpec``: the weight model's resolution, run on
#: every replicate (data-driven dimension weights).
Resolver = Callable[[np.ndarray, np.ndarray], TreeSpec]

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


def calibration_df_factor(calibration: Calibration, group: np.ndarray, m: int) -> np.ndarray:
    """``sqrt(n / (n − p))`` per community: n raked rows, p = the independent constraints of
    the raking (covered categories over all variables, minus one per extra variable).

    A calibrated estimator's variance is that of the residuals of the calibration model
    (Deville & Särndal 1992), and a residual variance estimated from n rows after fitting p
    constraints is biased by (n − p)/n; the bootstrap of the re-raked estimator inherits it. At
    n ≈ 40 with 5 age bands × 2 genders (p = 6) that is 8 % on the SE. Communities without
    margins get 1.

    Examples
    --------
    >>> cal = Calibration(np.array([0, 1, 2, 3] * 10), np.ones((1, 4)), (2, 2))
    >>> calibration_df_factor(cal, np.zeros(40, dtype=int), 1).round(4).tolist()
    [1.0398]
    """
    margins = np.asarray(calibration.margins, dtype=float)
    cells = margins.shape[1]
    shape = (cells,) if calibration.shape is None else tuple(calibration.shape)
    raked = calibration.raked_rows(group)
    strata = np.asarray(calibration.strata)
    N = np.zeros((m, cells))
    np.add.at(N, (group[raked], strata[raked]), 1.0)
    Nt = N.reshape(m, *shape)
    nd = len(shape)
    p = np.zeros(m)
    for a in range(nd):
        other = tuple(1 + b for b in range(nd) if b != a)
        p += (Nt.sum(axis=other) > 0).sum(axis=1) if other else (Nt > 0).sum(axis=1)
    p = np.maximum(p - (nd - 1), 0.0)
    n = N.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.sqrt(n / np.maximum(n - p, 1.0))
    return np.where(n > 0, f, 1.0)


class _Segments:
    """The calibration layout of one block of communities: rows sorted by segment (weighting
    cell; then one segment of unraked rows) within each community, so that each segment is a
    run of slots of the flattened padded layout (k × width); padding slots are runs of their
    own."""

    def __init__(
        self,
        seg_of_row: np.ndarray,
        cal: Calibration,
        margins: np.ndarray,
        cnt: np.ndarray,
        width: int,
        base: np.ndarray,
    ) -> None:
        k, C = cnt.size, margins.shape[1]
        c_idx = np.repeat(np.arange(k), cnt)
        j_idx = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        flat = c_idx * width + j_idx
        new = np.ones(flat.size, dtype=bool)
        new[1:] = (seg_of_row[1:] != seg_of_row[:-1]) | (c_idx[1:] != c_idx[:-1])
        pad = np.flatnonzero(cnt < width)
        all_starts = np.concatenate([flat[new], pad * width + cnt[pad]])
        o = np.argsort(all_starts, kind="stable")
        self.lengths = np.diff(np.append(all_starts[o], k * width))
        self.real = np.flatnonzero(o < int(new.sum()))  # segments of rows, in layout order
        self.comm, self.code = c_idx[new], seg_of_row[new]
        self.k, self.C, self.cal, self.margins = k, C, cal, margins
        # Summed multipliers per (community, segment) are one small batched product with an
        # indicator (k, C + 1, width), plus its base-weighted copy when base weights vary.
        weighted = not np.all(base == 1.0)
        ind = np.zeros((k, (C + 1) * (1 + weighted), width), dtype=np.float32)
        ind[c_idx, seg_of_row, j_idx] = 1.0
        if weighted:
            ind[c_idx, C + 1 + seg_of_row, j_idx] = base
        self.ind, self.weighted = ind, weighted

    def _rake(self, NT: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        C, cal = self.C, self.cal
        N = NT[:, : C + 1]
        T = NT[:, C + 1 :] if self.weighted else N
        f, _ok = rake_cells(
            N[:, :C].transpose(0, 2, 1),
            T[:, :C].transpose(0, 2, 1),
            self.margins[:, None, :],
            cal.shape,
            trim=cal.trim,
            tol=cal.tol,
            max_iter=cal.max_iter,
            trim_rounds=cal.trim_rounds,
        )  # (k, bc, C); from factors 1, as rake (a warm start changes where bounds-win tables end)
        # unraked rows (unknown cell, community without margins): base weight / their mean
        with np.errstate(invalid="ignore", divide="ignore"):
            unraked = np.where(T[:, C] > 0, N[:, C] / T[:, C], 1.0)
        return f, unraked

    def apply(self, R: np.ndarray) -> None:
        """Multiply the replicate multipliers R (k, width, bc) by their raking factors."""
        bc = R.shape[-1]
        NT = np.matmul(self.ind, R).astype(np.float64)
        f, unraked = self._rake(NT)
        seg_f = np.ones((self.lengths.size, bc), dtype=np.float32)
        code, C = self.code, self.C
        seg_f[self.real] = np.where(
            (code < C)[:, None], f[self.comm, :, np.minimum(code, C - 1)], unraked[self.comm]
        )
        flat = R.reshape(-1, bc)
        np.multiply(flat, np.repeat(seg_f, self.lengths, axis=0), out=flat)


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
    calibration: Calibration | None = None,
    resolve: Resolver | None = None,
    df_correction: bool = True,
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
    calibration : rake every replicate again to these margins (``weights`` are then not used:
        each replicate's weights are the calibration's base weights × its own raking factors).
    resolve : resolve the tree spec again on every replicate's item means and OSI of all
        communities (``spec`` is then not used for the replicates).
    df_correction : with ``calibration``, widen every community's replicate spread by
        :func:`calibration_df_factor` (the residual degrees of freedom the raking uses up).

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
    n, p = S.shape
    q = 0 if outcomes is None else outcomes.shape[1]
    D = len(fw.dimension_codes)
    group = np.asarray(group)
    if calibration is None:
        w = np.asarray(weights, dtype=float)
        order = np.argsort(group, kind="stable")
    else:
        base = calibration.base_weights
        w = np.ones(n) if base is None else np.asarray(base, dtype=float)
        margins = np.asarray(calibration.margins, dtype=float)
        cells = margins.shape[1]
        # segment of every row: its cell if raked, else one extra segment per community
        seg = np.where(calibration.raked_rows(group), np.asarray(calibration.strata), cells)
        order = np.lexsort((seg, group))
    counts = np.bincount(group, minlength=m)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    largest = max(int(counts.max(initial=1)), 1)
    bc = int(min(B, max(1, max_elems // largest)))
    if resolve is not None:
        # a chunk keeps every community's replicate item means until the spec is resolved
        bc = int(min(bc, max(1, max_elems // max(1, m * (p + q)))))
    blocks = _blocks(counts, max(largest, max_elems // bc))

    index_reps = np.full((m, B), np.nan, dtype=np.float32)
    osi_reps = np.full((m, B), np.nan, dtype=np.float32)
    dim_reps = np.full((m, D, B), np.nan, dtype=np.float32)
    r_buf = np.empty(max_elems + largest * bc, dtype=np.float32)
    respondents = max(int(counts.sum()), 1)
    segments: dict[int, _Segments] = {}
    with blas_threads_limit(blas_threads):
        for b0 in range(0, B, bc):
            b1 = min(B, b0 + bc)
            done_rows = 0
            if resolve is not None:
                chunk_items = np.full((b1 - b0, m, p), np.nan)
                chunk_osi = np.full((b1 - b0, m), np.nan)
            for bi, comms in enumerate(blocks):
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
                if calibration is not None:
                    if bi not in segments:
                        segments[bi] = _Segments(
                            seg[rows], calibration, margins[comms], cnt, width, w[rows]
                        )
                    segments[bi].apply(R)
                T = np.matmul(Y.transpose(0, 2, 1), R).astype(float)  # (k, 2(p+q), bc)
                with np.errstate(invalid="ignore", divide="ignore"):
                    items = (T[:, :p] / T[:, p : 2 * p]).transpose(2, 0, 1)  # (bc, k, p)
                    items = np.ascontiguousarray(items)
                    if item_mask is not None:
                        items[:, item_mask[comms]] = np.nan
                    om = None
                    if q:
                        om = (T[:, 2 * p : 2 * p + q] / T[:, 2 * p + q :]).transpose(2, 0, 1)
                        osi_reps[comms, b0:b1] = overall_satisfaction_index(om, outcome_weights).T
                    if resolve is not None:
                        chunk_items[:, comms] = items
                        if om is not None:
                            chunk_osi[:, comms] = overall_satisfaction_index(om, outcome_weights)
                    else:
                        tree = aggregate_tree(items, fw, spec)
                        index_reps[comms, b0:b1] = tree.overall.T
                        dim_reps[comms, :, b0:b1] = tree.dim.transpose(1, 2, 0)
                if progress is not None:
                    done_rows += int(cnt.sum())
                    progress(b0 + (b1 - b0) * done_rows // respondents, B)
            if resolve is not None:
                # every community's replicate means are in: resolve, then aggregate, per replicate
                for b in range(b1 - b0):
                    with np.errstate(invalid="ignore", divide="ignore"):
                        tree = aggregate_tree(
                            chunk_items[b : b + 1], fw, resolve(chunk_items[b], chunk_osi[b])
                        )
                    index_reps[:, b0 + b] = tree.overall[0]
                    dim_reps[:, :, b0 + b] = tree.dim[0]

    if progress is not None:
        progress(B, B)
    if calibration is not None and df_correction:
        f = calibration_df_factor(calibration, group, m)
        for reps in (index_reps, osi_reps, dim_reps):
            view = reps.reshape(m, -1, B)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
                centre = np.nanmean(view, axis=-1, keepdims=True)
            view[...] = centre + (view - centre) * f[:, None, None]
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
