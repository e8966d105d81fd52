"""Rank comparison of two weight models: shifts, scipy's correlations, suppressed rows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from scoring.compare import compare_rankings, compare_results
from scoring.data import SurveyData
from scoring.errors import ScoringError
from scoring.framework import Framework, default_framework_dict
from scoring.pipeline import score_wave
from scoring.weight_model import builtin_model


def test_shifts_and_correlations_match_scipy_on_the_communities_ranked_under_both() -> None:
    rng = np.random.default_rng(3)
    a = rng.permutation(20).astype(float) + 1
    b = a.copy()
    b[[2, 7]] = b[[7, 2]]
    b[[4, 11]] = b[[11, 4]]
    b[5] = np.nan  # suppressed under model b
    r = compare_rankings([f"C{i}" for i in range(20)], a, b)
    ok = ~np.isnan(b)
    assert r.n_compared == 19
    assert r.spearman == pytest.approx(stats.spearmanr(a[ok], b[ok]).statistic, abs=1e-15)
    assert r.kendall == pytest.approx(stats.kendalltau(a[ok], b[ok]).statistic, abs=1e-15)
    np.testing.assert_array_equal(r.shift[ok], (b - a)[ok])
    assert np.isnan(r.shift[5])
    rows = r.to_dict()["communities"]
    assert rows[5] == {
        "code": "C5",
        "rank_a": int(a[5]),
        "rank_b": None,
        "shift": None,
        "score_a": None,
        "score_b": None,
        "score_delta": None,
    }


def test_identical_rankings_correlate_perfectly_and_degenerate_ones_give_nan() -> None:
    same = compare_rankings(["A", "B", "C"], np.array([1.0, 2, 3]), np.array([1.0, 2, 3]))
    assert same.spearman == pytest.approx(1.0) and same.max_abs_shift == 0
    two = compare_rankings(["A", "B"], np.array([1.0, 2]), np.array([2.0, 1]))
    assert np.isnan(two.spearman) and two.to_dict()["spearman"] is None
    tied = compare_rankings(["A", "B", "C"], np.array([1.0, 1, 1]), np.array([1.0, 2, 3]))
    assert np.isnan(tied.kendall)
    with pytest.raises(ScoringError, match="shape"):
        compare_rankings(["A"], np.array([1.0, 2]), np.array([1.0, 2]))


def test_compare_results_matches_communities_by_code() -> None:
    fw = Framework.from_dict(default_framework_dict())
    rng = np.random.default_rng(0)
    X = rng.integers(1, 6, size=(200, 36)).astype(float)
    data = SurveyData(X, fw.item_codes, np.repeat(np.arange(5), 40), tuple("ABCDE"))
    a = score_wave(data, fw, builtin_model("equal"), bootstrap=0, diagnostics=False)
    b = score_wave(data, fw, builtin_model("expert-v0"), bootstrap=0, diagnostics=False)
    r = compare_results(a, b)
    np.testing.assert_array_equal(r.shift, b.rank - a.rank)
    np.testing.assert_array_equal(r.score_b - r.score_a, b.index - a.index)
