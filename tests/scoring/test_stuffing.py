"""Ballot-stuffing detection (scoring/stuffing.py) on scripted bursts and honest waves."""

from __future__ import annotations

import numpy as np

from scoring.stuffing import detect_bursts

DAY = 86400.0


def honest(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(1, 6, (n, 30)).astype(float), np.sort(rng.uniform(0, 14 * DAY, n))


def test_a_scripted_burst_is_found_and_only_it() -> None:
    rng = np.random.default_rng(1)
    X, t = honest(rng, 200)
    burst = np.repeat(X[:1], 60, axis=0)
    burst[np.arange(60), rng.integers(0, 30, 60)] = 3  # at most one item changed
    Xa = np.vstack([X, burst])
    ta = np.r_[t, 5 * DAY + np.arange(60) * 20.0]
    src = np.r_[np.arange(200), np.full(60, 999)]
    (found,) = detect_bursts(ta, Xa, np.zeros(260, int), src)
    assert set(range(200, 260)) <= set(found.rows) and len(found.rows) <= 61
    assert found.evidence["distinct_sources"] <= 2 and found.evidence["size"] >= 60


def test_honest_waves_and_spread_out_copies_are_not_flagged() -> None:
    rng = np.random.default_rng(2)
    X, t = honest(rng, 500)
    assert detect_bursts(t, X, rng.integers(0, 3, 500), np.arange(500)) == []
    # identical sheets from many addresses (a satisfied compound), not from few
    same = np.repeat(X[:1], 40, axis=0)
    ta = np.r_[t, 3 * DAY + np.arange(40) * 60.0]
    src = np.r_[np.arange(500), 1000 + np.arange(40)]
    assert detect_bursts(ta, np.vstack([X, same]), np.zeros(540, int), src) == []
