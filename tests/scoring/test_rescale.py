import numpy as np
import pytest

from scoring.errors import ScoringError
from scoring.rescale import (
    overall_satisfaction_index,
    positive_indicator,
    rescale_items,
    rescale_outcomes,
)

NAN = np.nan
X = np.array([[1.0, 2, 3, 4, 5, NAN], [5, 4, 3, 2, 1, 3]])
K = np.full(6, 5)
NOREV = np.zeros(6, bool)
REV = np.array([False, False, False, False, True, False])


def test_ptm_and_reverse():
    assert rescale_items(X, K, NOREV)[0, :5].tolist() == [0, 25, 50, 75, 100]
    s = rescale_items(X, K, REV)
    assert s[0, 4] == 0.0 and s[1, 4] == 100.0  # 6 − x
    assert np.isnan(s[0, 5])  # don't know stays missing, never zero
    seven = rescale_items(np.array([[1.0, 4, 7]]), np.array([7, 7, 7]), np.zeros(3, bool))
    assert seven.tolist() == [[0, 50, 100]]


def test_cn_gov_and_top2box():
    assert rescale_items(X, K, NOREV, "cn_gov")[0, :5].tolist() == [0, 30, 60, 80, 100]
    assert rescale_items(X, K, REV, "cn_gov")[0, 4] == 0.0
    t = rescale_items(X, K, REV, "top2box")
    assert t[0, :5].tolist() == [0, 0, 0, 100, 0] and np.isnan(t[0, 5])
    with pytest.raises(ScoringError, match="5-point"):
        rescale_items(np.array([[1.0]]), np.array([7]), np.zeros(1, bool), "cn_gov")
    with pytest.raises(ScoringError, match="unknown rescaling preset"):
        rescale_items(X, K, NOREV, "minmax")


def test_out_of_range_names_the_item():
    bad = X.copy()
    bad[1, 2] = 9.0  # the don't-know code must already be NaN
    with pytest.raises(ScoringError, match=r"'c'.*outside 1\.\.5"):
        rescale_items(bad, K, NOREV, codes=("a", "b", "c", "d", "e", "f"))


def test_positive_indicator_matches_top2box():
    pos = positive_indicator(X, K, REV)
    t = rescale_items(X, K, REV, "top2box")
    ok = ~np.isnan(t)
    assert (pos[ok] == (t[ok] == 100)).all()
    assert not pos[0, 5]


def test_outcomes_and_osi():
    y = rescale_outcomes(np.array([[1.0, 10.0, 5.5]]), np.ones(3), np.full(3, 10.0))
    assert y.tolist() == [[0.0, 100.0, 50.0]]
    with pytest.raises(ScoringError):
        rescale_outcomes(np.array([[0.0]]), np.ones(1), np.full(1, 10.0))
    means = np.array([[40.0, 60.0, 80.0], [40.0, NAN, 80.0], [NAN, NAN, NAN]])
    osi = overall_satisfaction_index(means)
    assert osi[:2].tolist() == [60.0, 60.0] and np.isnan(osi[2])
    assert overall_satisfaction_index(means[:1], np.array([2.0, 1.0, 1.0]))[0] == 55.0


def test_lazy_scores_equal_the_materialised_ones():
    from scoring.rescale import LazyScores

    rng = np.random.default_rng(0)
    Xr = rng.integers(1, 6, size=(50, 6)).astype(float)
    Xr[rng.random(Xr.shape) < 0.1] = np.nan
    for preset in ("ptm", "cn_gov", "top2box"):
        lazy = LazyScores(Xr, K, REV, preset)
        full = rescale_items(Xr, K, REV, preset)
        assert np.array_equal(lazy[7:19], full[7:19], equal_nan=True)
        assert np.array_equal(lazy[[3, 1, 40]], full[[3, 1, 40]], equal_nan=True)
        assert np.array_equal(np.asarray(lazy), full, equal_nan=True)
    with pytest.raises(ScoringError):
        LazyScores(Xr, K, REV, "zscore")
