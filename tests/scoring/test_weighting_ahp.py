"""AHP: worked examples, validation messages, RI tables, AHPy cross-check, properties."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring.weighting.ahp as ahp_mod
from scoring.errors import InconsistentJudgementsError, WeightModelError
from scoring.weighting import (
    RI_TABLES,
    ahp_column_average,
    ahp_weights,
    group_ahp,
    random_index,
)

A3 = np.array([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]])
A4 = np.array([[1, 3, 5, 7], [1 / 3, 1, 3, 5], [1 / 5, 1 / 3, 1, 3], [1 / 7, 1 / 5, 1 / 3, 1]])
EXPERT_V0 = np.array(
    [
        [1, 1 / 2, 1 / 2, 1, 1, 1],
        [2, 1, 1, 2, 1, 1],
        [2, 1, 1, 2, 1, 1],
        [1, 1 / 2, 1 / 2, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
    ]
)


def test_doctests() -> None:
    assert doctest.testmod(ahp_mod).failed == 0


def test_worked_example_consistent() -> None:
    r = ahp_weights(A3)
    np.testing.assert_allclose(r.weights, [4 / 7, 2 / 7, 1 / 7], atol=1e-10)
    assert r.lambda_max == pytest.approx(3.0, abs=1e-9)
    assert r.cr == pytest.approx(0.0, abs=1e-9)
    assert r.ri == 0.58 and r.ri_table == "saaty" and r.method == "eigenvector"


def test_worked_example_4x4() -> None:
    r = ahp_weights(A4)
    np.testing.assert_allclose(r.weights, [0.5650, 0.2622, 0.1175, 0.0553], atol=5e-5)
    assert r.lambda_max == pytest.approx(4.117, abs=5e-4)
    assert r.ci == pytest.approx(0.0390, abs=5e-5)
    assert r.cr == pytest.approx(0.0433, abs=5e-5)
    assert r.ri == 0.90
    assert r.to_dict()["ri_table"] == "saaty"


def test_expert_v0_from_domain() -> None:
    r = ahp_weights(EXPERT_V0)
    np.testing.assert_allclose(r.weights, [0.130, 0.206, 0.206, 0.130, 0.164, 0.164], atol=5e-4)
    assert r.lambda_max == pytest.approx(6.1072, abs=5e-5)
    assert r.cr == pytest.approx(0.0173, abs=5e-5)


def test_inconsistent_raises_naming_judgement() -> None:
    bad = np.array([[1, 3, 1 / 5], [1 / 3, 1, 5], [5, 1 / 5, 1]])
    with pytest.raises(InconsistentJudgementsError, match=r"a\[safety, green\]|a\[.*\]") as ei:
        ahp_weights(bad, labels=["safety", "clean", "green"])
    msg = str(ei.value)
    assert "CR =" in msg and "accept_inconsistent" in msg
    r = ahp_weights(bad, accept_inconsistent=True)
    assert not r.consistent and r.cr >= 0.1
    assert r.most_inconsistent is not None
    i, j, val, sug = r.most_inconsistent
    assert i < j and val == pytest.approx(np.asarray(bad)[i, j])
    assert sug in ahp_mod.SAATY_SCALE


def test_most_inconsistent_finds_the_planted_error() -> None:
    w = np.array([0.4, 0.3, 0.2, 0.1])
    A = w[:, None] / w[None, :]
    A[0, 3], A[3, 0] = 1 / 4, 4  # planted: should be 4
    r = ahp_weights(A, accept_inconsistent=True)
    assert r.most_inconsistent is not None
    assert r.most_inconsistent[:2] == (0, 3)


@pytest.mark.parametrize(
    ("matrix", "pattern"),
    [
        ([[1, 2], [1 / 2]], "numeric|square"),
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([[1, -2], [-0.5, 1]], r"a\[0, 1\] = -2 must be a positive"),
        ([[1, 2], [2, 1]], r"not reciprocal: a\[0, 1\] = 2 but a\[1, 0\] = 2"),
        ([[2, 2], [0.5, 1]], r"diagonal a\[0, 0\]"),
        ([[1, np.nan], [1, 1]], "positive number"),
    ],
)
def test_validation_messages(matrix: object, pattern: str) -> None:
    with pytest.raises(WeightModelError, match=pattern):
        ahp_weights(matrix)


def test_reciprocal_tolerance_accepts_rounded_thirds() -> None:
    r = ahp_weights([[1, 3, 1], [0.33, 1, 0.33], [1, 3, 1]])
    assert r.weights.sum() == pytest.approx(1.0)


def test_options_validated() -> None:
    with pytest.raises(WeightModelError, match="unknown RI table"):
        ahp_weights(A3, ri_table="nope")
    with pytest.raises(WeightModelError, match="max_cr"):
        ahp_weights(A3, max_cr=0)
    with pytest.raises(WeightModelError, match=r"covers n = 1\.\.15"):
        random_index(16, "saaty")


def test_ri_tables() -> None:
    assert random_index(3) == 0.58 and random_index(12) == 1.48
    assert random_index(4, "saaty2005") == 0.89
    assert random_index(21, "donegan_dodd") == pytest.approx(1.5371 + (1.5619 - 1.5371) / 5)
    for name, tab in RI_TABLES.items():
        assert tab[1] == 0 and tab[2] == 0, name
        vals = [tab[n] for n in range(3, 16)]
        assert all(0.4 < v < 1.7 for v in vals), name


def test_small_matrices() -> None:
    r1 = ahp_weights([[1]])
    assert r1.weights.tolist() == [1.0] and r1.cr == 0
    r2 = ahp_weights([[1, 3], [1 / 3, 1]])
    np.testing.assert_allclose(r2.weights, [0.75, 0.25])
    assert r2.cr == 0 and r2.most_inconsistent is None


def test_column_average_differs_on_inconsistent() -> None:
    A = np.array([[1, 5, 1 / 3], [1 / 5, 1, 1 / 2], [3, 2, 1]])
    e = ahp_weights(A, accept_inconsistent=True)
    c = ahp_column_average(A, accept_inconsistent=True)
    assert c.method == "column_average"
    assert np.abs(e.weights - c.weights).max() > 0.005
    np.testing.assert_allclose(ahp_column_average(A3).weights, ahp_weights(A3).weights)


def test_group_ahp_geometric_mean() -> None:
    a = np.array(A3)
    b = np.array([[1, 4, 2], [1 / 4, 1, 1 / 2], [1 / 2, 2, 1]])
    g = group_ahp([a, b])
    G = np.sqrt(a * b)
    np.testing.assert_allclose(g.weights, ahp_weights(G).weights)
    g2 = group_ahp([a, b], weights=[3, 1])
    np.testing.assert_allclose(g2.weights, ahp_weights(a**0.75 * b**0.25).weights)
    with pytest.raises(WeightModelError, match="expert 1"):
        group_ahp([a, np.array([[1, 2], [2, 1]])])
    with pytest.raises(WeightModelError, match="differ in size"):
        group_ahp([a, np.array([[1, 2], [0.5, 1]])])
    with pytest.raises(WeightModelError, match="at least one"):
        group_ahp([])


def _ahpy_compare(A: np.ndarray):
    ahpy = pytest.importorskip("ahpy")
    names = [f"c{i}" for i in range(A.shape[0])]
    comps = {
        (names[i], names[j]): float(A[i, j])
        for i, j in itertools.combinations(range(A.shape[0]), 2)
    }
    return ahpy.Compare("x", comps, precision=6, random_index="dd"), names


@pytest.mark.parametrize("noise", [0.0, 0.15])
def test_against_ahpy(noise: float) -> None:
    rng = np.random.default_rng(7)
    w = rng.dirichlet(np.ones(5))
    A = w[:, None] / w[None, :]
    if noise:
        iu = np.triu_indices(5, 1)
        A[iu] *= np.exp(rng.normal(0, noise, len(iu[0])))
        A[(iu[1], iu[0])] = 1 / A[iu]
    comp, names = _ahpy_compare(A)
    ours = ahp_weights(A, ri_table="donegan_dodd", accept_inconsistent=True)
    theirs = np.array([comp.local_weights[n] for n in names])
    np.testing.assert_allclose(ours.weights, theirs, atol=2e-6)
    assert ours.cr == pytest.approx(comp.consistency_ratio, abs=2e-6)
    if noise:
        assert ours.cr > 0.001


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=2, max_size=9))
def test_consistent_matrix_recovers_weights(raw: list[float]) -> None:
    w = np.array(raw) / sum(raw)
    A = w[:, None] / w[None, :]
    r = ahp_weights(A)
    np.testing.assert_allclose(r.weights, w, atol=1e-9)
    assert r.cr == pytest.approx(0.0, abs=1e-9)
    assert (r.weights >= 0).all() and r.weights.sum() == pytest.approx(1.0)
