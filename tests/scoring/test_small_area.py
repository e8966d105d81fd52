import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import optimize

from scoring import small_area as sa_mod
from scoring.errors import ScoringError
from scoring.small_area import dummies, fay_herriot


def test_worked_example_balanced_by_hand():
    # equal ψ, intercept only: σ̂² = s² − ψ for REML and Prasad–Rao alike (s² = 100, ψ = 4)
    y, psi = [60.0, 70.0, 80.0], [4.0, 4.0, 4.0]
    for method in ("reml", "pr"):
        r = fay_herriot(y, psi, method=method)
        assert r.sigma2_v == pytest.approx(96.0)
        np.testing.assert_allclose(r.gamma, 0.96)
        np.testing.assert_allclose(r.estimate, [60.4, 70.0, 79.6])
        np.testing.assert_allclose(r.g1, 3.84)
        np.testing.assert_allclose(r.g2, 0.04**2 * 100 / 3)
        # V̄(σ̂²) = 2 / Σ v⁻² = 2 m⁻² Σ v² = 20000/3 here; g3 = ψ²/v³ · V̄ = 0.10667
        np.testing.assert_allclose(r.g3, 16 / 100**3 * 20000 / 3)
        np.testing.assert_allclose(r.mse, 3.84 + 0.16 / 3 + 2 * 0.32 / 3)
        z = 1.6448536269514722
        np.testing.assert_allclose(r.ci_high - r.estimate, z * np.sqrt(r.mse))
        np.testing.assert_allclose(r.direct_high - r.direct, z * 2.0)


def _neg_restricted_loglik(s2: float, y: np.ndarray, X: np.ndarray, psi: np.ndarray) -> float:
    v = s2 + psi
    Xw = X / v[:, None]
    A = X.T @ Xw
    beta = np.linalg.solve(A, Xw.T @ y)
    r = y - X @ beta
    return 0.5 * (np.log(v).sum() + np.linalg.slogdet(A)[1] + (r**2 / v).sum())


def test_reml_matches_direct_maximisation_of_the_restricted_likelihood():
    rng = np.random.default_rng(3)
    streets = rng.integers(0, 4, 40)
    X = dummies(streets.tolist())
    psi = rng.uniform(1.0, 9.0, 40)
    y = X @ [70.0, 2.0, -3.0, 1.0] + rng.normal(0, 3.0, 40) + rng.normal(0, np.sqrt(psi))
    r = fay_herriot(y, psi, X)
    best = optimize.minimize_scalar(
        _neg_restricted_loglik,
        bounds=(0, 100),
        args=(y, X, psi),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert r.converged and r.sigma2_v == pytest.approx(best.x, rel=1e-5)
    # Prasad–Rao moment estimator by its formula with OLS hat values
    H = X @ np.linalg.inv(X.T @ X) @ X.T
    e = y - H @ y
    pr = (e @ e - np.sum(psi * (1 - np.diag(H)))) / (40 - 4)
    assert fay_herriot(y, psi, X, method="pr").sigma2_v == pytest.approx(max(pr, 0.0))


def test_zero_area_variance_gives_the_synthetic_estimate():
    y = np.array([70.0, 70.5, 69.5, 70.2, 69.8])  # less spread than sampling noise: σ̂² → 0
    psi = np.full(5, 25.0)
    r = fay_herriot(y, psi)
    assert r.sigma2_v == 0.0
    np.testing.assert_allclose(r.estimate, r.synthetic)
    np.testing.assert_allclose(r.estimate, y.mean())
    fixed = fay_herriot([60.0, 80.0, 75.0], [4.0, 9.0, 1.0], sigma2_v=0.0)
    np.testing.assert_allclose(fixed.estimate, fixed.synthetic)
    np.testing.assert_allclose(fixed.g1, 0.0)


def test_tiny_sampling_variance_gives_the_direct_estimate():
    y = np.array([60.0, 72.0, 81.0, 66.0])
    psi = np.array([1e-10, 4.0, 4.0, 4.0])
    r = fay_herriot(y, psi)
    assert r.estimate[0] == pytest.approx(60.0, abs=1e-6)
    assert r.mse[0] == pytest.approx(0.0, abs=1e-6)


def test_input_errors():
    with pytest.raises(ScoringError, match="not 0"):
        fay_herriot([1.0, 2.0, 3.0], [1.0, np.nan, 1.0])
    with pytest.raises(ScoringError, match="full column rank"):
        fay_herriot([1.0, 2.0, 3.0, 4.0], [1.0] * 4, np.column_stack([np.ones(4), np.ones(4)]))
    with pytest.raises(ScoringError, match="more communities"):
        fay_herriot([1.0, 2.0], [1.0, 1.0], np.eye(2))


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, 8, elements=st.floats(30, 95)),
    arrays(np.float64, 8, elements=st.floats(0.5, 30)),
    st.sampled_from(["reml", "pr"]),
)
def test_eblup_lies_between_direct_and_synthetic(y, psi, method):
    X = dummies(["a", "a", "a", "b", "b", "b", "b", "a"])
    r = fay_herriot(y, psi, X, method=method)
    lo = np.minimum(r.direct, r.synthetic) - 1e-9
    hi = np.maximum(r.direct, r.synthetic) + 1e-9
    assert ((r.estimate >= lo) & (r.estimate <= hi)).all()
    assert ((r.gamma >= 0) & (r.gamma <= 1)).all() and r.sigma2_v >= 0
    assert (r.mse > 0).all()


def test_doctests():
    assert doctest.testmod(sa_mod).failed == 0
