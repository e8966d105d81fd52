"""scoring/effects.py: worked example, OLS cross-check, bootstrap, properties, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.effects import (
    comparison_group,
    did_effect,
    did_point,
    effect_report,
    respondent_subscores,
)
from scoring.errors import ScoringError


def test_worked_example() -> None:
    # treated: 60 → 70 (+10); comparisons: 50 → 53 (+3) and 40 → 41 (+1); mean +2 → DiD 8
    treated = ([58.0, 62.0], [68.0, 72.0])
    comparisons = [([50.0, 50.0, 50.0], [53.0, 53.0, 53.0]), ([40.0], [41.0])]
    assert did_point(treated, comparisons) == pytest.approx(8.0)
    # NaN answers are left out, not counted as zero
    assert did_point(([58.0, np.nan, 62.0], [70.0]), [([50.0], [52.0])]) == pytest.approx(8.0)
    assert np.isnan(did_point(([], [70.0]), [([50.0], [52.0])]))
    assert np.isnan(did_point(([60.0], [70.0]), []))


def _ols_did(treated, comparisons) -> float:
    """Independent route: OLS of y on community and community×post dummies, then the contrast
    β_T − mean_k β_k of the post coefficients (a saturated model: cell means)."""
    cells = [treated, *comparisons]
    rows, y = [], []
    n = len(cells)
    for c, (before, after) in enumerate(cells):
        for post, values in ((0, before), (1, after)):
            for v in values:
                x = np.zeros(2 * n)
                x[c] = 1.0
                x[n + c] = post
                rows.append(x)
                y.append(v)
    beta = np.linalg.lstsq(np.array(rows), np.array(y), rcond=None)[0]
    post = beta[n:]
    return float(post[0] - post[1:].mean())


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4))
def test_point_estimate_equals_an_ols_interaction_contrast(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)

    def cell() -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(60, 15, rng.integers(2, 30)), rng.normal(63, 15, rng.integers(2, 30))

    treated, comparisons = cell(), [cell() for _ in range(k)]
    assert did_point(treated, comparisons) == pytest.approx(_ols_did(treated, comparisons))
    if k == 1:  # the textbook 2 × 2: y ~ 1 + T + post + T·post, the interaction coefficient
        rows, y = [], []
        for t, (b, a) in ((1, treated), (0, comparisons[0])):
            for post, values in ((0, b), (1, a)):
                rows += [[1, t, post, t * post]] * len(values)
                y += list(values)
        beta = np.linalg.lstsq(np.array(rows, float), np.array(y), rcond=None)[0]
        assert did_point(treated, comparisons) == pytest.approx(beta[3])


def _sample(seed: int, effect: float = 0.0):
    rng = np.random.default_rng(seed)
    treated = (rng.normal(60, 18, 200), rng.normal(60 + effect, 18, 200))
    comparisons = [(rng.normal(55, 18, 200), rng.normal(55, 18, 200)) for _ in range(4)]
    return treated, comparisons


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 1000), st.floats(-30, 30))
def test_shift_invariance_and_sign_flip(seed: int, c: float) -> None:
    treated, comps = _sample(seed)
    base = did_effect(treated, comps, n_boot=200, random_state=1)
    moved = did_effect(
        (treated[0] + c, treated[1] + c),
        [(b + c, a + c) for b, a in comps],
        n_boot=200,
        random_state=1,
    )
    assert moved.estimate == pytest.approx(base.estimate, abs=1e-9)
    assert moved.se == pytest.approx(base.se, rel=1e-9, abs=1e-9)
    # an extra c only in the treated after-wave moves the estimate and interval by c
    lifted = did_effect((treated[0], treated[1] + c), comps, n_boot=200, random_state=1)
    assert lifted.estimate == pytest.approx(base.estimate + c)
    assert lifted.ci_low == pytest.approx(base.ci_low + c)
    assert lifted.ci_high == pytest.approx(base.ci_high + c)
    flipped = did_effect(
        (-treated[0], -treated[1]), [(-b, -a) for b, a in comps], n_boot=200, random_state=1
    )
    assert flipped.estimate == pytest.approx(-base.estimate)
    assert flipped.ci_low == pytest.approx(-base.ci_high)
    assert flipped.ci_high == pytest.approx(-base.ci_low)


def test_bootstrap_se_matches_the_analytic_se_and_is_seeded() -> None:
    treated, comps = _sample(3, effect=5.0)
    e = did_effect(treated, comps, n_boot=2000, random_state=7)
    analytic = np.sqrt(
        sum(x.var(ddof=1) / x.size for x in treated)
        + sum(x.var(ddof=1) / x.size for b, a in comps for x in (b, a)) / len(comps) ** 2
    )
    assert e.se == pytest.approx(analytic, rel=0.1)
    assert e.ci_low < e.estimate < e.ci_high
    again = did_effect(treated, comps, n_boot=2000, random_state=7)
    assert (again.ci_low, again.ci_high) == (e.ci_low, e.ci_high)


def test_heterogeneity_widens_only_when_comparison_changes_disagree() -> None:
    rng = np.random.default_rng(0)
    treated = (rng.normal(60, 10, 300), rng.normal(60, 10, 300))
    spread = [(rng.normal(60, 10, 300), rng.normal(60 + d, 10, 300)) for d in (-8, -3, 3, 8)]
    plain = did_effect(treated, spread, n_boot=300)
    wide = did_effect(treated, spread, n_boot=300, heterogeneity=True)
    assert wide.heterogeneity > 3 and wide.se > 2 * plain.se


def test_labels_come_from_the_change_rule() -> None:
    big = did_effect(*_sample(1, effect=12.0), n_boot=300)
    null = did_effect(*_sample(2, effect=0.0), n_boot=300)
    small = did_effect(([60.0] * 10, [80.0] * 10), [([50.0] * 40, [50.0] * 40)], n_boot=100)
    report = effect_report([big, null, small])
    assert report.label.tolist() == ["up", "flat", "undetermined"]
    assert str(report.reason[2]) == "small_sample"


def test_comparison_group_prefers_the_street_and_skips_treated() -> None:
    street = [0, 0, 0, 0, 1, 1, 1]
    housing = ["a", "a", "b", "a", "a", "a", "b"]
    eligible = [True, False, True, True, True, True, True]
    group, basis = comparison_group(0, street, housing, eligible, min_size=2)
    assert basis == "street" and group.tolist() == [2, 3]
    group, basis = comparison_group(0, street, housing, eligible, min_size=3)
    assert basis == "housing_type" and group.tolist() == [3, 4, 5]
    assert comparison_group(0, [0, 1], ["a", "b"], [True, False])[1] == "none"
    with pytest.raises(ScoringError):
        comparison_group(7, street, housing, eligible)


def test_respondent_scores_and_bad_input() -> None:
    got = respondent_subscores(
        [[5, 3, 9], [1, -1, 4]], [5, 5, 4], [False, True, False], [0, 0, 1], 2
    )
    assert got[0].tolist() == pytest.approx([75.0, np.nan], nan_ok=True)
    assert got[1].tolist() == pytest.approx([0.0, 100.0])
    with pytest.raises(ScoringError, match="n_boot"):
        did_effect(([1.0], [2.0]), [([1.0], [1.0])], n_boot=10)
    with pytest.raises(ScoringError, match="level"):
        did_effect(([1.0], [2.0]), [([1.0], [1.0])], level=1.5)
