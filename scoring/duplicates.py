"""Near-duplicate answer vectors: sort-based detection of responses from the same group that
repeat an earlier response within a time window, allowing at most one differing item.

Used as the ``duplicate`` rule of :mod:`scoring.quality` (re-exported there). Conventions: rows =
responses, columns = items (raw answer codes, before reverse-keying), NaN = missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError
from scoring.weighting._common import as_matrix, as_vector

__all__ = ["DuplicateResult", "near_duplicate_flags"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class DuplicateResult:
    """Near-duplicate diagnostics per response.

    Attributes
    ----------
    flags : bool (n,)
        An earlier response from the same group (within the window) has an answer vector that
        differs in at most ``max_differences`` items. The first response of a cluster is not
        flagged ("duplicates after the first").
    match : int (n,)
        Row index of the earlier response it matches (the latest such one found), −1 if none.
    n_differences : int (n,)
        Items differing from ``match`` (−1 if none).
    """

    flags: BoolArray
    match: IntArray
    n_differences: IntArray


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64 finaliser (wrapping uint64 arithmetic)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _salts(p: int, seed: int) -> NDArray[np.uint64]:
    return _mix(np.arange(p, dtype=np.uint64) + np.uint64(seed))


def near_duplicate_flags(
    X: ArrayLike,
    group: ArrayLike,
    *,
    timestamps: ArrayLike | None = None,
    window_s: float = 3600.0,
    max_differences: int = 1,
    min_answered: int | None = None,
) -> DuplicateResult:
    """Flag near-identical answer vectors from the same group (community) within a time window.

    Vectorised and sort-based, never O(n²): each response gets a hash key per "deletion
    variant" (its answer vector with one item masked, tagged with the masked position and the
    group); two vectors differ in at most one item exactly when they share such a key. The key
    and the response's time rank are packed into one 64-bit integer (hash in the high bits),
    so one sort per item puts equal keys next to each other in time order, and every response
    is compared with the one just before it. Candidate pairs are verified on the actual
    answers, so hash collisions never create a flag; with ``64 − log2(n)`` hash bits a
    collision could (very rarely, ~n²/2^(64−log2 n) colliding pairs per item) hide one true
    match. Cost: ``p`` sorts of ``n`` integers for ``max_differences=1`` (about 2 s for
    900,000 × 36 on one core), one sort for ``0``.

    Parameters
    ----------
    X : array_like (n, p)
        Raw answers; NaN = missing (two missing answers count as equal).
    group : array_like of int (n,)
        Community index; only responses of the same group are compared.
    timestamps : array_like (n,), optional
        Submission times in seconds. Without them the row order is the time order and no
        window applies.
    window_s : float
        A match counts only if the earlier response is at most this many seconds earlier
        (default one hour).
    max_differences : {0, 1}
        Items allowed to differ.
    min_answered : int, optional
        Responses with fewer answered items are not checked (default: half of the items).

    Examples
    --------
    >>> X = [[5, 4, 3, 2], [5, 4, 3, 1], [1, 2, 3, 4], [5, 4, 3, 2]]
    >>> r = near_duplicate_flags(X, [0, 0, 0, 1])
    >>> r.flags.tolist(), r.match.tolist()
    ([False, True, False, False], [-1, 0, -1, -1])
    """
    A = as_matrix(X, allow_nan=True)
    n, p = A.shape
    g = np.asarray(group).ravel()
    if g.size != n:
        raise ScoringError(f"group has {g.size} entries; X has {n} rows")
    g = g.astype(np.int64)
    if max_differences not in (0, 1):
        raise ScoringError(
            "max_differences must be 0 or 1 (larger values would match too many honest "
            "answers on a 5-point scale)"
        )
    if timestamps is None:
        t = np.arange(n, dtype=np.float64)
        window = np.inf
    else:
        t = as_vector(timestamps, "timestamps")
        if t.size != n:
            raise ScoringError(f"timestamps has {t.size} entries; X has {n} rows")
        if window_s < 0:
            raise ScoringError("window_s must be ≥ 0")
        window = float(window_s)
    if min_answered is None:
        min_answered = (p + 1) // 2
    isn = np.isnan(A)
    answered = (~isn).sum(axis=1) >= min_answered
    match = np.full(n, -1, dtype=np.int64)
    ndiff = np.full(n, -1, dtype=np.int64)
    if answered.sum() < 2:
        return DuplicateResult(np.zeros(n, dtype=bool), match, ndiff)
    # rank = position in time order (ties broken by row index)
    order_t = np.lexsort((np.arange(n), t))
    rank = np.empty(n, dtype=np.int64)
    rank[order_t] = np.arange(n)
    # item-major copy of the answers' bit patterns: -0.0 → 0.0, one canonical NaN
    AT = np.ascontiguousarray(A.T) + 0.0
    AT[np.isnan(AT)] = np.nan
    bitsT = AT.view(np.uint64)
    pos_salt = _salts(p, 0x5EED)
    mask_salt = _salts(p, 0xD00D)
    row = _mix(g.astype(np.uint64) ^ np.uint64(0xABCDEF))
    for j in range(p):
        row += _mix(bitsT[j] ^ pos_salt[j])
    # pack (hash, time rank) into one uint64 so that a single fast sort orders equal keys by
    # time: the high bits hold the hash, the low ``rbits`` the rank
    rbits = max(1, int(n - 1).bit_length())
    rmask = np.uint64((1 << rbits) - 1)
    shift = np.uint64(rbits)
    rank_u = rank.astype(np.uint64)
    # responses with too few answers get unique keys (never match)
    uniq = _mix(np.arange(n, dtype=np.uint64) ^ np.uint64(0xFEED))
    best_rank = np.full(n, -1, dtype=np.int64)  # time rank of the latest earlier match
    n_keys = 1 if max_differences == 0 else p
    for j in range(n_keys):
        key = row if max_differences == 0 else row - _mix(bitsT[j] ^ pos_salt[j]) + mask_salt[j]
        key = np.where(answered, key, uniq)
        sv = np.sort(((key >> shift) << shift) | rank_u)
        hi = sv >> shift
        same = hi[1:] == hi[:-1]
        if not same.any():
            continue
        later_r = (sv[1:][same] & rmask).astype(np.int64)
        earlier_r = (sv[:-1][same] & rmask).astype(np.int64)
        later_rows = order_t[later_r]
        cur = best_rank[later_rows]
        upd = earlier_r > cur
        best_rank[later_rows[upd]] = earlier_r[upd]
    best_prev = np.where(best_rank >= 0, order_t[np.maximum(best_rank, 0)], -1)
    later = np.flatnonzero(best_prev >= 0)
    earlier = best_prev[later]
    a, b = A[later], A[earlier]
    nd = ((a != b) & ~(np.isnan(a) & np.isnan(b))).sum(axis=1)
    ok = (nd <= max_differences) & (t[later] - t[earlier] <= window) & (g[later] == g[earlier])
    match[later[ok]] = earlier[ok]
    ndiff[later[ok]] = nd[ok]
    return DuplicateResult(match >= 0, match, ndiff)
