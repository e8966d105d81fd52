"""Ballot-stuffing detection: bursts of near-identical answers to one community.

Judged against the community's **own** history in the wave: a batch is flagged when, within
``window_s`` seconds, at least ``min_size`` responses of one community are near-identical to
each other (at most ``max_diff`` differing items, NaN equal to NaN), that count is at least
``rate_factor`` × what the community's rate outside the batch would give in the same span, and
the batch comes from few sources (at most ``max_sources`` distinct source keys, or one source
holding at least half of it: one address, one enumerator). Pure numpy; the caller maps rows back
to responses. Conventions: rows = responses, columns = items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Burst:
    group: int
    rows: list[int]  # row indices of the batch, in time order
    evidence: dict[str, Any]


def _near(X: np.ndarray, i: int, js: np.ndarray, max_diff: int) -> np.ndarray:
    a, b = X[i], X[js]
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return (~same).sum(axis=1) <= max_diff


def detect_bursts(
    times: ArrayLike,
    X: ArrayLike,
    group: ArrayLike,
    source: ArrayLike,
    *,
    window_s: float = 3600.0,
    min_size: int = 15,
    max_diff: int = 2,
    rate_factor: float = 5.0,
    max_sources: int = 3,
) -> list[Burst]:
    """Flagged batches, one per community burst (see the module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(1, 6, (80, 20)).astype(float)
    >>> X[60:] = X[0]                       # 20 copies of one sheet ...
    >>> t = np.r_[np.linspace(0, 86400 * 7, 60), 90000 + np.arange(20) * 30.0]
    >>> src = np.r_[np.arange(60), np.zeros(20)]  # ... from one address, in ten minutes
    >>> [len(b.rows) for b in detect_bursts(t, X, np.zeros(80, int), src)]
    [20]
    """
    t = np.asarray(times, dtype=float)
    A = np.asarray(X, dtype=float)
    g = np.asarray(group, dtype=np.int64)
    s = np.asarray(source)
    out: list[Burst] = []
    for c in np.unique(g):
        idx = np.flatnonzero(g == c)
        idx = idx[np.argsort(t[idx], kind="stable")]
        tc = t[idx]
        span = max(float(tc[-1] - tc[0]), window_s) if idx.size else window_s
        taken = np.zeros(idx.size, dtype=bool)
        for a in range(idx.size):
            if taken[a]:
                continue
            hi = int(np.searchsorted(tc, tc[a] + window_s, side="right"))
            cand = np.arange(a, hi)
            cand = cand[~taken[cand]]
            near = cand[_near(A, int(idx[a]), idx[cand], max_diff)]
            if near.size < min_size:
                continue
            batch_span = max(float(tc[near[-1]] - tc[near[0]]), 1.0)
            others = idx.size - near.size
            expected = others * batch_span / span
            if near.size < rate_factor * max(expected, 1.0):
                continue
            sources, counts = np.unique(s[idx[near]], return_counts=True)
            top_share = float(counts.max() / near.size)
            if sources.size > max_sources and top_share < 0.5:
                continue
            taken[near] = True
            out.append(
                Burst(
                    group=int(c),
                    rows=[int(r) for r in idx[near]],
                    evidence={
                        "size": int(near.size),
                        "span_s": batch_span,
                        "expected_in_span": round(expected, 2),
                        "community_total": int(idx.size),
                        "distinct_sources": int(sources.size),
                        "top_source_share": round(top_share, 3),
                        "max_differing_items": max_diff,
                    },
                )
            )
    return out
