"""Issue 12, point 7: the wave's priorities come from the within-community importance with
intervals (``scoring.importance``) and quadrants only where the gaps are clear.

Worked examples (hand-checkable), the fast cluster bootstrap against ``driver_importance``,
the stored shape, and a seeded simulation: with equal true importances and unequal don't-know
rates the new priorities do not single out a sub-dimension, where the old rule did.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import priorities as pri_mod
from scoring.aggregate import TreeSpec, item_stats
from scoring.data import SurveyData
from scoring.diagnostics import respondent_subscores, row_mean, subdimension_se
from scoring.errors import ScoringError
from scoring.framework import Framework, default_framework_dict
from scoring.importance import driver_importance, ipa_quadrants
from scoring.pipeline import score_wave
from scoring.priorities import clustered_importance
from scoring.weight_model import builtin_model
from scoring.weighting import derived_importance
from tests.support.scoring_synth import wave

FW = Framework.from_dict(default_framework_dict())
SUBS = list(FW.subdimension_codes)


def test_doctests() -> None:
    assert doctest.testmod(pri_mod).failed == 0


def _clustered_data(seed: int, m: int = 25, k: int = 3):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 40, m)
    g = np.repeat(np.arange(m), sizes)
    n = g.size
    X = rng.normal(size=(n, k)) + 3 * rng.normal(size=(m, k))[g]
    y = X @ np.linspace(1.0, 0.3, k) + rng.normal(size=n) + 5 * rng.normal(size=m)[g]
    X[rng.random((n, k)) < np.linspace(0.02, 0.3, k)] = np.nan
    y[rng.random(n) < 0.05] = np.nan
    return X, y, g


@pytest.mark.parametrize("method", ["relative", "shapley"])
def test_fast_bootstrap_reproduces_driver_importance(method: str) -> None:
    # Same draws, same estimator: per-community moments only change the arithmetic.
    X, y, g = _clustered_data(7)
    a = clustered_importance(X, y, g, method=method, B=60, random_state=11)
    b = driver_importance(X, y, g, method=method, B=60, random_state=11)
    assert np.allclose(a.importance, b.importance, atol=1e-12)
    assert np.allclose(a.n_pairs, b.n_pairs) and a.psd_adjusted == b.psd_adjusted
    assert a.r2 == pytest.approx(b.r2, abs=1e-12)
    assert np.allclose(a.replicates, b.replicates, atol=1e-9, equal_nan=True)
    for f in ("importance_low", "importance_high", "raw_low", "raw_high"):
        assert np.allclose(getattr(a, f), getattr(b, f), atol=1e-9), f


def test_fast_bootstrap_refuses_as_driver_importance_does() -> None:
    X, y, g = _clustered_data(2)
    X[:, 1] = g  # constant within every community: no within variation
    for fn in (clustered_importance, driver_importance):
        with pytest.raises(ScoringError, match="undefined"):
            fn(X, y, g, B=10, random_state=0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 4))
def test_fast_bootstrap_property(seed: int, k: int) -> None:
    X, y, g = _clustered_data(seed, m=12, k=k)
    a = clustered_importance(X, y, g, B=20, random_state=seed)
    b = driver_importance(X, y, g, B=20, random_state=seed)
    assert np.allclose(a.replicates, b.replicates, atol=1e-8, equal_nan=True)
    ok = np.isfinite(a.replicates[:, 0])
    assert np.allclose(a.replicates[ok].sum(axis=1), 1.0, atol=1e-9)


def test_complete_subscores_need_every_item() -> None:
    S = np.full((2, FW.n_items), 50.0)
    first = np.flatnonzero(FW.sub_of_item == 0)
    S[0, first[0]] = np.nan  # one item of D1a not answered
    S[1, first] = [0.0, 100.0][: first.size] + [50.0] * (first.size - 2)
    mean = respondent_subscores(S, FW)
    complete = respondent_subscores(S, FW, complete=True)
    assert mean[0, 0] == pytest.approx(50.0) and np.isnan(complete[0, 0])
    assert complete[1, 0] == pytest.approx(np.mean(S[1, first]))
    assert np.allclose(complete[:, 1:], 50.0)


def test_subdimension_se_worked_example() -> None:
    # One community, one sub-dimension of two items; respondents' 0–100 scores
    # [[0, 50], [50, 100], [100, —]]: item means 50 (W = 3) and 75 (W = 2), sub = 62.5,
    # gradient (½, ½). Influences z_i = Σ_j ½ (y_ij − ȳ_j) / W_j:
    # z = (−50/6 − 25/4, 0 + 25/4, 50/6) = (−14.5833, 6.25, 8.3333);
    # SE² = 3/2 · Σ z² = 1.5 · 321.18 = 481.77, SE = 21.949.
    S = np.array([[0.0, 50.0], [50.0, 100.0], [100.0, np.nan]])
    group = np.zeros(3, dtype=np.intp)
    st_ = item_stats(S, np.ones(3), group, 1)

    class TwoItems:  # the two attributes of a framework the first tree level uses
        sub_of_item = np.array([0, 0])

    spec_2 = TreeSpec(
        item_w=np.ones(2),
        sub_w=np.ones(1),
        dim_w=np.ones(1),
        geo_sub=np.array([False]),
        geo_dim=np.array([False]),
        geo_overall=False,
    )
    sub = np.array([[62.5]])
    se = subdimension_se(S, np.ones(3), group, st_, st_.mean, TwoItems, spec_2, sub)  # type: ignore[arg-type]
    z = np.array([-50 / 6 - 25 / 4, 25 / 4, 50 / 6])
    assert se[0, 0] == pytest.approx(np.sqrt(1.5 * (z**2).sum()), rel=1e-12)
    assert se[0, 0] == pytest.approx(21.949, abs=1e-3)


@pytest.fixture(scope="module")
def scored():
    fw, data, _ = wave(m=10, per=80, seed=5)
    res = score_wave(data, fw, builtin_model("equal"), bootstrap=0, random_state=2)
    return fw, data, res


def test_stored_shape_and_the_rule(scored) -> None:
    fw, _data, res = scored
    district = res.priorities
    assert district is not None and "error" not in district
    assert district["estimator"] == "within_relative_weights"
    assert district["performance_cut"] is None  # readers know the per-sub-dimension cuts
    assert sum(district["importance"].values()) == pytest.approx(1.0)
    for c in fw.subdimension_codes:
        lo, hi = district["importance_low"][c], district["importance_high"][c]
        assert lo <= hi
        side = 1 if lo > 1 / 18 else -1 if hi < 1 / 18 else 0
        assert district["importance_side"][c] == side
    published = ~res.suppressed
    cuts = np.nanmedian(res.sub_score[published], axis=0)
    assert np.allclose([district["performance_cuts"][c] for c in fw.subdimension_codes], cuts)


def test_quadrants_follow_the_gaps_and_intervals(scored) -> None:
    fw, _data, res = scored
    district = res.priorities
    z = 1.6448536269514722  # 90 %
    for i, row in enumerate(res.community_priorities):
        if row is None:
            continue
        for c in fw.subdimension_codes:
            gap, se = row["gaps"][c], row["performance_se"][c]
            side = district["importance_side"][c]
            clear = 1 if gap - z * se > 0 else -1 if gap + z * se < 0 else 0
            expected = {
                (1, -1): "priority",
                (1, 1): "maintain",
                (-1, -1): "low_priority",
                (-1, 1): "possible_overkill",
            }.get((side, clear), "undetermined")
            assert row["quadrants"][c] == expected
        assert row["improve_first"] == sorted(
            (c for c in fw.subdimension_codes if row["quadrants"][c] == "priority"),
            key=lambda c: row["gaps"][c],
        )
        assert set(row["keep_up"]) == {
            c for c in fw.subdimension_codes if row["quadrants"][c] == "maintain"
        }
        j = 0
        assert row["gaps"][SUBS[j]] == pytest.approx(
            res.sub_score[i, j] - district["performance_cuts"][SUBS[j]]
        )


def test_worked_quadrants_from_stored_figures() -> None:
    # The docstring example of ipa_quadrants, as the diagnostics call it: cut = median per
    # column (70, 70), gap ± 1.645·2 must exclude 0, importance [0.6, 0.8] > ½ and [0.1, 0.3] < ½.
    P = np.array([[50.0, 80.0], [70.0, 70.0], [90.0, 60.0]])
    r = ipa_quadrants(P, np.full((3, 2), 2.0), [0.6, 0.1], [0.8, 0.3])
    assert r.cut.tolist() == [70.0, 70.0]
    assert r.quadrant[1].tolist() == ["undetermined", "undetermined"]  # gap 0: not clear
    r = ipa_quadrants(P, np.full((3, 2), 12.5), [0.6, 0.1], [0.8, 0.3])
    assert (r.quadrant == "undetermined").all()  # 20-point gaps within 1.645·12.5 = 20.6


# -- simulation: equal true importances, unequal don't-know rates ----------------------------


def _district(seed: int, m: int = 30, per: int = 80) -> SurveyData:
    """Every sub-dimension matters equally for the outcome (y = mean of the 18 true
    sub-dimension scores); D4c's items are 'don't know' 25 % of the time, D6a's 2 %."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(m), per)
    n = g.size
    T = rng.normal(0, 0.4, (m, 18))[g] + rng.normal(0, 0.7, n)[:, None]
    T += rng.normal(0, 0.7, (n, 18))
    lat = T[:, FW.sub_of_item] + rng.normal(0, 0.8, (n, 36))
    X = np.clip(np.round(3 + lat), 1, 5)
    X[:, FW.reverse] = 6 - X[:, FW.reverse]
    dk = np.full(36, 0.06)
    dk[FW.sub_of_item == SUBS.index("D4c")] = 0.25
    dk[FW.sub_of_item == SUBS.index("D6a")] = 0.02
    X[rng.random((n, 36)) < dk] = np.nan
    outcomes = np.clip(
        np.round(6 + 2.5 * T.mean(axis=1)[:, None] + rng.normal(0, 0.8, (n, 3))), 1, 10
    )
    codes = (*FW.item_codes, "O1", "O2", "O3")
    return SurveyData(np.hstack([X, outcomes]), codes, g, tuple(f"C{i}" for i in range(m)))


def _old_rule_high(data: SurveyData) -> np.ndarray:
    """The rule before issue 12: pooled Pearson r, listwise, high when ≥ the mean."""
    X = data.X[:, :36]
    S = (np.where(FW.reverse, 6 - X, X) - 1) * 25
    sub = respondent_subscores(S, FW)
    y = row_mean((data.X[:, 36:] - 1) / 9 * 100)
    ok = ~np.isnan(sub).any(axis=1) & ~np.isnan(y)
    imp = derived_importance(sub[ok], y[ok], method="correlation").importances
    return np.asarray(imp >= imp.mean())


def test_equal_importances_with_unequal_dont_know_are_not_told_apart() -> None:
    hi_dk, lo_dk = SUBS.index("D4c"), SUBS.index("D6a")
    sides, importances, old = [], [], []
    for seed in range(12):
        data = _district(seed)
        res = score_wave(data, FW, builtin_model("equal"), bootstrap=0, fingerprint=False)
        p = res.priorities
        assert p is not None and "error" not in p
        sides.append([p["importance_side"][c] for c in SUBS])
        importances.append([p["importance"][c] for c in SUBS])
        old.append(_old_rule_high(data))
    sides_a, imp, old_a = np.array(sides), np.array(importances), np.array(old)
    # The old rule calls the low-DK sub-dimension "high importance" almost always and the
    # high-DK one never: it measured don't-know rates.
    assert old_a[:, lo_dk].mean() >= 0.75 and old_a[:, hi_dk].mean() <= 0.1
    # New: neither is singled out; sides are mostly undetermined, the means are ≈ 1/18.
    for j in (hi_dk, lo_dk):
        assert (sides_a[:, j] != 0).mean() <= 0.25
        assert imp[:, j].mean() == pytest.approx(1 / 18, abs=0.004)
    assert (sides_a[:, hi_dk] == 1).mean() <= 0.1
    assert abs(imp[:, hi_dk].mean() - imp[:, lo_dk].mean()) < 0.005
