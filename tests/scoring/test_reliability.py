"""Reliability: worked example, pingouin / factor_analyzer cross-checks, NaN policy."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import scoring.reliability as rel_mod
from scoring.errors import ScoringError
from scoring.reliability import (
    alpha_if_deleted,
    bartlett_sphericity,
    cronbach_alpha,
    item_total_correlations,
    kmo,
    mcdonald_omega,
    one_factor_loadings,
    reliability_report,
)

X10 = np.array(
    [
        [5, 4, 5, 4],
        [4, 4, 4, 3],
        [3, 3, 4, 3],
        [2, 2, 3, 2],
        [5, 5, 5, 5],
        [4, 3, 4, 4],
        [3, 2, 3, 3],
        [1, 2, 2, 1],
        [4, 4, 5, 4],
        [2, 3, 2, 2],
    ],
    dtype=float,
)


def _likert(n: int, k: int, seed: int, loading: float = 0.7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    z = loading * f + np.sqrt(1 - loading**2) * rng.normal(size=(n, k))
    return np.clip(np.round(3 + 1.2 * z), 1, 5)


def test_doctests() -> None:
    assert doctest.testmod(rel_mod).failed == 0


def test_worked_example() -> None:
    a = cronbach_alpha(X10)
    assert a.alpha == pytest.approx(0.9621, abs=5e-5)
    assert (a.n, a.k) == (10, 4)
    assert a.ci_low < a.alpha < a.ci_high
    overall, per_item = kmo(X10)
    assert overall == pytest.approx(0.8474, abs=5e-5)
    assert per_item.shape == (4,)
    chi2, df, p = bartlett_sphericity(X10)
    assert chi2 == pytest.approx(37.8227, abs=5e-5) and df == 6 and p < 1e-5


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_alpha_against_pingouin() -> None:
    pd = pytest.importorskip("pandas")
    pg = pytest.importorskip("pingouin")
    for seed in range(5):
        X = _likert(80 + 10 * seed, 3 + seed, seed)
        ours = cronbach_alpha(X)
        a, ci = pg.cronbach_alpha(pd.DataFrame(X))
        assert ours.alpha == pytest.approx(a, abs=1e-12)
        np.testing.assert_allclose([ours.ci_low, ours.ci_high], ci, atol=6e-4)
    # pairwise NaN policy (pingouin's default)
    X = _likert(120, 5, 42)
    rng = np.random.default_rng(1)
    X[rng.random(X.shape) < 0.1] = np.nan
    a_pw, _ = pg.cronbach_alpha(pd.DataFrame(X), nan_policy="pairwise")
    assert cronbach_alpha(X, nan_policy="pairwise").alpha == pytest.approx(a_pw, abs=1e-12)
    a_lw, _ = pg.cronbach_alpha(pd.DataFrame(X), nan_policy="listwise")
    lw = cronbach_alpha(X)
    assert lw.alpha == pytest.approx(a_lw, abs=1e-12)
    assert lw.n == int((~np.isnan(X).any(axis=1)).sum())


def test_kmo_bartlett_against_factor_analyzer() -> None:
    fa = pytest.importorskip("factor_analyzer.factor_analyzer")
    for seed in range(5):
        X = _likert(100, 4 + seed, 10 + seed)
        per, overall = fa.calculate_kmo(X)
        o, p = kmo(X)
        assert o == pytest.approx(overall, abs=1e-10)
        np.testing.assert_allclose(p, per, atol=1e-10)
        chi2, pval = fa.calculate_bartlett_sphericity(X)
        c, _df, pv = bartlett_sphericity(X)
        assert c == pytest.approx(chi2, rel=1e-10) and pv == pytest.approx(pval, rel=1e-8)


def test_item_total_and_alpha_if_deleted_definitions() -> None:
    itc = item_total_correlations(X10)
    for j in range(4):
        rest = np.delete(X10, j, axis=1).sum(axis=1)
        assert itc[j] == pytest.approx(np.corrcoef(X10[:, j], rest)[0, 1])
    aid = alpha_if_deleted(X10)
    for j in range(4):
        assert aid[j] == pytest.approx(cronbach_alpha(np.delete(X10, j, axis=1)).alpha)
    assert np.isnan(alpha_if_deleted(X10[:, :2])).all()


def test_omega_one_factor() -> None:
    X = _likert(3000, 6, 3, loading=0.8)
    lam = one_factor_loadings(X)
    assert (lam > 0.5).all()
    # loadings reproduce the off-diagonal correlations (ULS fit)
    R = np.corrcoef(X, rowvar=False)
    off = ~np.eye(6, dtype=bool)
    assert np.abs((np.outer(lam, lam) - R)[off]).max() < 0.05
    om = mcdonald_omega(X)
    assert cronbach_alpha(X).alpha - 0.02 < om < 1


def test_errors_and_nan_policy() -> None:
    with pytest.raises(ScoringError, match="at least 2 items"):
        cronbach_alpha(X10[:, :1])
    X = X10.copy()
    X[:8, 0] = np.nan
    with pytest.raises(ScoringError, match="only 2 respondents"):
        cronbach_alpha(X)
    with pytest.raises(ScoringError, match="nan_policy"):
        cronbach_alpha(X10, nan_policy="drop")
    with pytest.raises(ScoringError, match="zero variance"):
        kmo(np.column_stack([X10, np.ones(10)]))


def test_reliability_report() -> None:
    rng = np.random.default_rng(0)
    Xa = _likert(200, 4, 5)
    Xb = _likert(200, 3, 6)
    rev = 6 - Xb[:, 2]  # stored raw, reverse-keyed
    X = np.column_stack([Xa, Xb[:, :2], rev, rng.integers(1, 6, 200)])
    codes = ["a1", "a2", "a3", "a4", "b1", "b2", "b3r", "c1"]
    rep = reliability_report(
        X, codes, {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2", "b3r"], "C": ["c1"]},
        reverse={"b3r"},
    )  # fmt: skip
    assert rep["A"].alpha == pytest.approx(cronbach_alpha(Xa).alpha)
    assert rep["B"].alpha == pytest.approx(cronbach_alpha(Xb).alpha)
    assert rep["B"].item_total["b3r"] > 0.3
    assert np.isnan(rep["C"].alpha) and rep["C"].notes
    d = rep["A"].to_dict()
    assert d["n"] == 200 and set(d["kmo_per_item"]) == {"a1", "a2", "a3", "a4"}
    assert rep["C"].to_dict()["alpha"] is None
    with pytest.raises(ScoringError, match="unknown item codes"):
        reliability_report(X, codes, {"A": ["zz"]})
