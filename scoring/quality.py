"""Response-quality flags: speeders, straight-liners, near-duplicates, and the exclusion
policy that turns flags into a keep mask with counts per rule.

Flags never delete anything: the scoring run applies a stated :class:`ExclusionPolicy` and
reports how many responses each rule excluded. Conventions: rows = responses, columns = items
(raw answer codes, before reverse-keying), NaN = missing / don't know.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.errors import ScoringError
from scoring.weighting._common import FloatArray, as_matrix, as_vector

__all__ = [
    "RULES",
    "DuplicateResult",
    "ExclusionPolicy",
    "QualityFlags",
    "StraightliningResult",
    "apply_exclusion_policy",
    "near_duplicate_flags",
    "speeder_flags",
    "straightlining_flags",
]

#: Built-in rule names, in reporting order.
RULES: tuple[str, ...] = ("speeder", "straightliner", "duplicate", "honeypot")

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


def speeder_flags(
    durations: ArrayLike,
    n_answered: ArrayLike,
    *,
    per_item_s: float = 1.5,
    median_fraction: float = 1 / 3,
) -> BoolArray:
    """Flag responses completed implausibly fast.

    A response is a speeder when its duration is below
    ``max(per_item_s × answered items, median_fraction × median duration of the wave)``.
    The median is over the non-missing durations passed in (pass the whole wave). A missing
    duration (NaN) is never flagged.

    Parameters
    ----------
    durations : array_like (n,)
        Seconds from first page to submission.
    n_answered : array_like (n,) or scalar
        Items answered by each response.

    Examples
    --------
    >>> speeder_flags([300, 320, 40, 290, 90], [36, 36, 36, 36, 36]).tolist()
    [False, False, True, False, True]
    """
    d = as_vector(durations, "durations", allow_nan=True)
    k = np.broadcast_to(np.asarray(n_answered, dtype=np.float64), d.shape)
    if np.isnan(k).any() or (k < 0).any():
        raise ScoringError("n_answered must be non-negative counts without missing values")
    if per_item_s < 0 or not (0 <= median_fraction <= 1):
        raise ScoringError("per_item_s must be ≥ 0 and median_fraction in [0, 1]")
    ok = ~np.isnan(d)
    if (d[ok] < 0).any():
        raise ScoringError("durations must be non-negative seconds")
    med = float(np.median(d[ok])) if ok.any() else 0.0
    threshold = np.maximum(per_item_s * k, median_fraction * med)
    return np.asarray(ok & (np.where(ok, d, np.inf) < threshold), dtype=np.bool_)


@dataclass(frozen=True)
class StraightliningResult:
    """Straight-lining diagnostics per response.

    Attributes
    ----------
    flags : bool (n,)
        Identical answers across at least one eligible block (≥ ``min_block`` items answered,
        block contains a reverse-keyed item).
    block_flags : bool (n, n_blocks)
        The same per block (always False for ineligible blocks).
    eligible_blocks : bool (n_blocks,)
    longest_run : int (n,)
        Longest run of identical consecutive answers over the columns of X in order
        (missing answers break a run).
    item_sd : float (n,)
        Standard deviation (ddof = 0) of the answers across the columns of X; NaN with fewer
        than 2 answers.
    """

    flags: BoolArray
    block_flags: BoolArray
    eligible_blocks: BoolArray
    longest_run: IntArray
    item_sd: FloatArray


def straightlining_flags(
    X: ArrayLike,
    blocks: Sequence[Sequence[int]],
    reverse_mask: ArrayLike,
    *,
    min_block: int = 5,
) -> StraightliningResult:
    """Flag identical answers across a block of items that contains reverse-keyed items.

    Answering 5 to every item of a block that mixes positively and negatively worded items is
    inconsistent, unlike genuinely uniform satisfaction on a block without reverse-keyed items
    (which is therefore not flagged).

    Parameters
    ----------
    X : array_like (n, p)
        Raw answers (before reverse-keying), NaN = missing.
    blocks : sequence of sequences of int
        Column indices of each block (e.g. the items of a dimension).
    reverse_mask : array_like of bool (p,)
        True for reverse-keyed columns.
    min_block : int
        A block needs at least this many items, and the response at least this many answers
        in it.

    Examples
    --------
    >>> X = [[5, 5, 5, 5, 5], [5, 4, 5, 2, 4]]
    >>> r = straightlining_flags(X, [[0, 1, 2, 3, 4]], [False, False, False, True, False])
    >>> r.flags.tolist(), r.longest_run.tolist()
    ([True, False], [5, 1])
    """
    A = as_matrix(X, allow_nan=True)
    n, p = A.shape
    rev = np.asarray(reverse_mask, dtype=bool).ravel()
    if rev.size != p:
        raise ScoringError(f"reverse_mask has {rev.size} entries; X has {p} columns")
    if min_block < 2:
        raise ScoringError("min_block must be at least 2")
    isn = np.isnan(A)
    nb = len(blocks)
    block_flags = np.zeros((n, nb), dtype=bool)
    eligible = np.zeros(nb, dtype=bool)
    for b, cols_seq in enumerate(blocks):
        cols = np.asarray(cols_seq, dtype=np.intp).ravel()
        if cols.size and (cols.min() < 0 or cols.max() >= p):
            raise ScoringError(f"block {b} has a column index outside 0..{p - 1}")
        if cols.size < min_block or not rev[cols].any():
            continue
        eligible[b] = True
        B = A[:, cols]
        m = isn[:, cols]
        cnt = (~m).sum(axis=1)
        hi = np.where(m, -np.inf, B).max(axis=1)
        lo = np.where(m, np.inf, B).min(axis=1)
        block_flags[:, b] = (cnt >= min_block) & (hi == lo)
    # longest run of identical consecutive answers
    run = np.where(isn[:, 0], 0, 1).astype(np.int64)
    best = run.copy()
    for j in range(1, p):
        same = A[:, j] == A[:, j - 1]
        run = np.where(same, run + 1, np.where(isn[:, j], 0, 1))
        np.maximum(best, run, out=best)
    cnt_all = (~isn).sum(axis=1)
    Z = np.where(isn, 0.0, A)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = Z.sum(axis=1) / cnt_all
        var = np.where(isn, 0.0, (A - mean[:, None]) ** 2).sum(axis=1) / cnt_all
    sd = np.where(cnt_all >= 2, np.sqrt(np.where(cnt_all >= 2, var, 0.0)), np.nan)
    return StraightliningResult(block_flags.any(axis=1), block_flags, eligible, best, sd)


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

    Exact and vectorised, never O(n²): each response gets a 64-bit hash key per
    "deletion variant" (the answer vector with one item masked, tagged with the masked
    position and the group); two vectors differ in at most one item exactly when they share
    such a key. Keys are sorted, and within each run of equal keys (ordered by time) every
    response is compared with the one just before it. Candidate pairs are verified on the
    actual answers, so hash collisions cannot create false flags. Cost: ``p`` sorts of ``n``
    keys for ``max_differences=1``, one for ``0``.

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
    cand = np.flatnonzero((~isn).sum(axis=1) >= min_answered)
    match = np.full(n, -1, dtype=np.int64)
    ndiff = np.full(n, -1, dtype=np.int64)
    if cand.size < 2:
        return DuplicateResult(np.zeros(n, dtype=bool), match, ndiff)
    # time order once: ties broken by row index
    cand = cand[np.lexsort((cand, t[cand]))]
    Ac = A[cand]
    Ac = np.where(np.isnan(Ac), np.nan, Ac + 0.0)  # canonical NaN, no -0.0
    bits = np.ascontiguousarray(Ac).view(np.uint64)
    pos_salt = _salts(p, 0x5EED)
    mask_salt = _salts(p, 0xD00D)
    H = _mix(bits ^ pos_salt[None, :])  # (c, p) per-cell hashes
    row = H.sum(axis=1, dtype=np.uint64) + _mix(g[cand].astype(np.uint64) ^ np.uint64(0xABCDEF))
    tc = t[cand]
    best_prev = np.full(cand.size, -1, dtype=np.int64)  # position in cand order
    keys_iter = (
        [row] if max_differences == 0 else (row - H[:, j] + mask_salt[j] for j in range(p))
    )
    for key in keys_iter:
        order = np.argsort(key)  # not stable: equal-key runs are re-sorted by time below
        ks = key[order]
        dup = ks[1:] == ks[:-1]
        if not dup.any():
            continue
        in_run = np.zeros(ks.size, dtype=bool)
        in_run[1:] |= dup
        in_run[:-1] |= dup
        sel = order[in_run]  # positions (in time order) of members of multi-member runs
        sel = sel[np.lexsort((sel, key[sel]))]  # by key, then by time order (= position)
        same = key[sel][1:] == key[sel][:-1]
        later, earlier = sel[1:][same], sel[:-1][same]
        better = earlier > best_prev[later]
        best_prev[later[better]] = earlier[better]
    has = best_prev >= 0
    later = np.flatnonzero(has)
    earlier = best_prev[has]
    a, b = Ac[later], Ac[earlier]
    nd = ((a != b) & ~(np.isnan(a) & np.isnan(b))).sum(axis=1)
    ok = (nd <= max_differences) & (tc[later] - tc[earlier] <= window)
    rows_later = cand[later[ok]]
    match[rows_later] = cand[earlier[ok]]
    ndiff[rows_later] = nd[ok]
    return DuplicateResult(match >= 0, match, ndiff)


@dataclass
class QualityFlags:
    """Quality flags of one wave: one boolean array (n,) per rule.

    ``extra`` holds further named rules (e.g. ``"impossible_timing"``). Missing built-in
    arrays default to all False.

    Examples
    --------
    >>> f = QualityFlags(speeder=np.array([True, False]))
    >>> f.as_dict()["duplicate"].tolist()
    [False, False]
    """

    speeder: BoolArray | None = None
    straightliner: BoolArray | None = None
    duplicate: BoolArray | None = None
    honeypot: BoolArray | None = None
    extra: dict[str, BoolArray] = field(default_factory=dict)

    def as_dict(self) -> dict[str, BoolArray]:
        """All rules as ``{name: bool array}`` (built-in rules first)."""
        given = {
            "speeder": self.speeder,
            "straightliner": self.straightliner,
            "duplicate": self.duplicate,
            "honeypot": self.honeypot,
        }
        arrays = {k: np.asarray(v, dtype=bool).ravel() for k, v in given.items() if v is not None}
        for k, v in self.extra.items():
            if k in given:
                raise ScoringError(f"extra flag {k!r} clashes with a built-in rule")
            arrays[k] = np.asarray(v, dtype=bool).ravel()
        sizes = {v.size for v in arrays.values()}
        if len(sizes) > 1:
            raise ScoringError(f"quality flag arrays differ in length: {sorted(sizes)}")
        n = sizes.pop() if sizes else 0
        for k in RULES:
            arrays.setdefault(k, np.zeros(n, dtype=bool))
        return arrays

    @property
    def n(self) -> int:
        """Number of responses."""
        return int(self.as_dict()["speeder"].size)


@dataclass(frozen=True)
class ExclusionPolicy:
    """Which quality rules exclude a response from scoring.

    Default: speeders, straight-liners, duplicates after the first, and honeypot hits are
    excluded. Stored with every result (``to_dict``).

    Examples
    --------
    >>> ExclusionPolicy(exclude=("speeder",)).to_dict()
    {'exclude': ['speeder']}
    """

    exclude: tuple[str, ...] = RULES

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-safe dict."""
        return {"exclude": list(self.exclude)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Sequence[str]]) -> ExclusionPolicy:
        """Inverse of :meth:`to_dict`."""
        return cls(exclude=tuple(str(x) for x in d.get("exclude", RULES)))


def apply_exclusion_policy(
    flags: QualityFlags, policy: ExclusionPolicy | None = None
) -> tuple[BoolArray, dict[str, int]]:
    """Apply a policy: returns ``(keep_mask, counts_by_rule)``.

    ``counts_by_rule[rule]`` is the number of responses flagged by that rule (a response can
    count under several rules), for every known rule whether excluding or not;
    ``counts_by_rule["excluded"]`` the number excluded by the policy (each once) and
    ``counts_by_rule["kept"]`` the number kept.

    Examples
    --------
    >>> f = QualityFlags(speeder=np.array([True, False, True]),
    ...                  duplicate=np.array([True, False, False]))
    >>> keep, counts = apply_exclusion_policy(f)
    >>> keep.tolist(), counts["speeder"], counts["excluded"]
    ([False, True, False], 2, 2)
    """
    policy = policy or ExclusionPolicy()
    arrays = flags.as_dict()
    unknown = [r for r in policy.exclude if r not in arrays]
    if unknown:
        raise ScoringError(
            f"exclusion policy names rules without flags: {unknown}; known: {sorted(arrays)}"
        )
    n = next(iter(arrays.values())).size
    excluded = np.zeros(n, dtype=bool)
    for r in policy.exclude:
        excluded |= arrays[r]
    counts = {k: int(v.sum()) for k, v in arrays.items()}
    counts["excluded"] = int(excluded.sum())
    counts["kept"] = int(n - excluded.sum())
    return ~excluded, counts
