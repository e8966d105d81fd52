import numpy as np
import pytest

from scoring.survey_weights import kish, rake


def _sample(m=5, per=200, seed=0):
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(m), per)
    # Over-sample young women so the weights have work to do.
    p = np.array([4, 4, 2, 2, 1, 1, 1, 1, 1, 1], float)
    strata = rng.choice(10, size=m * per, p=p / p.sum())
    margins = rng.uniform(50, 150, size=(m, 10))
    return group, strata, margins


def test_raking_reproduces_both_marginals():
    group, strata, margins = _sample()
    r = rake(group, strata, margins, (5, 2), trim=None, tol=1e-10, max_iter=500)
    assert r.converged.all()
    m = margins.shape[0]
    for g in range(m):
        rows = group == g
        w = r.weights[rows]
        assert w.mean() == pytest.approx(1.0)
        cells = np.bincount(strata[rows], w, minlength=10).reshape(5, 2)
        pop = margins[g].reshape(5, 2)
        assert np.allclose(cells.sum(1) / w.sum(), pop.sum(1) / pop.sum(), atol=1e-8)
        assert np.allclose(cells.sum(0) / w.sum(), pop.sum(0) / pop.sum(), atol=1e-8)


def test_one_variable_is_post_stratification():
    group, strata, margins = _sample(m=3)
    r = rake(group, strata, margins, trim=None)
    for g in range(3):
        rows = group == g
        cells = np.bincount(strata[rows], r.weights[rows], minlength=10)
        assert np.allclose(cells / cells.sum(), margins[g] / margins[g].sum())


def test_trimming_bounds_and_reports():
    group, strata, margins = _sample(seed=4)
    margins[:, 9] *= 30  # a rare cell with a large population: extreme weights
    r = rake(group, strata, margins, (5, 2), trim=(0.3, 3.0))
    for g in range(margins.shape[0]):
        w = r.weights[group == g]
        assert w.max() <= 3.0 * w.mean() * (1 + 1e-6)
        assert w.min() >= 0.3 * w.mean() * (1 - 1e-6)
    assert r.trimmed.sum() > 0


def test_uncovered_unknown_and_missing_margins():
    group = np.array([0, 0, 0, 0, 1, 1, 1])
    strata = np.array([0, 0, 1, -1, 0, 1, 1])
    margins = np.array([[10.0, 10.0, 80.0], [0.0, 0.0, 0.0]])  # cell 2 has nobody
    r = rake(group, strata, margins, trim=None)
    assert r.uncovered_categories.tolist() == [1, 0]
    assert r.weights[3] == 1.0  # unknown cell: not raked, mean weight
    assert np.allclose(r.weights[4:], 1.0)  # no margins: unweighted
    assert r.weights[0] == pytest.approx(0.75) and r.weights[2] == pytest.approx(1.5)


def test_matches_per_community_raking():
    group, strata, margins = _sample(m=4, seed=2)
    together = rake(group, strata, margins, (5, 2)).weights
    for g in range(4):
        rows = group == g
        alone = rake(np.zeros(rows.sum(), int), strata[rows], margins[g : g + 1], (5, 2)).weights
        assert np.allclose(alone, together[rows])


def test_kish_formula_and_scale_invariance():
    rng = np.random.default_rng(1)
    w = rng.uniform(0.3, 3, 50)
    g = np.repeat([0, 1], 25)
    deff, n_eff = kish(w, g, 2)
    for k in range(2):
        wk = w[g == k]
        assert deff[k] == pytest.approx(25 * (wk**2).sum() / wk.sum() ** 2)
        assert n_eff[k] == pytest.approx(wk.sum() ** 2 / (wk**2).sum())
    assert np.allclose(kish(7 * w, g, 2)[0], deff)


def test_unreachable_margins_are_reported():
    group, strata, margins = _sample(seed=4)
    margins[:, 9] *= 30
    r = rake(group, strata, margins, (5, 2), trim=(0.3, 3.0))
    assert not r.converged.all() and (r.max_error > 1e-3).any()


def test_base_weights_survive_without_margins():
    group = np.array([0, 0, 1, 1])
    r = rake(
        group,
        np.zeros(4, int),
        np.array([[1.0], [0.0]]),
        base_weights=np.array([1.0, 3.0, 1.0, 3.0]),
    )
    assert r.weights[2:].tolist() == [0.5, 1.5]  # community 1: base weights, mean 1
    assert r.weights[:2].tolist() == [0.5, 1.5]  # one cell: raking keeps relative base weights
