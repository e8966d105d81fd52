"""Ranks with ties, suppression of small samples, and quantiles that tolerate NaN.

Ranks are computed along the last axis for any batch shape (bootstrap replicates, Monte Carlo
draws) with one sort, so rank intervals need no loop over replicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Note(StrEnum):
    """Why a community has no published score, or why its score is to be read with care.

    Codes, not wording: the snapshot stores the value, and whoever shows it (pages, JSON,
    exports) words it in the reader's language.
    """

    INSUFFICIENT_SAMPLE = "insufficient_sample"  # fewer than ``min_n`` valid responses
    NO_SCORE = "no_score"  # enough responses, but too few items answered for an index
    SMALL_SAMPLE = "small_sample"  # published, fewer than ``flag_n`` valid responses


def rank_min(values: np.ndarray) -> np.ndarray:
    """Rank along the last axis, highest value = 1, ties share the smallest rank (``min``).

    NaN values get rank NaN and do not count.

    Examples
    --------
    >>> rank_min(np.array([70.0, 80.0, 70.0, np.nan, 90.0])).tolist()
    [3.0, 2.0, 3.0, nan, 1.0]
    >>> rank_min(np.array([[1.0, 2.0], [2.0, 1.0]])).tolist()
    [[2.0, 1.0], [1.0, 2.0]]
    """
    v = np.asarray(values, dtype=float)
    order, rank_sorted = sorted_ranks(v)
    out = np.empty_like(rank_sorted)
    np.put_along_axis(out, order, rank_sorted, axis=-1)
    return out


def sorted_ranks(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, ranks)``: ascending ``argsort`` of ``v`` along the last axis and the ``min``
    rank (highest = 1, NaN → NaN) of each element in that order.

    Callers that only need rank counts (Monte Carlo histograms) skip the scatter back.
    """
    # Ascending quicksort (NaN last) is several times faster than a stable sort; ties are
    # resolved below, so the order inside a run of equal values does not matter.
    order = np.argsort(v, axis=-1)
    s = np.take_along_axis(v, order, axis=-1)
    n = v.shape[-1]
    k = np.arange(n)
    # rank = 1 + #values strictly greater = valid − (last index of this value's run).
    tie = s[..., 1:] == s[..., :-1]
    if tie.any():
        run_end = np.full(s.shape, n, dtype=np.intp)
        last = np.ones(s.shape, dtype=bool)
        last[..., :-1] = ~tie
        np.copyto(run_end, k, where=last)
        run_end = np.flip(np.minimum.accumulate(np.flip(run_end, axis=-1), axis=-1), axis=-1)
    else:  # continuous scores rarely tie: every element ends its own run
        run_end = np.broadcast_to(k, s.shape)
    nan = np.isnan(s)
    valid = n - nan.sum(axis=-1, keepdims=True)
    ranks = (valid - run_end).astype(float)
    if nan.any():
        ranks[nan] = np.nan
    return order, ranks


def nan_std(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Standard deviation (ddof 1) ignoring NaN, NaN (no warning) where fewer than 2 values.

    Two passes (mean, then squared deviations) in float64, over chunks of the other axes so a
    large float32 replicate array is never copied whole.

    Examples
    --------
    >>> nan_std(np.array([[1.0, 3.0, np.nan], [np.nan, np.nan, 2.0]])).round(3).tolist()
    [1.414, nan]
    """
    a = np.moveaxis(np.asarray(a), axis, -1)
    lead = a.shape[:-1]
    flat = a.reshape(-1, a.shape[-1])
    out = np.empty(flat.shape[0])
    step = max(1, 2**22 // max(flat.shape[1], 1))
    for i in range(0, flat.shape[0], step):
        x = flat[i : i + step].astype(np.float64)
        ok = ~np.isnan(x)
        k = ok.sum(axis=1)
        x[~ok] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = x.sum(axis=1) / k
            x -= mean[:, None]
            x[~ok] = 0.0
            var = np.einsum("ij,ij->i", x, x) / (k - 1)
        out[i : i + step] = np.where(k > 1, np.sqrt(var), np.nan)
    return out.reshape(lead)


def nan_quantiles(a: np.ndarray, qs: np.ndarray | list[float], axis: int = 0) -> np.ndarray:
    """Quantiles (linear interpolation, as ``np.quantile``) ignoring NaN, fully vectorised.

    ``np.nanquantile`` falls back to a per-column Python path when NaNs are present; this sorts
    once instead. Returns shape ``(len(qs), *rest)``; all-NaN columns give NaN.

    Examples
    --------
    >>> nan_quantiles(np.array([[1.0, np.nan], [3.0, 2.0], [2.0, np.nan]]), [0.5]).tolist()
    [[2.0, 2.0]]
    """
    # Work along the last axis: sorting contiguous rows is much faster than columns.
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(float)  # float32 replicates stay float32: half the memory to sort
    a = np.moveaxis(a, axis, -1)
    s = np.sort(a, axis=-1)  # NaN last
    k = (~np.isnan(a)).sum(axis=-1)
    last = np.maximum(k - 1, 0)
    out = []
    for q in np.atleast_1d(np.asarray(qs, dtype=float)):
        pos = q * last
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, last)
        vlo = np.take_along_axis(s, lo[..., None], axis=-1)[..., 0]
        vhi = np.take_along_axis(s, hi[..., None], axis=-1)[..., 0]
        val = vlo + (pos - lo) * (vhi.astype(float) - vlo)
        out.append(np.where(k > 0, val, np.nan))
    return np.stack(out)


@dataclass(frozen=True)
class Publication:
    """Who gets a published score: suppression, flags, ranks and grades per community."""

    suppressed: np.ndarray
    reason: list[Note | None]
    flagged: np.ndarray
    note: list[Note | None]
    rank: np.ndarray
    n_ranked: int


def publication(
    index: np.ndarray, n_valid: np.ndarray, *, min_n: int = 30, flag_n: int = 100
) -> Publication:
    """Suppress communities with fewer than ``min_n`` valid responses, flag those below
    ``flag_n``, and rank the rest (a community with no index is unranked, with a reason).

    Examples
    --------
    >>> p = publication(np.array([80.0, 90.0, 85.0]), np.array([200, 20, 50]))
    >>> p.suppressed.tolist(), p.rank.tolist(), p.reason[1].value, p.note[2].value
    ([False, True, False], [2.0, nan, 1.0], 'insufficient_sample', 'small_sample')
    """
    index = np.asarray(index, dtype=float)
    n_valid = np.asarray(n_valid)
    small = n_valid < min_n
    no_score = ~small & np.isnan(index)
    suppressed = small | no_score
    flagged = ~suppressed & (n_valid < flag_n)
    reason: list[Note | None] = [
        Note.INSUFFICIENT_SAMPLE if s else Note.NO_SCORE if ns else None
        for s, ns in zip(small, no_score, strict=True)
    ]
    note: list[Note | None] = [Note.SMALL_SAMPLE if f else None for f in flagged]
    rank = rank_min(np.where(suppressed, np.nan, index))
    return Publication(suppressed, reason, flagged, note, rank, int((~suppressed).sum()))
