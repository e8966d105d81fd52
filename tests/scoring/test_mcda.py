"""TOPSIS, grey relational analysis and fuzzy comprehensive evaluation."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scoring.mcda as mcda_mod
from scoring.errors import ScoringError
from scoring.mcda import (
    RELATIVE_NOTE,
    fuzzy_evaluation,
    fuzzy_membership,
    grey_relational_analysis,
    topsis,
)

XT = [[78.2, 65.0, 81.5], [70.1, 72.3, 69.8], [85.4, 60.2, 75.0], [66.0, 80.1, 71.2]]
R4 = [[0.5, 0.3, 0.2, 0], [0.2, 0.4, 0.3, 0.1], [0.1, 0.3, 0.5, 0.1], [0, 0.2, 0.4, 0.4]]


def test_doctests() -> None:
    assert doctest.testmod(mcda_mod).failed == 0


def test_topsis_worked_example() -> None:
    r = topsis(XT, [0.5, 0.3, 0.2])
    np.testing.assert_allclose(r.closeness, [0.5256, 0.3449, 0.5975, 0.3938], atol=5e-5)
    assert "relative to the current set" in r.relative_to and r.relative_to == RELATIVE_NOTE
    assert r.d_plus is not None and r.d_minus is not None
    np.testing.assert_allclose(r.closeness, r.d_minus / (r.d_plus + r.d_minus))


@pytest.mark.filterwarnings("ignore:Alternatives with indices:UserWarning")
@pytest.mark.parametrize("norm", ["vector", "minmax", "max", "sum"])
def test_topsis_against_pymcdm(norm: str) -> None:
    methods = pytest.importorskip("pymcdm.methods")
    nz = pytest.importorskip("pymcdm.normalizations")
    fn = {
        "vector": nz.vector_normalization,
        "minmax": nz.minmax_normalization,
        "max": nz.max_normalization,
        "sum": nz.sum_normalization,
    }[norm]
    rng = np.random.default_rng(1)
    for _ in range(8):
        m, n = rng.integers(3, 25), rng.integers(2, 7)
        X = rng.uniform(1, 100, (m, n))
        w = rng.dirichlet(np.ones(n))
        types = np.ones(n, dtype=int)
        if norm in ("vector", "minmax"):
            types[rng.random(n) < 0.4] = -1  # pymcdm's cost handling is a reflection here
        theirs = methods.TOPSIS(fn)(X, w, types)
        ours = topsis(X, w, directions=types, normalisation=norm).closeness
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_topsis_batch_matches_loop() -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(50, 100, (30, 6))
    W = rng.dirichlet(np.ones(6), size=50)
    batch = topsis(X, W, directions=[1, 1, -1, 1, 1, 1], distances=False)
    assert batch.closeness.shape == (50, 30) and batch.d_plus is None
    for k in (0, 17, 49):
        one = topsis(X, W[k], directions=[1, 1, -1, 1, 1, 1]).closeness
        np.testing.assert_allclose(batch.closeness[k], one, atol=1e-12)
    # unnormalised weight rows give the same closeness
    np.testing.assert_allclose(topsis(X, W * 7).closeness, topsis(X, W).closeness)


def test_topsis_errors() -> None:
    with pytest.raises(ScoringError, match="shape"):
        topsis(XT, [0.5, 0.5])
    with pytest.raises(ScoringError, match="non-negative"):
        topsis(XT, [0.5, -0.3, 0.8])
    with pytest.raises(ScoringError, match="missing"):
        topsis([[1, np.nan], [2, 3]], [0.5, 0.5])
    with pytest.raises(ScoringError, match="normalisation"):
        topsis(XT, [1, 1, 1], normalisation="zscore")
    with pytest.raises(ScoringError, match="minmax"):
        topsis([[-1, 2], [3, 4]], [1, 1])
    r = topsis([[1, 1], [1, 1]], [0.5, 0.5])
    assert np.isnan(r.closeness).all()


pos_matrices = arrays(
    np.float64,
    st.tuples(st.integers(2, 10), st.integers(1, 5)),
    elements=st.floats(1, 100, allow_nan=False, width=32),
)


@settings(max_examples=60, deadline=None)
@given(pos_matrices, st.data())
def test_topsis_closeness_bounded_and_monotone(X: np.ndarray, data: st.DataObject) -> None:
    n = X.shape[1]
    w = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    c = topsis(X, w).closeness
    ok = ~np.isnan(c)
    assert ((c[ok] >= -1e-12) & (c[ok] <= 1 + 1e-12)).all()
    # raising a community's value on a benefit criterion never lowers its closeness
    X2 = X.copy()
    X2[0, 0] *= 1.5
    c2 = topsis(X2, w).closeness
    if ok[0] and not np.isnan(c2[0]):
        assert c2[0] >= c[0] - 1e-9


def test_grey_relational_analysis() -> None:
    X = np.array(XT)
    w = np.array([0.5, 0.3, 0.2])
    g = grey_relational_analysis(X, w)
    Y = (X - X.min(0)) / (X.max(0) - X.min(0))
    D = np.abs(1 - Y)
    xi = (D.min() + 0.5 * D.max()) / (D + 0.5 * D.max())
    np.testing.assert_allclose(g.coefficients, xi)
    np.testing.assert_allclose(g.grades, xi @ w)
    assert g.rho == 0.5 and "relative" in g.relative_to
    gb = grey_relational_analysis(X, np.vstack([w, [0.2, 0.3, 0.5]]))
    assert gb.grades.shape == (2, 4)
    np.testing.assert_allclose(gb.grades[0], g.grades)
    gc = grey_relational_analysis(X, w, directions=[1, -1, 1])
    assert not np.allclose(gc.grades, g.grades)
    gn = grey_relational_analysis(Y, w, normalisation="none")
    np.testing.assert_allclose(gn.grades, g.grades)
    with pytest.raises(ScoringError, match="rho"):
        grey_relational_analysis(X, w, rho=0)


def test_fuzzy_worked_example() -> None:
    r = fuzzy_evaluation([0.4, 0.3, 0.2, 0.1], R4, [95, 80, 65, 50])
    np.testing.assert_allclose(r.B, [0.28, 0.32, 0.31, 0.09], atol=1e-12)
    assert r.score == pytest.approx(76.85)
    assert r.grade_index == 1
    mm = fuzzy_evaluation([0.4, 0.3, 0.2, 0.1], R4, operator="min_max")
    raw = np.array([0.4, 0.3, 0.3, 0.1])
    np.testing.assert_allclose(mm.B, raw / raw.sum())
    assert mm.score is None


def test_fuzzy_batch_and_membership() -> None:
    rng = np.random.default_rng(3)
    n, k = 200, 4
    X = rng.integers(1, 6, (n, k)).astype(float)
    X[rng.random((n, k)) < 0.1] = np.nan
    g = rng.integers(0, 3, n)
    R = fuzzy_membership(X, group=g, n_groups=4)
    assert R.shape == (4, k, 5)
    assert np.isnan(R[3]).all()
    np.testing.assert_allclose(R[:3].sum(axis=-1), 1.0)
    # direct count for community 1, item 2, answer 5 (best first → column 0)
    sel = (g == 1) & ~np.isnan(X[:, 2])
    assert R[1, 2, 0] == pytest.approx((X[sel, 2] == 5).mean())
    res = fuzzy_evaluation([0.25] * 4, R[:3], [100, 75, 50, 25, 0])
    assert res.B.shape == (3, 5)
    assert isinstance(res.score, np.ndarray) and res.score.shape == (3,)
    one = fuzzy_evaluation([0.25] * 4, R[1], [100, 75, 50, 25, 0])
    assert one.score == pytest.approx(res.score[1])
    Rr = fuzzy_membership(X, reverse_mask=[False, True, False, False], best_first=False)
    Rp = fuzzy_membership(X, best_first=False)
    np.testing.assert_allclose(Rr[1], Rp[1][::-1])
    w = rng.uniform(0.5, 2, n)
    Rw = fuzzy_membership(X, sample_weight=w)
    sel = ~np.isnan(X[:, 0])
    assert Rw[0, 0] == pytest.approx(w[sel & (X[:, 0] == 5)].sum() / w[sel].sum())
    with pytest.raises(ScoringError, match=r"integers 1\.\.5"):
        fuzzy_membership([[0, 1]])
    with pytest.raises(ScoringError, match="missing memberships"):
        fuzzy_evaluation([0.25] * 4, R)
    with pytest.raises(ScoringError, match="shape"):
        fuzzy_evaluation([0.5, 0.5], R4)
