"""Community aggregates and hierarchical aggregation (METHODS.md §2–3).

Respondent-level sums per community are sparse-matrix products ``G @ X`` with ``G`` the
(m × n) community indicator carrying the survey weights, so a city-scale wave is a handful of
passes over the matrix. The tree is aggregated with one dense product per level, and the same
functions accept any leading batch axes (bootstrap replicates, Monte Carlo draws).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from scoring.framework import Framework
from scoring.rescale import LazyScores

#: Item scores: a materialised (n × p) array or a :class:`~scoring.rescale.LazyScores`.
Scores = np.ndarray | LazyScores

#: Geometric means floor children at this many points so that a 0 does not send the parent
#: to 0 (METHODS.md §3: "floor at a small epsilon, or use a 1–100 range").
GEOMETRIC_FLOOR = 1.0


def indicator(group: np.ndarray, m: int, values: np.ndarray | None = None) -> sparse.csr_matrix:
    """The (m × n) community indicator with ``values`` (default 1) in row ``group[i]``."""
    n = group.shape[0]
    data = np.ones(n) if values is None else np.asarray(values, dtype=float)
    return sparse.csr_matrix((data, (group, np.arange(n))), shape=(m, n))


@dataclass(frozen=True)
class ItemStats:
    """Per community × item: weighted mean, linearisation SE, counts, DK rate, % positive."""

    mean: np.ndarray
    se: np.ndarray
    n: np.ndarray
    weight_sum: np.ndarray
    dk_rate: np.ndarray
    pct_positive: np.ndarray | None
    n_rows: np.ndarray
    n_answering: np.ndarray  # respondents with at least one answered item


def item_stats(
    S: Scores,
    weights: np.ndarray,
    group: np.ndarray,
    m: int,
    *,
    positive: np.ndarray | Callable[[int, int], np.ndarray] | None = None,
    chunk: int = 32768,
) -> ItemStats:
    """Weighted community means of 0–100 scores, with linearisation standard errors.

    The mean is the ratio ``Σ w y / Σ w`` over respondents who answered. Its variance is the
    linearised ratio-mean variance with respondents as independent draws within each
    community: ``n/(n−1) Σ w² (y − ȳ)² / (Σ w)²``. Unlike a frequency-weight SE it does not
    change when the weights are rescaled.

    Parameters
    ----------
    S : array (n, p) of scores with NaN for missing, or :class:`~scoring.rescale.LazyScores`.
    weights : array (n,), survey weights.
    group : int array (n,), community of each row.
    m : number of communities.
    positive : optional bool array (n, p), answer in the top two categories, or a function
        ``(start, stop) -> rows' indicators`` so the full array need not exist.
    chunk : rows per pass.

    Examples
    --------
    >>> st = item_stats(np.array([[0.0], [100.0], [np.nan]]), np.ones(3), np.zeros(3, int), 1)
    >>> st.mean.tolist(), st.se.round(2).tolist(), st.dk_rate.round(3).tolist()
    ([[50.0]], [[50.0]], [[0.333]])
    """
    n, p = S.shape
    w = np.asarray(weights, dtype=float)
    # Row chunks keep the temporaries small; each chunk adds its community sums. The indicator
    # of a chunk is built directly in CSC form (one entry per respondent column), which costs
    # nothing whatever the row order. The chunk's operands live in buffers allocated once and
    # reused (fresh multi-megabyte temporaries per chunk cost page faults), and the products
    # sharing a weight matrix are one sparse product of the side-by-side blocks: every column
    # is summed exactly as by separate products, in the same order.
    sums = np.zeros((7 if positive is not None else 6, m, p))
    answering = np.zeros(m)
    rows = max(min(chunk, n), 1)
    S0_buf, M_buf, P_buf = np.empty((rows, p)), np.empty((rows, p)), np.empty((rows, p))
    ok_buf = np.empty((rows, p), dtype=bool)
    cols_all = np.arange(rows + 1)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        k = b - a
        g, wc = group[a:b], w[a:b]
        S0, M, ok = S0_buf[:k], M_buf[:k], ok_buf[:k]
        if isinstance(S, LazyScores):
            S.block(a, b, out=S0)
        else:
            np.copyto(S0, S[a:b])
        np.isnan(S0, out=ok)
        np.copyto(S0, 0.0, where=ok)  # missing → 0
        np.logical_not(ok, out=ok)
        np.copyto(M, ok)
        answering += np.bincount(g, ok.any(axis=1), minlength=m)
        cols = cols_all[: k + 1]
        G1 = sparse.csc_matrix((np.ones(k), g, cols), shape=(m, k))
        Gw = sparse.csc_matrix((wc, g, cols), shape=(m, k))
        Gw2 = sparse.csc_matrix((wc * wc, g, cols), shape=(m, k))
        sums[0] += Gw @ S0
        sums[1] += Gw @ M
        sums[2] += G1 @ M
        sums[3] += Gw2 @ S0
        sums[5] += Gw2 @ M
        S0 *= S0
        sums[4] += Gw2 @ S0
        if positive is not None:
            pos = positive(a, b) if callable(positive) else positive[a:b]
            np.copyto(P_buf[:k], pos)
            sums[6] += Gw @ P_buf[:k]
    wy, wsum, n_item, w2y, w2yy, w2m = sums[:6]
    n_rows = np.bincount(group, minlength=m).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = wy / wsum
        # Σw²(y−ȳ)² expanded; scores are bounded (0–100) so the cancellation is harmless.
        ss = np.maximum(w2yy - 2 * mean * w2y + mean * mean * w2m, 0.0)
        se = np.where(n_item > 1, np.sqrt(ss / (wsum * wsum) * n_item / (n_item - 1)), np.nan)
        dk = 1.0 - n_item / n_rows[:, None]
        pct = None
        if positive is not None:
            pct = np.where(wsum > 0, sums[6] / wsum * 100.0, np.nan)
    return ItemStats(mean, se, n_item, wsum, dk, pct, n_rows, answering.astype(np.int64))


@dataclass(frozen=True)
class TreeSpec:
    """Normalised relative weights and aggregation choices for one framework.

    ``item_w`` (p,), ``sub_w`` (S,), ``dim_w`` (D,) are relative within their parent;
    ``geo_sub`` (S,), ``geo_dim`` (D,) and ``geo_overall`` say which nodes use the geometric mean.
    """

    item_w: np.ndarray
    sub_w: np.ndarray
    dim_w: np.ndarray
    geo_sub: np.ndarray
    geo_dim: np.ndarray
    geo_overall: bool
    min_coverage: float = 0.5


def _level_matrix(parent: np.ndarray, w: np.ndarray, n_parents: int) -> np.ndarray:
    A = np.zeros((parent.shape[0], n_parents))
    A[np.arange(parent.shape[0]), parent] = w
    return A


def combine(
    V: np.ndarray,
    parent: np.ndarray,
    w: np.ndarray,
    n_parents: int,
    geometric: np.ndarray,
    min_coverage: float,
) -> np.ndarray:
    """Aggregate children (..., c) to parents (..., P), renormalising over missing children.

    A parent whose available children carry less than ``min_coverage`` of its weight is NaN.

    Examples
    --------
    >>> combine(np.array([[80.0, np.nan, 60.0]]), np.array([0, 0, 0]), np.ones(3), 1,
    ...         np.array([False]), 0.5).tolist()
    [[70.0]]
    """
    A = _level_matrix(parent, w, n_parents)
    full = A.sum(axis=0)
    if not np.any(geometric) and not np.isnan(V).any():
        return V @ (A / full)  # the common case: nothing missing, arithmetic means
    ok = ~np.isnan(V)
    den = ok.astype(float) @ A
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(ok, V, 0.0) @ A / den
        if np.any(geometric):
            logs = np.where(ok, np.log(np.maximum(np.where(ok, V, 1.0), GEOMETRIC_FLOOR)), 0.0)
            out = np.where(geometric, np.exp(logs @ A / den), out)
        covered = den >= min_coverage * full * (1 - 1e-12)
    return np.where(covered & (den > 0), out, np.nan)


@dataclass(frozen=True)
class TreeScores:
    """Node scores with the same leading axes as the input: sub (..., S), dim (..., D), overall."""

    sub: np.ndarray
    dim: np.ndarray
    overall: np.ndarray


def aggregate_tree(item_means: np.ndarray, fw: Framework, spec: TreeSpec) -> TreeScores:
    """Items → sub-dimensions → dimensions → overall for arrays of shape (..., p).

    Examples
    --------
    >>> from scoring.framework import Framework, default_framework_dict
    >>> fw = Framework.from_dict(default_framework_dict())
    >>> spec = equal_spec(fw)
    >>> aggregate_tree(np.full((2, 36), 70.0), fw, spec).overall.tolist()
    [70.0, 70.0]
    """
    S = len(fw.subdimension_codes)
    D = len(fw.dimension_codes)
    sub = combine(item_means, fw.sub_of_item, spec.item_w, S, spec.geo_sub, spec.min_coverage)
    dim = combine(sub, fw.dim_of_sub, spec.sub_w, D, spec.geo_dim, spec.min_coverage)
    overall = combine(
        dim,
        np.zeros(D, dtype=np.intp),
        spec.dim_w,
        1,
        np.array([spec.geo_overall]),
        spec.min_coverage,
    )[..., 0]
    return TreeScores(sub, dim, overall)


def equal_spec(fw: Framework, min_coverage: float = 0.5) -> TreeSpec:
    """Equal weights and arithmetic means everywhere."""
    S = len(fw.subdimension_codes)
    D = len(fw.dimension_codes)
    return TreeSpec(
        np.ones(fw.n_items),
        np.ones(S),
        np.ones(D),
        np.zeros(S, bool),
        np.zeros(D, bool),
        False,
        min_coverage,
    )


def effective_weights(fw: Framework, spec: TreeSpec) -> np.ndarray:
    """Weight of each item on the overall index: the product of normalised weights on its path.

    Examples
    --------
    >>> from scoring.framework import Framework, default_framework_dict
    >>> fw = Framework.from_dict(default_framework_dict())
    >>> float(effective_weights(fw, equal_spec(fw)).sum()), effective_weights(fw, equal_spec(fw))[0]
    (1.0, np.float64(0.027777777777777776))
    """

    def norm(w: np.ndarray, parent: np.ndarray, k: int) -> np.ndarray:
        tot = np.bincount(parent, w, minlength=k)
        return w / tot[parent]

    S = len(fw.subdimension_codes)
    D = len(fw.dimension_codes)
    wi = norm(spec.item_w, fw.sub_of_item, S)
    ws = norm(spec.sub_w, fw.dim_of_sub, D)
    wd = spec.dim_w / spec.dim_w.sum()
    return wi * ws[fw.sub_of_item] * wd[fw.dim_of_item]


def _jacobian(
    V: np.ndarray, parent: np.ndarray, w: np.ndarray, out: np.ndarray, geometric: np.ndarray
) -> np.ndarray:
    # d parent / d child (m, c, P) for one level, matching `combine`.
    ok = ~np.isnan(V)
    A = _level_matrix(parent, w, out.shape[-1])
    den = ok.astype(float) @ A
    with np.errstate(invalid="ignore", divide="ignore"):
        J = ok[:, :, None] * A[None, :, :] / den[:, None, :]
        if np.any(geometric):
            floored = np.where(ok, V, np.inf) <= GEOMETRIC_FLOOR
            scale = np.where(floored, 0.0, out[:, None, :] / np.where(ok, V, 1.0)[:, :, None])
            J = np.where(geometric[None, None, :], J * scale, J)
    return np.nan_to_num(J * ~np.isnan(out)[:, None, :])


def node_gradients(
    item_means: np.ndarray, fw: Framework, spec: TreeSpec, scores: TreeScores
) -> np.ndarray:
    """Gradient of the overall index and each dimension w.r.t. the item means, (m, p, 1 + D)."""
    S = len(fw.subdimension_codes)
    D = len(fw.dimension_codes)
    del S
    J1 = _jacobian(item_means, fw.sub_of_item, spec.item_w, scores.sub, spec.geo_sub)
    J2 = _jacobian(scores.sub, fw.dim_of_sub, spec.sub_w, scores.dim, spec.geo_dim)
    J3 = _jacobian(
        scores.dim,
        np.zeros(D, dtype=np.intp),
        spec.dim_w,
        scores.overall[:, None],
        np.array([spec.geo_overall]),
    )
    g_dim = J1 @ J2
    g_all = g_dim @ J3
    return np.concatenate([g_all, g_dim], axis=2)


def linearised_node_se(
    S: Scores,
    weights: np.ndarray,
    group: np.ndarray,
    stats: ItemStats,
    gradients: np.ndarray,
    chunk: int = 32768,
) -> np.ndarray:
    """Linearisation SE of tree nodes, (m, K), from item-mean gradients (m, p, K).

    Each respondent's influence on a node is ``z_i = w_i Σ_j g_j (y_ij − ȳ_j) / W_j`` (zero on
    missing answers); the variance is ``n/(n−1) Σ z_i²`` within the community. Communities
    whose gradient equals the common one (arithmetic aggregation, every item present — the
    usual case) share a single dense product; the others gather their own gradient.
    """
    m, p, K = gradients.shape
    complete = ~np.isnan(gradients).any(axis=(1, 2)) & (stats.n_rows > 0)
    ref = gradients[np.flatnonzero(complete)[0]] if complete.any() else np.zeros((p, K))
    same = complete & np.all(np.abs(gradients - ref) <= 1e-12, axis=(1, 2))
    mean0 = np.nan_to_num(stats.mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_w = np.where(stats.weight_sum > 0, 1.0 / stats.weight_sum, 0.0)
    acc = np.zeros((m, K))
    for start in range(0, S.shape[0], chunk):
        g = group[start : start + chunk]
        block = S[start : start + chunk] - mean0[g]
        block[np.isnan(block)] = 0.0
        block *= inv_w[g]
        z = block @ ref
        odd = ~same[g]
        if odd.any():
            z[odd] = np.einsum("ij,ijk->ik", block[odd], np.nan_to_num(gradients[g[odd]]))
        z *= weights[start : start + chunk, None]
        z *= z
        for k in range(K):
            acc[:, k] += np.bincount(g, z[:, k], minlength=m)
    n = stats.n_rows
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n[:, None] > 1, np.sqrt(acc * (n / (n - 1))[:, None]), np.nan)
