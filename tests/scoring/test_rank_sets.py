import doctest
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring import rank_sets as rs_mod
from scoring.errors import ScoringError
from scoring.rank_sets import indistinguishable_runs, rank_sets


def brute_force_bonferroni(y, se, alpha):
    """Rank sets by the definition: a double loop with the Bonferroni critical value."""
    n = len(y)
    crit = NormalDist().inv_cdf(1 - alpha / (n * (n - 1)))  # two-sided, K = n(n−1)/2 pairs
    lower, upper = [], []
    for c in range(n):
        better = worse = 0
        for j in range(n):
            if j == c:
                continue
            z = (y[j] - y[c]) / math.sqrt(se[j] ** 2 + se[c] ** 2)
            better += z > crit
            worse += z < -crit
        lower.append(1 + better)
        upper.append(n - worse)
    return lower, upper


def test_worked_example():
    # SE 1 everywhere: a pair differs when |Δ| > z_{1−0.1/12} √2 = 2.394 · 1.414 = 3.39
    y = [90.0, 88.0, 80.0, 79.0, 70.0]
    r = rank_sets(y, [1.0] * 5, method="bonferroni")
    assert r.rank.tolist() == [1, 2, 3, 4, 5]
    assert r.lower.tolist() == [1, 1, 3, 3, 5]
    assert r.upper.tolist() == [2, 2, 4, 4, 5]
    assert r.tier.tolist() == [1, 1, 2, 2, 3]
    assert [x.tolist() for x in indistinguishable_runs(r)] == [[0, 1], [2, 3], [4]]


def test_against_brute_force():
    rng = np.random.default_rng(5)
    y = rng.normal(70, 5, 25)
    se = rng.uniform(0.8, 3.0, 25)
    r = rank_sets(y, se, method="bonferroni", alpha=0.1)
    lower, upper = brute_force_bonferroni(y.tolist(), se.tolist(), 0.1)
    assert r.lower.tolist() == lower and r.upper.tolist() == upper


def test_simultaneous_coverage_small_simulation():
    rng = np.random.default_rng(11)
    n, reps, hits = 20, 300, 0
    theta = rng.normal(70, 3, n)
    true_rank = 1 + (theta[None, :] > theta[:, None]).sum(axis=1)
    se = rng.uniform(1.0, 2.5, n)
    for _ in range(reps):
        r = rank_sets(theta + rng.normal(0, se), se, alpha=0.1)
        hits += bool(((r.lower <= true_rank) & (true_rank <= r.upper)).all())
    assert hits / reps >= 0.9


def test_errors():
    with pytest.raises(ScoringError, match="not 0"):
        rank_sets([1.0, 2.0], [1.0, np.nan])
    with pytest.raises(ScoringError, match="at least 2"):
        rank_sets([1.0], [1.0])


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 12), elements=st.floats(40, 95)),
    st.floats(0.3, 4.0),
    st.sampled_from([0.05, 0.1, 0.2]),
)
def test_properties(y, s, alpha):
    se = np.full(y.size, s)
    bonf = rank_sets(y, se, alpha=alpha, method="bonferroni")
    holm = rank_sets(y, se, alpha=alpha, method="holm")
    indiv = rank_sets(y, se, alpha=alpha, method="holm", coverage="individual")
    for r in (bonf, holm, indiv):
        assert ((r.lower <= r.rank) & (r.rank <= r.upper)).all()
        assert (r.lower >= 1).all() and (r.upper <= y.size).all()
        # tiers: consecutive in ranked order, members pairwise indistinguishable
        t = r.tier[r.order]
        assert (np.diff(t) >= 0).all() and t[0] == 1
        for k in np.unique(t):
            members = r.order[t == k]
            assert not r.distinct[np.ix_(members, members)].any()
    # Holm rejects at least what Bonferroni rejects; individual sets are nested in joint ones
    assert (holm.lower >= bonf.lower).all() and (holm.upper <= bonf.upper).all()
    assert (indiv.lower >= holm.lower).all() and (indiv.upper <= holm.upper).all()


def test_doctests():
    assert doctest.testmod(rs_mod).failed == 0
