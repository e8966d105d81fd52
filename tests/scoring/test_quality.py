"""Response-quality flags and the exclusion policy."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring.quality as q_mod
from scoring.errors import ScoringError
from scoring.quality import (
    ExclusionPolicy,
    QualityFlags,
    apply_exclusion_policy,
    near_duplicate_flags,
    speeder_flags,
    straightlining_flags,
)


def test_doctests() -> None:
    assert doctest.testmod(q_mod).failed == 0


def test_speeders_rule() -> None:
    d = np.array([600, 500, 700, 150, 60, np.nan, 100])
    k = np.array([36, 36, 36, 36, 36, 36, 80])
    # median of the 6 known durations = 325 → ⅓ = 108.3; 1.5 s × 80 items = 120 for the last
    assert speeder_flags(d, k).tolist() == [False, False, False, False, True, False, True]
    assert speeder_flags(d, 36, median_fraction=0).tolist() == [
        False, False, False, False, False, False, False,
    ]  # fmt: skip
    with pytest.raises(ScoringError):
        speeder_flags([-1, 2], [3, 3])
    with pytest.raises(ScoringError):
        speeder_flags([1, 2], [3, np.nan])


def test_straightlining() -> None:
    X = np.array(
        [
            [5, 5, 5, 5, 5, 5, 3, 3],  # straight-liner on block 0
            [5, 5, 5, 5, 1, 5, 3, 3],  # answered the reverse item reversed: fine
            [4, 4, np.nan, 4, 4, 4, 4, 4],  # 5 answers, identical → flagged
            [4, np.nan, np.nan, 4, 4, 4, 2, 2],  # only 4 answered in block → not flagged
        ]
    )
    rev = np.zeros(8, dtype=bool)
    rev[4] = True
    blocks = [[0, 1, 2, 3, 4, 5], [6, 7]]
    r = straightlining_flags(X, blocks, rev)
    assert r.flags.tolist() == [True, False, True, False]
    assert r.eligible_blocks.tolist() == [True, False]
    assert r.longest_run.tolist() == [6, 4, 5, 3]
    np.testing.assert_allclose(r.item_sd[0], np.std(X[0]))
    np.testing.assert_allclose(r.item_sd[2], np.nanstd(X[2]))
    # a block without reverse-keyed items is never used
    r2 = straightlining_flags(X, blocks, np.zeros(8, dtype=bool))
    assert not r2.flags.any()
    with pytest.raises(ScoringError, match="reverse_mask"):
        straightlining_flags(X, blocks, [True])
    with pytest.raises(ScoringError, match="outside"):
        straightlining_flags(X, [[0, 9, 1, 2, 3]], rev)


def _brute_force(X, g, t, window, d, min_answered):  # type: ignore[no-untyped-def]
    n = len(X)
    order = np.lexsort((np.arange(n), t))
    rank = np.empty(n, int)
    rank[order] = np.arange(n)
    ok_rows = (~np.isnan(X)).sum(axis=1) >= min_answered
    flags = np.zeros(n, bool)
    for i in range(n):
        if not ok_rows[i]:
            continue
        for j in range(n):
            if j == i or not ok_rows[j] or g[i] != g[j] or rank[j] >= rank[i]:
                continue
            if t[i] - t[j] > window:
                continue
            diff = ((X[i] != X[j]) & ~(np.isnan(X[i]) & np.isnan(X[j]))).sum()
            if diff <= d:
                flags[i] = True
    return flags


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from([0, 1]), st.booleans())
def test_near_duplicates_match_brute_force(seed: int, d: int, with_time: bool) -> None:
    rng = np.random.default_rng(seed)
    n, p = 60, 6
    X = rng.integers(1, 4, (n, p)).astype(float)
    X[rng.random((n, p)) < 0.05] = np.nan
    src = rng.integers(0, n, 20)  # plant near copies
    dst = rng.integers(0, n, 20)
    X[dst] = X[src]
    flip = rng.integers(0, p, 20)
    X[dst[::2], flip[::2]] = 3.0
    g = rng.integers(0, 3, n)
    g[dst] = g[src]
    t = rng.integers(0, 5000, n).astype(float) if with_time else None
    r = near_duplicate_flags(X, g, timestamps=t, window_s=1800, max_differences=d)
    tt = t if t is not None else np.arange(n, dtype=float)
    win = 1800 if t is not None else np.inf
    expected = _brute_force(X, g, tt, win, d, (p + 1) // 2)
    assert r.flags.tolist() == expected.tolist()
    m = r.match[r.flags]
    assert (g[m] == g[r.flags]).all()
    assert (r.n_differences[r.flags] <= d).all()
    assert (r.match[~r.flags] == -1).all()


def test_near_duplicates_examples() -> None:
    X = np.array([[1, 2, 3, 4, 5, 1.0], [1, 2, 3, 4, 5, 2], [1, 2, 3, 4, 5, 1], [5, 5, 5, 5, 5, 5]])
    g = np.array([0, 0, 1, 0])
    t = np.array([100.0, 50.0, 0.0, 10.0])
    r = near_duplicate_flags(X, g, timestamps=t, window_s=60)
    # row 1 (t=50) is first in group 0; row 0 (t=100) differs in one item, 50 s later
    assert r.flags.tolist() == [True, False, False, False]
    assert r.match[0] == 1 and r.n_differences[0] == 1
    assert not near_duplicate_flags(X, g, timestamps=t, window_s=10).flags.any()
    assert not near_duplicate_flags(X, g, timestamps=t, max_differences=0).flags.any()
    with pytest.raises(ScoringError, match="max_differences"):
        near_duplicate_flags(X, g, max_differences=2)
    with pytest.raises(ScoringError, match="group"):
        near_duplicate_flags(X, g[:2])
    # mostly-empty vectors are not compared
    E = np.full((3, 6), np.nan)
    E[:, 0] = 1
    assert not near_duplicate_flags(E, [0, 0, 0]).flags.any()


def test_near_duplicates_scale_smoke() -> None:
    rng = np.random.default_rng(0)
    n, p = 60_000, 36
    g = rng.integers(0, 200, n)
    X = rng.integers(1, 6, (n, p)).astype(float)
    X[100:150] = X[1000:1050]
    g[100:150] = g[1000:1050]
    r = near_duplicate_flags(X, g)
    assert set(np.flatnonzero(r.flags)) == set(range(1000, 1050))


def test_exclusion_policy() -> None:
    f = QualityFlags(
        speeder=np.array([1, 0, 0, 1, 0], bool),
        straightliner=np.array([0, 1, 0, 1, 0], bool),
        extra={"impossible_timing": np.array([0, 0, 1, 0, 0], bool)},
    )
    keep, counts = apply_exclusion_policy(f)
    assert keep.tolist() == [False, False, True, False, True]
    assert counts["speeder"] == 2 and counts["straightliner"] == 2
    assert counts["duplicate"] == 0 and counts["honeypot"] == 0
    assert counts["impossible_timing"] == 1
    assert counts["excluded"] == 3 and counts["kept"] == 2
    pol = ExclusionPolicy(exclude=("speeder", "impossible_timing"))
    keep2, c2 = apply_exclusion_policy(f, pol)
    assert keep2.tolist() == [False, True, False, False, True] and c2["excluded"] == 3
    assert ExclusionPolicy.from_dict(pol.to_dict()) == pol
    with pytest.raises(ScoringError, match="without flags"):
        apply_exclusion_policy(f, ExclusionPolicy(exclude=("bot",)))
    with pytest.raises(ScoringError, match="differ in length"):
        QualityFlags(speeder=np.zeros(2, bool), honeypot=np.zeros(3, bool)).as_dict()
    assert f.n == 5
