import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import grades as grades_mod
from scoring.errors import ScoringError
from scoring.grades import (
    DEFAULT_BANDS,
    display_value,
    display_values,
    grade_index,
    grade_probabilities,
)
from scoring.weight_model import WeightModel


def test_grade_index_agrees_with_the_weight_model():
    values = np.array([100.0, 90.0, 89.999, 80.0, 79.99, 60.0, 59.989, 0.0])
    model = WeightModel(name="x")
    labels = [b[0] for b in model.grade_bands]
    assert [labels[i] for i in grade_index(values, model.grade_bands)] == list(model.grades(values))


def test_worked_example_probabilities_and_borderline():
    # 10 replicates of 3 communities; the third is all NaN
    reps = np.column_stack(
        [
            np.array([88, 89, 90, 91, 92, 89.5, 90.5, 93, 87, 91.0]),  # 4 of 10 below 90
            np.full(10, 70.0),
            np.full(10, np.nan),
        ]
    )
    g = grade_probabilities(reps, [90.2, 70.0, np.nan])
    np.testing.assert_allclose(g.prob[0], [0.6, 0.4, 0.0, 0.0])
    np.testing.assert_allclose(g.prob[1], [0.0, 0.0, 1.0, 0.0])
    assert np.isnan(g.prob[2]).all()
    assert g.grade_label == ["优", "中", None]
    assert g.borderline.tolist() == [True, False, False]
    # brute force: count per replicate
    for c in range(2):
        counts = [0, 0, 0, 0]
        for x in reps[:, c]:
            counts[0 if x >= 90 else 1 if x >= 80 else 2 if x >= 60 else 3] += 1
        np.testing.assert_allclose(g.prob[c], np.array(counts) / 10)


def test_display_rule():
    assert display_value(59.989) == "59.99"
    assert display_value(59.9999) == "59.99"  # plain rounding would show 60.00 (中) for 差
    assert display_value(60.0) == "60.00"
    assert display_value(89.996, decimals=1) == "89.9"
    assert display_value(59.96, decimals=0) == "59"
    assert display_value(99.999, decimals=0) == "100"  # the top band has no upper edge
    assert display_values([np.nan, 1.234]) == [None, "1.23"]
    with pytest.raises(ScoringError, match="narrower"):
        display_value(60.005, [["a", 60.009], ["b", 60.001], ["c", None]], decimals=2)
    with pytest.raises(ScoringError, match="descending"):
        grade_index([1.0], [["a", 10], ["b", 20], ["c", None]])


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 100, allow_nan=False), st.integers(0, 3))
def test_display_never_contradicts_the_grade(value, decimals):
    shown = display_value(value, DEFAULT_BANDS, decimals=decimals)
    assert grade_index([float(shown)])[0] == grade_index([value])[0]
    assert abs(float(shown) - value) <= 10.0**-decimals + 1e-9
    assert len(shown.split(".")[1]) == decimals if decimals else "." not in shown


@settings(max_examples=50, deadline=None)
@given(st.floats(40, 99), st.floats(0.1, 5))
def test_probabilities_sum_to_one_and_borderline_matches_edges(centre, spread):
    reps = centre + spread * np.linspace(-2, 2, 41)[:, None] * np.ones((1, 2))
    g = grade_probabilities(reps, [centre, centre])
    np.testing.assert_allclose(g.prob.sum(axis=1), 1.0)
    edges = np.array([60.0, 80.0, 90.0])
    straddles = ((g.low[0] < edges) & (edges <= g.high[0])).any()
    assert g.borderline[0] == straddles


def test_doctests():
    assert doctest.testmod(grades_mod).failed == 0
