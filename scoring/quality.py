"""Response-quality flags: speeders, straight-liners, near-duplicates, and the exclusion
policy that turns flags into a keep mask with counts per rule.

Near-duplicate detection lives in :mod:`scoring.duplicates` and is re-exported here, so
``scoring.quality`` stays the one import for every quality rule.

Flags never delete anything: the scoring run applies a stated :class:`ExclusionPolicy` and
reports how many responses each rule excluded. Conventions: rows = responses, columns = items
(raw answer codes, before reverse-keying), NaN = missing / don't know.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.duplicates import DuplicateResult, near_duplicate_flags
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

# run the re-exported examples with this module's doctests (``doctest.testmod`` skips objects
# defined elsewhere)
__test__ = {"near_duplicate_flags": near_duplicate_flags}


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
    AT = np.ascontiguousarray(A.T)  # item-major: contiguous per-item rows, much faster
    isn = np.isnan(AT)
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
        cnt = np.zeros(n, dtype=np.int64)
        hi = np.full(n, -np.inf)
        lo = np.full(n, np.inf)
        for c in cols:
            ok = ~isn[c]
            cnt += ok
            np.maximum(hi, np.where(ok, AT[c], -np.inf), out=hi)
            np.minimum(lo, np.where(ok, AT[c], np.inf), out=lo)
        block_flags[:, b] = (cnt >= min_block) & (hi == lo)
    # longest run of identical consecutive answers (NaN != NaN breaks a run)
    run = np.where(isn[0], 0, 1).astype(np.int64)
    best = run.copy()
    cnt_all = (~isn[0]).astype(np.int64)
    total = np.where(isn[0], 0.0, AT[0])
    for j in range(1, p):
        same = AT[j] == AT[j - 1]
        run = np.where(same, run + 1, np.where(isn[j], 0, 1))
        np.maximum(best, run, out=best)
        cnt_all += ~isn[j]
        total += np.where(isn[j], 0.0, AT[j])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / cnt_all
    ss = np.zeros(n)
    for j in range(p):
        ss += np.where(isn[j], 0.0, (AT[j] - mean) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(cnt_all >= 2, np.sqrt(ss / np.maximum(cnt_all, 1)), np.nan)
    return StraightliningResult(
        np.asarray(block_flags.any(axis=1)), block_flags, eligible, best, sd
    )


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
