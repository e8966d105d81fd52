"""Coverage rules of item means (scoring/coverage.py) and their effect on the index."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring.aggregate import aggregate_tree
from scoring.coverage import item_coverage
from scoring.errors import ScoringError
from scoring.pipeline import score_wave
from scoring.weight_model import WeightModel, builtin_model
from tests.support.scoring_synth import wave


def test_worked_example() -> None:
    cov = item_coverage([[40, 9, 19], [12, 12, 5]], [40, 12], min_n=10, min_share=0.5)
    assert cov.excluded.tolist() == [[False, True, True], [False, False, True]]
    assert cov.below_min_n.tolist() == [[False, True, False], [False, False, True]]
    assert cov.below_share.tolist() == [[False, True, True], [False, False, True]]
    assert cov.summary() == {
        "min_item_n": 10,
        "min_item_share": 0.5,
        "cells_excluded": 3,
        "cells_below_min_n": 2,
        "cells_below_share": 3,
    }
    with pytest.raises(ScoringError, match="communities, items"):
        item_coverage([1, 2], [3])
    with pytest.raises(ScoringError, match="min_share"):
        item_coverage([[1]], [1], min_share=1.5)


@settings(max_examples=60, deadline=None)
@given(
    n=arrays(np.int64, (4, 5), elements=st.integers(0, 200)),
    extra=arrays(np.int64, (4,), elements=st.integers(0, 50)),
    min_n=st.integers(0, 40),
    share=st.floats(0, 1),
)
def test_excluded_exactly_when_a_rule_fails(
    n: np.ndarray, extra: np.ndarray, min_n: int, share: float
) -> None:
    base = n.max(axis=1) + extra  # at least as many respondents as any item's answers
    cov = item_coverage(n, base, min_n=min_n, min_share=share)
    for c in range(4):
        for j in range(5):
            fails = n[c, j] < min_n or n[c, j] < share * base[c]
            assert cov.excluded[c, j] == fails
    stricter = item_coverage(n, base, min_n=min_n + 5, min_share=share)
    assert (stricter.excluded >= cov.excluded).all()  # monotone in the thresholds


def test_an_item_answered_by_few_leaves_the_index_but_keeps_its_figures() -> None:
    """Item 0 answered by 2 of 60 in community 0: the index is the tree without it (the
    sub-dimension renormalises over its other items), in the point estimate and in every
    bootstrap replicate; other communities are untouched."""
    fw, data, _ = wave(m=6, per=60, seed=3, missing=0.0)
    rows = np.flatnonzero(data.group_index == 0)
    data.X[rows[2:], 0] = np.nan
    model = builtin_model("equal")
    res = score_wave(data, fw, model, bootstrap=0, diagnostics=False, node_se="linearised")
    assert res.item_n[0, 0] == 2 and np.isfinite(res.item_score[0, 0])  # still shown
    means = res.item_score.copy()
    means[0, 0] = np.nan
    expected = aggregate_tree(means, fw, model.tree_spec(fw, np.full(6, 1 / 6))).overall
    assert np.allclose(res.index, expected, atol=1e-9)
    with_item = aggregate_tree(res.item_score, fw, model.tree_spec(fw, np.full(6, 1 / 6)))
    assert abs(with_item.overall[0] - res.index[0]) > 1e-6  # the rule changed something
    assert np.allclose(with_item.overall[1:], res.index[1:], atol=1e-9)
    assert res.provenance["coverage"]["cells_excluded"] == 1
    assert res.provenance["coverage"]["cells_below_min_n"] == 1
    boot = score_wave(data, fw, model, bootstrap=200, diagnostics=False)
    assert np.allclose(boot.index, res.index, atol=1e-9)
    assert np.isfinite(boot.se).all()
    # switched off by the model, the item enters again
    lax = WeightModel.from_dict({**model.to_dict(), "min_item_n": 0, "min_item_share": 0.0})
    off = score_wave(data, fw, lax, bootstrap=0, diagnostics=False, node_se="linearised")
    assert np.allclose(off.index, with_item.overall, atol=1e-9)
