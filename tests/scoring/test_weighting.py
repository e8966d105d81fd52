"""Equal/fixed, entropy, CRITIC, PCA, combined and derived weights."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scoring.weighting as weighting
import scoring.weighting.combine as combine_mod
import scoring.weighting.derived as derived_mod
import scoring.weighting.objective as objective_mod
from scoring.errors import ScoringError, WeightModelError
from scoring.weighting import (
    CriticWeighter,
    EntropyWeighter,
    PCAWeighter,
    combine_weights,
    critic_weights,
    derived_importance,
    entropy_weights,
    equal_weights,
    fixed_weights,
    pca_weights,
    relative_weights,
)

ENTROPY_X = [[9, 0, 0, 0], [8, 3, 0.9, 0.5], [6, 7, 0.2, 1]]
CRITIC_X = [
    [80, 100, 50, 60, 10],
    [82, 100, 55, 85, 40],
    [78, 90, 50, 95, 90],
    [70, 95, 60, 70, 50],
]


@pytest.mark.parametrize("mod", [objective_mod, derived_mod, combine_mod])
def test_doctests(mod: object) -> None:
    assert doctest.testmod(mod).failed == 0  # type: ignore[arg-type]


def test_public_names_importable() -> None:
    for name in ("ahp_weights", "entropy_weights", "critic_weights", "pca_weights", "group_ahp"):
        assert callable(getattr(weighting, name))


def test_equal_and_fixed() -> None:
    np.testing.assert_allclose(equal_weights(3), [1 / 3] * 3)
    np.testing.assert_allclose(fixed_weights([1, 1, 2]), [0.25, 0.25, 0.5])
    with pytest.raises(WeightModelError, match="negative"):
        fixed_weights([1, -1])
    with pytest.raises(WeightModelError, match="all zero"):
        fixed_weights([0, 0])
    with pytest.raises(WeightModelError, match="finite"):
        fixed_weights([1, np.nan])
    with pytest.raises(WeightModelError):
        equal_weights(0)


# ---------------------------------------------------------------- entropy


def test_entropy_worked_example() -> None:
    np.testing.assert_allclose(
        entropy_weights(ENTROPY_X), [0.008565, 0.307162, 0.393265, 0.291008], atol=5e-7
    )


def test_entropy_constant_and_zero_columns() -> None:
    X = np.array([[1, 5, 0, 2.0], [2, 5, 0, 4], [3, 5, 0, 9]])
    w = entropy_weights(X)
    assert w[1] == 0 and w[2] == 0
    np.testing.assert_allclose(w[[0, 3]] / w[[0, 3]].sum(), entropy_weights(X[:, [0, 3]]))
    with pytest.raises(ScoringError, match="no column varies"):
        entropy_weights([[1, 1], [1, 1]])


def test_entropy_cost_and_minmax() -> None:
    X = np.array([[1.0, 10], [2, 20], [4, 25], [8, 30]])
    wc = entropy_weights(X, directions=[1, "cost"])
    # cost column reflected within its range: r = max + min − x
    Xr = X.copy()
    Xr[:, 1] = 40 - X[:, 1]
    np.testing.assert_allclose(wc, entropy_weights(Xr))
    wm = entropy_weights(X, transform="minmax")
    assert wm.sum() == pytest.approx(1.0)
    with pytest.raises(ScoringError, match="non-negative"):
        entropy_weights([[-1, 2], [3, 4]])
    with pytest.raises(ScoringError, match="transform"):
        entropy_weights(X, transform="zscore")


def test_entropy_nan_policy_raises() -> None:
    with pytest.raises(ScoringError, match=r"missing value.*row 1, column 0"):
        entropy_weights([[1, 2], [np.nan, 3], [2, 2]])
    with pytest.raises(ScoringError, match="directions"):
        entropy_weights(ENTROPY_X, directions=[1, 1])
    with pytest.raises(ScoringError, match="2-D"):
        entropy_weights([1, 2, 3])


def test_entropy_against_pymcdm_on_positive_data() -> None:
    pw = pytest.importorskip("pymcdm.weights")
    rng = np.random.default_rng(3)
    for _ in range(10):
        X = rng.uniform(1, 100, size=(rng.integers(3, 30), rng.integers(2, 8)))
        np.testing.assert_allclose(entropy_weights(X), pw.entropy_weights(X), atol=1e-12)


# ---------------------------------------------------------------- CRITIC


def test_critic_worked_example() -> None:
    np.testing.assert_allclose(
        critic_weights(CRITIC_X), [0.18751, 0.240022, 0.229576, 0.164235, 0.178656], atol=5e-7
    )


def test_critic_against_pymcdm() -> None:
    pw = pytest.importorskip("pymcdm.weights")
    rng = np.random.default_rng(4)
    for _ in range(10):
        X = rng.uniform(0, 100, size=(rng.integers(4, 30), rng.integers(2, 8)))
        np.testing.assert_allclose(critic_weights(X), pw.critic_weights(X), atol=1e-12)


def test_critic_cost_equals_reflected_benefit() -> None:
    rng = np.random.default_rng(5)
    X = rng.uniform(0, 10, (12, 4))
    Xr = X.copy()
    Xr[:, 2] = -X[:, 2]
    np.testing.assert_allclose(critic_weights(X, directions=[1, 1, -1, 1]), critic_weights(Xr))


def test_critic_constant_column_does_not_change_others() -> None:
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 10, (10, 3))
    Xc = np.column_stack([X, np.full(10, 7.0)])
    w = critic_weights(Xc)
    assert w[3] == 0
    np.testing.assert_allclose(w[:3], critic_weights(X))
    with pytest.raises(ScoringError, match="at least 3"):
        critic_weights([[1, 2], [2, 1]])


# ---------------------------------------------------------------- PCA


def test_pca_matches_manual_and_sklearn() -> None:
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(8)
    f = rng.normal(size=(60, 2))
    X = f @ rng.normal(size=(2, 6)) + 0.5 * rng.normal(size=(60, 6))
    p = PCAWeighter().fit(X)
    Z = StandardScaler().fit_transform(X)
    sk = PCA().fit(Z)
    ev = sk.explained_variance_ * (59 / 60)  # sklearn uses ddof=1 on ddof=0 z-scores
    keep = int((ev > 1).sum())
    np.testing.assert_allclose(p.eigenvalues_, ev[:keep], rtol=1e-8)
    for c in range(keep):
        v = sk.components_[c]
        v = v if v.sum() > 0 else -v
        np.testing.assert_allclose(p.components_[c], v, atol=1e-8)
    share = ev[:keep] / ev[:keep].sum()
    coef = np.abs(p.components_.T @ share)
    np.testing.assert_allclose(pca_weights(X), coef / coef.sum(), atol=1e-10)


def test_pca_constant_column_and_options() -> None:
    rng = np.random.default_rng(9)
    X = np.column_stack([rng.normal(size=(20, 3)), np.ones(20)])
    w = pca_weights(X)
    assert w[3] == 0 and w.sum() == pytest.approx(1)
    assert pca_weights(X, n_components=3).sum() == pytest.approx(1)
    with pytest.raises(ScoringError, match="n_components"):
        pca_weights(X, n_components=7)


# ---------------------------------------------------------------- combine


def test_combine() -> None:
    ws, wo = [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]
    np.testing.assert_allclose(combine_weights(ws, wo, alpha=0.7), [0.48, 0.27, 0.25])
    m = combine_weights(ws, wo, method="multiplicative")
    np.testing.assert_allclose(m, np.array([0.12, 0.06, 0.06]) / 0.24)
    with pytest.raises(WeightModelError, match="alpha"):
        combine_weights(ws, wo, alpha=1.5)
    with pytest.raises(WeightModelError, match="expected 3"):
        combine_weights(ws, [0.5, 0.5])
    with pytest.raises(WeightModelError, match="both vectors"):
        combine_weights([1, 0], [0, 1], method="multiplicative")
    with pytest.raises(WeightModelError, match="method"):
        combine_weights(ws, wo, method="max")


# ---------------------------------------------------------------- derived


def _drivers(n: int = 400, seed: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[:, 1] += 0.6 * X[:, 0]
    y = X @ np.array([1.0, 0.6, 0.3, -0.2]) + rng.normal(size=n)
    return X, y


def test_relative_weights_sum_to_r2_and_match_ols_for_orthogonal() -> None:
    X, y = _drivers()
    _eps, r2 = relative_weights(X, y)
    Z = (X - X.mean(0)) / X.std(0)
    zy = (y - y.mean()) / y.std()
    beta, *_ = np.linalg.lstsq(Z, zy, rcond=None)
    res = zy - Z @ beta
    assert r2 == pytest.approx(1 - res @ res / (zy @ zy), rel=1e-10)
    # orthogonal drivers: relative weight = squared correlation
    rng = np.random.default_rng(11)
    Q, _ = np.linalg.qr(rng.normal(size=(100, 3)))
    yo = Q @ [3.0, 2.0, 1.0] + 0.1 * rng.normal(size=100)
    eo, _ = relative_weights(Q, yo)
    r = [np.corrcoef(Q[:, j], yo)[0, 1] ** 2 for j in range(3)]
    np.testing.assert_allclose(eo, r, rtol=0.05)


def test_derived_importance_methods_and_nan_rows() -> None:
    X, y = _drivers()
    X[3, 2] = np.nan
    y[7] = np.nan
    for method in ("ridge", "relative", "correlation"):
        r = derived_importance(X, y, method=method)
        assert r.n == 398 and r.method == method
        assert (r.importances >= 0).all() and r.importances.sum() == pytest.approx(1)
        assert int(np.argmax(r.importances)) == 0
    ridge = derived_importance(X, y, method="ridge", alpha=0.0)
    assert ridge.importances[3] == 0 and 3 in ridge.clipped
    assert ridge.coefficients[3] < 0
    with pytest.raises(ScoringError, match="method"):
        derived_importance(X, y, method="lasso")
    with pytest.raises(ScoringError, match="rows"):
        derived_importance(X, y[:10])
    with pytest.raises(ScoringError, match="constant"):
        derived_importance(np.column_stack([X[:, 0], np.ones(len(y))]), y)


def test_ridge_alpha_matches_sklearn_on_standardised() -> None:
    from sklearn.linear_model import Ridge

    X, y = _drivers(seed=12)
    r = derived_importance(X, y, method="ridge", alpha=5.0)
    Z = (X - X.mean(0)) / X.std(0)
    zy = (y - y.mean()) / y.std()
    np.testing.assert_allclose(r.coefficients, Ridge(alpha=5.0).fit(Z, zy).coef_, atol=1e-10)


# ---------------------------------------------------------------- properties

matrices = arrays(
    np.float64,
    st.tuples(st.integers(3, 12), st.integers(2, 6)),
    elements=st.floats(0, 100, allow_nan=False, width=32),
)


def _varies(X: np.ndarray) -> bool:
    return bool((np.ptp(X, axis=0) > 1e-6).any())


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_objective_weights_are_a_distribution(X: np.ndarray) -> None:
    if not _varies(X):
        return
    for fn in (entropy_weights, critic_weights):
        try:
            w = fn(X)
        except ScoringError:
            continue
        assert (w >= 0).all() and w.sum() == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(matrices, st.floats(0, 100, allow_nan=False))
def test_constant_column_gets_zero_entropy_weight(X: np.ndarray, c: float) -> None:
    if not (X.sum(axis=0) > 0).any() or not _varies(X):
        return
    Xc = np.column_stack([X, np.full(X.shape[0], c)])
    try:
        w = entropy_weights(Xc)
    except ScoringError:
        return
    assert w[-1] == 0


def test_estimators_fit_returns_self() -> None:
    e = EntropyWeighter()
    assert e.fit(ENTROPY_X) is e
    np.testing.assert_allclose(e.weights_, entropy_weights(ENTROPY_X))
    c = CriticWeighter(directions=[1] * 5)
    np.testing.assert_allclose(c.fit(CRITIC_X).weights_, critic_weights(CRITIC_X))
