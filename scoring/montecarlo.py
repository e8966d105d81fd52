"""Monte Carlo over methodological choices (METHODS.md §6, "Methodological").

The pipeline is split as the methods note asks: the dimension scores of each discrete variant
(rescaling preset × within-dimension aggregation) are computed once, then every weight draw is
one row of a matrix product with them, all draws of a chunk at once. Rank distributions are
accumulated as per-community rank histograms (m × m counts), so memory does not grow with the
number of draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.aggregate import GEOMETRIC_FLOOR
from scoring.bootstrap import blas_threads_limit
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework
from scoring.weight_model import WeightModel


def weight_draws(
    base: np.ndarray,
    n: int,
    *,
    method: str = "dirichlet",
    spread: float = 0.25,
    concentration: float = 100.0,
    random_state: int | np.random.Generator | None = 0,
) -> np.ndarray:
    """Random weight vectors around ``base`` (each row sums to 1).

    ``"dirichlet"``: ``Dirichlet(concentration · base)`` (mean ``base``; larger concentration,
    less spread). ``"uniform"``: each weight times ``U(1 − spread, 1 + spread)``, renormalised.

    Examples
    --------
    >>> W = weight_draws(np.array([0.5, 0.3, 0.2]), 1000, method="uniform")
    >>> W.shape, bool(np.allclose(W.sum(axis=1), 1.0))
    ((1000, 3), True)
    """
    rng = np.random.default_rng(random_state)
    base = np.asarray(base, dtype=float)
    base = base / base.sum()
    if method == "dirichlet":
        return rng.dirichlet(concentration * np.maximum(base, 1e-12), size=n)
    if method == "uniform":
        if not 0 <= spread < 1:
            raise ScoringError("spread must be in [0, 1)")
        W = base * rng.uniform(1 - spread, 1 + spread, size=(n, base.size))
        return W / W.sum(axis=1, keepdims=True)
    raise ScoringError(f"unknown weight draw method {method!r}; use 'dirichlet' or 'uniform'")


def composite(
    dim_scores: np.ndarray, W: np.ndarray, *, geometric: bool = False, min_coverage: float = 0.5
) -> np.ndarray:
    """Index of every community under every weight draw, (draws, m).

    ``dim_scores`` is (m, D) with NaN for a missing dimension (weights renormalise over the
    available ones; below ``min_coverage`` of the weight the index is NaN).

    Examples
    --------
    >>> composite(np.array([[80.0, 60.0]]), np.array([[0.5, 0.5], [1.0, 0.0]])).tolist()
    [[70.0], [80.0]]
    """
    D = np.asarray(dim_scores, dtype=float)
    ok = ~np.isnan(D)
    if not geometric and ok.all():  # the usual case: one product, full coverage
        return (W @ D.T) / W.sum(axis=1, keepdims=True)
    den = W @ ok.T.astype(float)
    if geometric:
        num = W @ np.where(ok, np.log(np.maximum(np.where(ok, D, 1.0), GEOMETRIC_FLOOR)), 0.0).T
    else:
        num = W @ np.where(ok, D, 0.0).T
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    if geometric:
        out = np.exp(out)
    out[den < min_coverage * W.sum(axis=1, keepdims=True) * (1 - 1e-12)] = np.nan
    return out


@dataclass(frozen=True)
class MonteCarloResult:
    """Rank distribution per community over the draws."""

    n_draws: int
    level: float
    median_rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    rank_counts: np.ndarray  # (m, m): draws in which community i had rank r + 1
    variant_draws: np.ndarray  # draws per variant


def _rank_keys(index: np.ndarray, id_bits: int) -> np.ndarray:
    """Histogram keys ``community · m + rank − 1`` of every (draw, community) with an index.

    Sorting values is several times faster than ``argsort`` (SIMD sort), so each community's id
    rides in the lowest ``id_bits`` mantissa bits of its (non-negative) index and comes back out
    after the sort. That perturbs values by < 2^-(52 − id_bits) relative (2e-12 points for
    3,000 communities); values equal after the perturbation are ties and share the ``min``
    rank.
    """
    size, m = index.shape
    mask = np.int64((1 << id_bits) - 1)
    bits = np.ascontiguousarray(index).view(np.int64) & ~mask
    bits |= np.arange(m, dtype=np.int64)
    s = np.sort(bits.view(np.float64), axis=1).view(np.int64)  # ascending, NaN last
    value = s & ~mask
    s &= mask  # now the community ids
    valid = m - np.isnan(index).sum(axis=1, keepdims=True)
    # Descending rank (0-based) of ascending position p among v valid values: v − 1 − (last
    # position of p's run of equal values).
    run_end = np.arange(m)
    tie = value[:, 1:] == value[:, :-1]
    if tie.any():
        ends = np.where(np.append(~tie, np.ones((size, 1), bool), axis=1), run_end, m)
        run_end = np.minimum.accumulate(ends[:, ::-1], axis=1)[:, ::-1]
    keys = s * m
    keys += valid - 1 - run_end
    if (valid < m).any():
        return keys[np.arange(m) < valid]
    return keys.ravel()


def _hist_quantile(counts: np.ndarray, q: float) -> np.ndarray:
    # Inverted-CDF quantile of each row's rank histogram (the smallest rank whose cumulative
    # share reaches q), i.e. ``np.quantile(..., method="inverted_cdf")`` without the draws.
    total = counts.sum(axis=1, keepdims=True)
    cum = np.cumsum(counts, axis=1)
    reached = cum >= np.maximum(q * total, 1e-12) * (1 - 1e-12)
    out = np.argmax(reached, axis=1).astype(float) + 1
    out[total[:, 0] == 0] = np.nan
    return out


def monte_carlo_ranks(
    dim_scores: np.ndarray,
    base_weights: np.ndarray,
    *,
    n_draws: int = 10_000,
    method: str = "dirichlet",
    spread: float = 0.25,
    concentration: float = 100.0,
    geometric: tuple[bool, ...] | None = None,
    rank_mask: np.ndarray | None = None,
    level: float = 0.90,
    min_coverage: float = 0.5,
    random_state: int | np.random.Generator | None = 0,
    chunk: int = 2000,
) -> MonteCarloResult:
    """Median rank and rank interval of every community under uncertain methodology.

    Parameters
    ----------
    dim_scores : array (m, D), or (V, m, D) for V discrete variants (e.g. presets × the
        within-dimension aggregation); every draw picks a variant uniformly at random.
    base_weights : array (D,), the model's dimension weights (centre of the draws).
    method, spread, concentration : see :func:`weight_draws`.
    geometric : per variant, aggregate dimensions to the index geometrically (default no).
    rank_mask : bool (m,), communities that are ranked (the non-suppressed ones).
    level : interval level; 0.90 gives the 5th–95th percentile of the rank.
    chunk : draws scored at once (bounds memory at ``chunk × m`` floats).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = monte_carlo_ranks(rng.uniform(50, 90, (20, 6)), np.full(6, 1 / 6), n_draws=2000)
    >>> bool(np.all(r.rank_low <= r.median_rank)), int(r.rank_counts.sum())
    (True, 40000)
    """
    scores = np.asarray(dim_scores, dtype=float)
    if scores.ndim == 2:
        scores = scores[None]
    V, m, _D = scores.shape
    geo = tuple(geometric) if geometric is not None else (False,) * V
    if len(geo) != V:
        raise ScoringError(f"geometric has {len(geo)} entries for {V} variants")
    rng = np.random.default_rng(random_state)
    mask = np.ones(m, dtype=bool) if rank_mask is None else np.asarray(rank_mask, dtype=bool)
    scores = np.where(mask[None, :, None], scores, np.nan)
    counts = np.zeros(m * m, dtype=np.int64)
    id_bits = max(1, int(m - 1).bit_length())
    if id_bits > 24:
        raise ScoringError("too many communities for the rank histogram (max 2^24)")
    per_variant = np.zeros(V, dtype=np.int64)
    with blas_threads_limit(1):  # small products: one thread avoids oversubscription
        for start in range(0, n_draws, chunk):
            size = min(chunk, n_draws - start)
            W = weight_draws(
                base_weights,
                size,
                method=method,
                spread=spread,
                concentration=concentration,
                random_state=rng,
            )
            variant = rng.integers(0, V, size=size) if V > 1 else np.zeros(size, dtype=np.intp)
            index = np.empty((size, m))
            for v in range(V):  # a handful of discrete variants, not draws
                rows = variant == v
                if rows.any():
                    index[rows] = composite(
                        scores[v], W[rows], geometric=geo[v], min_coverage=min_coverage
                    )
                    per_variant[v] += int(rows.sum())
            counts += np.bincount(_rank_keys(index, id_bits), minlength=m * m)
    hist = counts.reshape(m, m)
    alpha = (1 - level) / 2
    return MonteCarloResult(
        n_draws=n_draws,
        level=level,
        median_rank=_hist_quantile(hist, 0.5),
        rank_low=_hist_quantile(hist, alpha),
        rank_high=_hist_quantile(hist, 1 - alpha),
        rank_counts=hist,
        variant_draws=per_variant,
    )


def variant_dimension_scores(
    data: SurveyData,
    framework: Framework,
    model: WeightModel,
    *,
    presets: tuple[str, ...] = ("ptm", "cn_gov", "top2box"),
    aggregations: tuple[str, ...] = ("arithmetic", "geometric"),
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Dimension scores (V, m, D) of each (preset, within-dimension aggregation) variant.

    The fixed pre-processing of the Monte Carlo: survey weights once, community item means once
    per preset, the tree once per variant. Feed the result to :func:`monte_carlo_ranks`.
    """
    from scoring.aggregate import aggregate_tree, item_stats
    from scoring.rescale import LazyScores
    from scoring.survey_weights import rake
    from scoring.weight_model import WeightModel as _WM

    group, m = data.group_index, data.m
    if data.margins is not None and data.strata is not None:
        w = rake(
            group, data.strata, data.margins, data.margin_shape, base_weights=data.base_weights
        ).weights
    else:
        w = np.ones(data.n) if data.base_weights is None else data.base_weights
    Xi = data.columns(framework.item_codes)
    out, labels = [], []
    for preset in presets:
        means = item_stats(
            LazyScores(Xi, framework.points, framework.reverse, preset), w, group, m
        ).mean
        for agg in aggregations:
            variant = _WM.from_dict(
                {
                    **model.to_dict(),
                    "preset": preset,
                    "aggregation": {"subdimension": agg, "dimension": agg},
                }
            )
            spec = variant.tree_spec(framework, np.ones(len(framework.dimension_codes)))
            out.append(aggregate_tree(means, framework, spec).dim)
            labels.append({"preset": preset, "aggregation": agg})
    return np.stack(out), labels
