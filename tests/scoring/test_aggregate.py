import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring.aggregate import (
    TreeSpec,
    aggregate_tree,
    combine,
    effective_weights,
    equal_spec,
    item_stats,
    linearised_node_se,
    node_gradients,
)
from scoring.framework import Framework, default_framework_dict

FW = Framework.from_dict(default_framework_dict())


def _data(n=400, m=5, seed=0):
    rng = np.random.default_rng(seed)
    S = rng.integers(0, 5, size=(n, 4)) * 25.0
    S[rng.random(S.shape) < 0.1] = np.nan
    return S, rng.uniform(0.5, 2.0, n), rng.integers(0, m, n)


def test_item_means_match_pandas_weighted_groupby():
    S, w, g = _data()
    st_ = item_stats(S, w, g, 5, chunk=97)  # odd chunk: exercises chunk boundaries
    df = pd.DataFrame(S).assign(w=w, g=g)
    for j in range(4):
        ok = df[j].notna()
        ref = (df[j] * df.w)[ok].groupby(df.g[ok]).sum() / df.w[ok].groupby(df.g[ok]).sum()
        assert np.allclose(st_.mean[:, j], ref.to_numpy())
        assert np.allclose(st_.n[:, j], ok.groupby(df.g).sum().to_numpy())
    assert np.allclose(st_.dk_rate, 1 - st_.n / np.bincount(g)[:, None])
    assert st_.n_answering.tolist() == np.bincount(g, ~np.isnan(S).all(axis=1)).tolist()


def test_sorted_and_unsorted_rows_agree():
    S, w, g = _data(n=500, seed=3)
    order = np.argsort(g, kind="stable")  # sorted rows take the contiguous-sum path
    pos = S >= 75
    a = item_stats(S, w, g, 5, positive=pos, chunk=64)
    b = item_stats(S[order], w[order], g[order], 5, positive=pos[order], chunk=64)
    for name in ("mean", "se", "n", "dk_rate", "pct_positive"):
        assert np.allclose(getattr(a, name), getattr(b, name))


def test_linearisation_se_formula_and_weight_scale_invariance():
    S, w, g = _data(seed=1)
    st_ = item_stats(S, w, g, 5)
    for c in range(5):
        for j in range(4):
            rows = (g == c) & ~np.isnan(S[:, j])
            y, wc = S[rows, j], w[rows]
            n = rows.sum()
            ybar = (wc * y).sum() / wc.sum()
            var = n / (n - 1) * ((wc * (y - ybar)) ** 2).sum() / wc.sum() ** 2
            assert st_.se[c, j] == pytest.approx(np.sqrt(var))
    # Unlike frequency-weight SEs, rescaling the weights changes nothing.
    assert np.allclose(item_stats(S, 10 * w, g, 5).se, st_.se)
    # With equal weights it is the usual s/√n.
    eq = item_stats(S, np.ones_like(w), g, 5)
    rows = (g == 0) & ~np.isnan(S[:, 0])
    assert eq.se[0, 0] == pytest.approx(S[rows, 0].std(ddof=1) / np.sqrt(rows.sum()))


def test_pct_positive():
    S = np.array([[100.0], [75.0], [50.0], [np.nan]])
    pos = np.array([[True], [True], [False], [False]])
    st_ = item_stats(S, np.array([1.0, 1.0, 2.0, 1.0]), np.zeros(4, int), 1, positive=pos)
    assert st_.pct_positive[0, 0] == pytest.approx(50.0)


def test_combine_renormalises_and_applies_coverage():
    V = np.array([[80.0, np.nan, 60.0, 90.0]])
    parent = np.array([0, 0, 1, 1])
    w = np.array([3.0, 1.0, 1.0, 1.0])
    out = combine(V, parent, w, 2, np.array([False, False]), 0.5)
    assert out.tolist() == [[80.0, 75.0]]
    # The missing child carried 1/4 of the weight: coverage 0.75 < 0.8 → missing parent.
    assert np.isnan(combine(V, parent, w, 2, np.array([False, False]), 0.8)[0, 0])
    geo = combine(V, parent, w, 2, np.array([False, True]), 0.5)
    assert geo[0, 1] == pytest.approx(np.sqrt(60 * 90))


def test_worked_tree_example():
    means = np.full((1, 36), 50.0)
    means[0, FW.dim_of_item == 0] = 80.0
    spec = TreeSpec(
        np.ones(36),
        np.ones(18),
        np.array([2.0, 1, 1, 1, 1, 1]),
        np.zeros(18, bool),
        np.zeros(6, bool),
        False,
    )
    t = aggregate_tree(means, FW, spec)
    assert t.overall[0] == pytest.approx((2 * 80 + 5 * 50) / 7)
    eff = effective_weights(FW, spec)
    assert eff.sum() == pytest.approx(1.0)
    assert eff[0] == pytest.approx(2 / 7 / 6)
    assert (means @ eff)[0] == pytest.approx(t.overall[0])


scores = arrays(np.float64, (3, 36), elements=st.floats(0, 100) | st.just(np.nan))
weights = arrays(np.float64, 6, elements=st.floats(0.05, 10))


@settings(max_examples=60, deadline=None)
@given(scores, weights, st.booleans())
def test_tree_scores_stay_within_0_100(means, dim_w, geometric):
    spec = TreeSpec(
        np.ones(36), np.ones(18), dim_w, np.full(18, geometric), np.zeros(6, bool), geometric
    )
    t = aggregate_tree(means, FW, spec)
    for a in (t.sub, t.dim, t.overall):
        ok = ~np.isnan(a)
        assert ((a[ok] >= -1e-9) & (a[ok] <= 100 + 1e-9)).all()


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (2, 36), elements=st.floats(0, 100)),
    weights,
    st.integers(0, 35),
    st.floats(0.1, 50),
)
def test_monotone_in_a_benefit_item(means, dim_w, j, bump):
    spec = TreeSpec(np.ones(36), np.ones(18), dim_w, np.zeros(18, bool), np.zeros(6, bool), False)
    higher = means.copy()
    higher[:, j] = np.minimum(higher[:, j] + bump, 100.0)
    a = aggregate_tree(means, FW, spec).overall
    b = aggregate_tree(higher, FW, spec).overall
    assert (b >= a - 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, 36, elements=st.floats(0, 100)), st.integers(0, 35), weights)
def test_missing_child_weight_is_renormalised(means, j, dim_w):
    spec = TreeSpec(np.ones(36), np.ones(18), dim_w, np.zeros(18, bool), np.zeros(6, bool), False)
    holed = means.copy()
    holed[j] = np.nan
    t = aggregate_tree(holed[None], FW, spec)
    s = FW.sub_of_item[j]
    sibling = next(i for i in np.flatnonzero(FW.sub_of_item == s) if i != j)
    # The remaining item carries the whole sub-dimension (its coverage is exactly 0.5).
    assert t.sub[0, s] == pytest.approx(means[sibling])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_item_stats_invariant_to_row_order(seed):
    S, w, g = _data(n=120, seed=seed % 1000)
    perm = np.random.default_rng(seed).permutation(120)
    a, b = item_stats(S, w, g, 5), item_stats(S[perm], w[perm], g[perm], 5)
    assert np.allclose(a.mean, b.mean, equal_nan=True)
    assert np.allclose(a.se, b.se, equal_nan=True)


def test_linearised_node_se_matches_direct_influence_sum():
    rng = np.random.default_rng(5)
    n, m = 600, 3
    S = rng.integers(0, 5, size=(n, 36)) * 25.0
    S[rng.random(S.shape) < 0.05] = np.nan
    S[np.arange(n) < 200, 0] = np.nan  # community 0 lacks item 0: its own gradient
    g = np.repeat(np.arange(m), 200)
    w = rng.uniform(0.5, 2, n)
    spec = equal_spec(FW)
    st_ = item_stats(S, w, g, m)
    t = aggregate_tree(st_.mean, FW, spec)
    grads = node_gradients(st_.mean, FW, spec, t)
    se = linearised_node_se(S, w, g, st_, grads, chunk=77)
    for c in range(m):
        rows = g == c
        with np.errstate(invalid="ignore", divide="ignore"):
            U = np.where(np.isnan(S[rows]), 0.0, S[rows] - st_.mean[c]) / st_.weight_sum[c]
        U = np.nan_to_num(U)
        z = (U * w[rows, None]) @ np.nan_to_num(grads[c])
        nc = rows.sum()
        assert np.allclose(se[c], np.sqrt(nc / (nc - 1) * (z**2).sum(axis=0)))
    # The gradient of the overall index is the (renormalised) effective weight vector.
    assert np.allclose(grads[1, :, 0], effective_weights(FW, spec))
    assert grads[0, 0, 0] == 0.0 and grads[0, 1, 0] == pytest.approx(2 / 36)
