"""Importance–performance analysis and importance–satisfaction ratings."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scoring.priorities as pr_mod
from scoring.errors import ScoringError
from scoring.priorities import (
    QUADRANTS,
    importance_performance,
    importance_satisfaction,
    stated_importance_shares,
)


def test_doctests() -> None:
    assert doctest.testmod(pr_mod).failed == 0


def test_quadrants_default_crosshairs() -> None:
    imp = np.array([0.4, 0.1, 0.3, 0.2])  # mean 0.25
    perf = np.array([[60.0, 90, 85, 70], [80, 50, 40, np.nan]])  # grand mean 67.857
    r = importance_performance(imp, perf)
    assert r.quadrant.tolist() == [[0, 3, 1, 3], [1, 2, 0, -1]]
    assert r.label_zh[0].tolist() == ["重点改进", "可能过度", "继续保持", "可能过度"]
    assert r.label_en[1, 0] == QUADRANTS[1][1] and r.label_zh[1, 3] == ""
    assert float(r.performance_cut) == pytest.approx(np.nanmean(perf))
    assert float(np.ravel(r.importance_cut)[0]) == pytest.approx(0.25)


def test_crosshair_options() -> None:
    imp = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
    perf = np.array([[70.0, 80, 90], [90, 60, 75]])
    col = importance_performance(imp, perf, performance_cut="column")
    np.testing.assert_allclose(col.performance_cut, [[80, 70, 82.5]])
    assert col.quadrant.tolist() == [[0, 3, 3], [3, 2, 0]]
    row = importance_performance(imp, perf, performance_cut="row", importance_cut=0.25)
    assert row.quadrant.tolist() == [[0, 1, 3], [3, 2, 1]]  # 75 == row mean → high
    fixed = importance_performance(imp[0], perf, performance_cut=75)
    assert fixed.quadrant[:, 0].tolist() == [0, 1]
    with pytest.raises(ScoringError, match="importance must have shape"):
        importance_performance([0.5, 0.5], perf)
    with pytest.raises(ScoringError, match="performance_cut"):
        importance_performance(imp, perf, performance_cut="median")
    with pytest.raises(ScoringError, match="does not fit"):
        importance_performance(imp, perf, performance_cut=[1, 2])


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.just(4)), elements=st.floats(0, 100)),
    st.lists(st.floats(0.01, 1), min_size=4, max_size=4),
    st.floats(0.1, 10),
    st.floats(0.1, 10),
)
def test_quadrants_stable_under_scaling(
    perf: np.ndarray, imp: list[float], a: float, b: float
) -> None:
    r1 = importance_performance(imp, perf)
    r2 = importance_performance(np.array(imp) * a, perf * b)
    # equal-to-crosshair cells may flip through rounding; compare the rest
    far = np.abs(perf - np.nanmean(perf)) > 1e-6 * (1 + np.abs(perf))
    far &= (np.abs(np.array(imp) - np.mean(imp)) > 1e-9)[None, :]
    assert (r1.quadrant[far] == r2.quadrant[far]).all()


def test_importance_satisfaction() -> None:
    r = importance_satisfaction([[0.5, 0.2, 0.3], [0.1, np.nan, 0.9]], [[0.6, 0.5, 0.9]] * 2)
    np.testing.assert_allclose(r.is_score[0], [0.2, 0.1, 0.03])
    assert r.order.tolist() == [[0, 1, 2], [2, 0, 1]]  # NaN last
    with pytest.raises(ScoringError, match="same"):
        importance_satisfaction([0.5], [0.5, 0.5])
    with pytest.raises(ScoringError, match=r"\[0, 1\]"):
        importance_satisfaction([1.5], [0.5])


def test_stated_importance_shares() -> None:
    rng = np.random.default_rng(0)
    n, k, m = 500, 18, 7
    P = np.zeros((n, k), dtype=bool)
    for i in range(n):
        if rng.random() > 0.1:
            P[i, rng.choice(k, 3, replace=False)] = True
    g = rng.integers(0, m - 1, n)  # community m−1 has nobody
    S = stated_importance_shares(P, g, n_groups=m)
    assert S.shape == (m, k) and np.isnan(S[m - 1]).all()
    for c in range(m - 1):
        sel = (g == c) & P.any(axis=1)
        np.testing.assert_allclose(S[c], P[sel].mean(axis=0))
    np.testing.assert_allclose(np.nansum(S[: m - 1], axis=1), 3.0)
    w = rng.uniform(0.5, 2, n)
    Sw = stated_importance_shares(P, g, n_groups=m, sample_weight=w)
    sel = (g == 2) & P.any(axis=1)
    np.testing.assert_allclose(Sw[2], (w[sel, None] * P[sel]).sum(0) / w[sel].sum())
    everyone = stated_importance_shares(P, g, n_groups=m, answered=np.ones(n, bool))
    assert (everyone[:-1] <= S[:-1] + 1e-12).all()
    with pytest.raises(ScoringError, match="boolean"):
        stated_importance_shares(P.astype(int) * 2, g)
    with pytest.raises(ScoringError, match="n_groups"):
        stated_importance_shares(P, g, n_groups=2)
