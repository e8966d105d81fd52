import doctest
from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import importance as imp_mod
from scoring.errors import ScoringError
from scoring.importance import (
    driver_importance,
    ipa_quadrants,
    nearest_correlation,
    pairwise_correlation,
    relative_weights_from_correlation,
    shapley_r2,
    within_centre,
)
from scoring.weighting.derived import relative_weights


def _data(seed=0, n=600, k=4, rho=0.5):
    rng = np.random.default_rng(seed)
    C = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    X = rng.multivariate_normal(np.zeros(k), C, size=n)
    y = X @ np.linspace(1.0, 0.2, k) + rng.normal(0, 1.0, n)
    return X, y


def _r2_ols(X, y):
    if X.shape[1] == 0:
        return 0.0
    A = np.column_stack([np.ones(len(y)), X])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    e = y - A @ beta
    return 1 - e @ e / ((y - y.mean()) @ (y - y.mean()))


def brute_force_shapley(X, y):
    """Average over all k! orderings of the R² gained when each driver enters (from OLS fits)."""
    k = X.shape[1]
    phi = np.zeros(k)
    perms = list(permutations(range(k)))
    for order in perms:
        used: list[int] = []
        for j in order:
            before = _r2_ols(X[:, used], y)
            used.append(j)
            phi[j] += _r2_ols(X[:, used], y) - before
    return phi / len(perms)


def test_shapley_matches_brute_force_over_orderings():
    X, y = _data(k=4)
    R = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    phi = shapley_r2(R[:4, :4], R[:4, 4])
    np.testing.assert_allclose(phi, brute_force_shapley(X, y), atol=1e-10)


@pytest.mark.parametrize("k,rho", [(2, 0.3), (3, 0.6), (5, 0.4)])
def test_relative_weights_against_existing_and_shapley(k, rho):
    X, y = _data(seed=k, k=k, rho=rho)
    R = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    rw = relative_weights_from_correlation(R[:k, :k], R[:k, k])
    eps, r2 = relative_weights(X, y)  # scoring.weighting.derived, from the data
    np.testing.assert_allclose(rw, eps, atol=1e-12)
    phi = shapley_r2(R[:k, :k], R[:k, k])
    assert phi.sum() == pytest.approx(r2) and rw.sum() == pytest.approx(r2)
    # Johnson's weights approximate the Shapley values closely (not exactly) for correlated X
    np.testing.assert_allclose(rw, phi, atol=0.015)
    assert np.argsort(rw).tolist() == np.argsort(phi).tolist()


def test_orthogonal_drivers_worked_example():
    # uncorrelated drivers: both decompositions are r_xy², by hand
    Rxx = np.eye(3)
    rxy = np.array([0.5, 0.3, 0.1])
    np.testing.assert_allclose(relative_weights_from_correlation(Rxx, rxy), [0.25, 0.09, 0.01])
    np.testing.assert_allclose(shapley_r2(Rxx, rxy), [0.25, 0.09, 0.01])


def test_pairwise_correlation_matches_pandas():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(80, 4))
    Z[:, 1] += Z[:, 0]
    Z[rng.random(Z.shape) < 0.2] = np.nan
    R, N = pairwise_correlation(Z)
    np.testing.assert_allclose(R, pd.DataFrame(Z).corr().to_numpy(), atol=1e-12)
    np.testing.assert_array_equal(N, (~np.isnan(Z)).astype(float).T @ (~np.isnan(Z)))


def test_fixed_effects_remove_community_levels():
    X, y = _data(seed=4, n=900, k=3)
    g = np.repeat(np.arange(30), 30)
    rng = np.random.default_rng(9)
    offsets = rng.normal(0, 20, (30, 4))  # large, correlated-by-chance community levels
    base = driver_importance(X, y, g, B=0)
    shifted = driver_importance(X + offsets[g, :3], y + offsets[g, 3], g, B=0)
    np.testing.assert_allclose(shifted.raw, base.raw, atol=1e-10)
    # and it equals the decomposition of the hand-centred data
    Z = np.column_stack([X, y])
    for c in range(30):
        Z[g == c] -= Z[g == c].mean(axis=0)
    R = np.corrcoef(Z, rowvar=False)
    np.testing.assert_allclose(base.raw, relative_weights_from_correlation(R[:3, :3], R[:3, 3]))
    assert within_centre(Z, g)[g == 0].mean(axis=0) == pytest.approx(np.zeros(4), abs=1e-12)


def test_dont_know_pairwise_and_bootstrap_intervals():
    X, y = _data(seed=5, n=1200, k=3, rho=0.3)
    g = np.repeat(np.arange(40), 30)
    rng = np.random.default_rng(1)
    X[rng.random(X.shape) < 0.15] = np.nan  # don't know
    r = driver_importance(X, y, g, B=200, random_state=3)
    assert r.importance.sum() == pytest.approx(1.0)
    assert (r.importance_low <= r.importance).all() and (r.importance <= r.importance_high).all()
    assert r.n_pairs[0, 1] < 1200 and r.n_pairs[3, 3] == 1200
    assert int(np.argmax(r.importance)) == 0
    again = driver_importance(X, y, g, B=200, random_state=3)
    np.testing.assert_array_equal(again.importance_low, r.importance_low)
    shap = driver_importance(X, y, g, B=0, method="shapley")
    np.testing.assert_allclose(shap.importance, r.importance, atol=0.02)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 6))
def test_nearest_correlation_is_psd_with_unit_diagonal(seed, k):
    rng = np.random.default_rng(seed)
    A = rng.uniform(-1, 1, (k, k))
    A = (A + A.T) / 2
    np.fill_diagonal(A, 1.0)
    fixed, adjusted = nearest_correlation(A)
    assert np.linalg.eigvalsh(fixed).min() > -1e-8
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    if not adjusted:
        np.testing.assert_allclose(fixed, A)


def test_ipa_undetermined_where_gaps_are_unclear_and_errors():
    P = np.array([[50.0, 80.0], [70.0, 70.0], [90.0, 60.0], [71.0, np.nan]])
    S = np.array([[2.0, 2.0], [2.0, 2.0], [np.nan, 2.0], [2.0, 2.0]])
    r = ipa_quadrants(P, S, [0.6, 0.45], [0.8, 0.55])
    np.testing.assert_allclose(r.cut, [70.5, 70.0])
    assert r.importance_side.tolist() == [1, 0]
    assert r.quadrant[:, 1].tolist() == ["undetermined"] * 4  # importance not clear
    assert r.quadrant[:, 0].tolist() == ["priority", "undetermined", "undetermined", "undetermined"]
    with pytest.raises(ScoringError):
        ipa_quadrants(P, S, [0.5], [0.6])
    with pytest.raises(ScoringError, match="undefined"):
        driver_importance(np.ones((30, 2)), np.arange(30.0), np.zeros(30), B=0)


def test_doctests():
    assert doctest.testmod(imp_mod).failed == 0
