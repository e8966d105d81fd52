"""Issue 12, point 9: a response is valid only when at least ``min_valid_share`` of the index
items are answered (don't-know is not an answer); the provenance counts who the rule drops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring.data import SurveyData
from scoring.errors import WeightModelError
from scoring.framework import Framework, default_framework_dict
from scoring.pipeline import score_wave
from scoring.stages.screening import screen, valid_responses
from scoring.weight_model import WeightModel, builtin_model
from tests.support.scoring_synth import wave

FW = Framework.from_dict(default_framework_dict())


def test_worked_example() -> None:
    # 4 items: 2 answered = 0.5 → valid at 0.5; 1 answered → not; at 0.75 only 3+ answered.
    nan = np.nan
    A = np.array([[1, 2, nan, nan], [1, nan, nan, nan], [1, 2, 3, nan], [nan] * 4])
    assert valid_responses(A, 0.5).tolist() == [True, False, True, False]
    assert valid_responses(A, 0.75).tolist() == [False, False, True, False]
    assert valid_responses(A, 0.0).all()  # the rule off keeps even an empty response
    with pytest.raises(Exception, match="min_valid_share"):
        valid_responses(A, 1.5)


@settings(max_examples=40, deadline=None)
@given(
    answered=arrays(np.bool_, st.tuples(st.integers(1, 30), st.integers(1, 12))),
    share=st.floats(0.0, 1.0),
)
def test_dropped_count_is_the_respondents_below_the_share(answered, share) -> None:
    _n, p = answered.shape
    A = np.where(answered, 3.0, np.nan)
    keep = valid_responses(A, share)
    below = answered.sum(axis=1) / p < share - 1e-9
    assert keep.tolist() == (~below).tolist()
    assert int((~keep).sum()) == int(below.sum())


def _data_with_sparse_rows(seed: int = 0) -> tuple[SurveyData, np.ndarray]:
    _fw, data, _ = wave(m=4, per=50, seed=seed)
    rng = np.random.default_rng(seed)
    X = data.X.copy()
    answered = rng.integers(0, 37, data.n)  # how many of the 36 index items each answers
    for i, k in enumerate(answered):
        X[i, rng.permutation(36)[k:]] = np.nan
    # the wave already has some don't-know: count what each row really answered
    answered = (~np.isnan(X[:, :36])).sum(axis=1)
    return SurveyData(X, data.codes, data.group_index, data.group_codes), answered


def test_screen_counts_and_drops() -> None:
    data, answered = _data_with_sparse_rows()
    out = screen(data, FW, None, min_valid_share=0.5)
    assert out.validity == {
        "min_valid_share": 0.5,
        "respondents_below_valid_share": int((answered < 18).sum()),
    }
    assert out.data.n == int((answered >= 18).sum())
    assert screen(data, FW, None).data.n == data.n  # rule off when not asked for


def test_policy_exclusions_are_not_counted_twice() -> None:
    data, answered = _data_with_sparse_rows(1)
    from scoring.quality import QualityFlags

    flagged = np.zeros(data.n, dtype=bool)
    flagged[:20] = True  # the policy drops the first 20 rows, valid or not
    out = screen(data, FW, "default", QualityFlags(speeder=flagged), min_valid_share=0.5)
    below = answered < 18
    assert out.validity["respondents_below_valid_share"] == int((below & ~flagged).sum())
    assert out.data.n == int((~below & ~flagged).sum())


def test_pipeline_provenance_and_n() -> None:
    data, answered = _data_with_sparse_rows(2)
    res = score_wave(data, FW, builtin_model("equal"), bootstrap=0, diagnostics=False)
    cov = res.provenance["coverage"]
    assert cov["min_valid_share"] == 0.5
    assert cov["respondents_below_valid_share"] == int((answered < 18).sum())
    assert "cells_excluded" in cov  # beside the item coverage counts
    assert res.provenance["n_scored"] == int((answered >= 18).sum())
    lax = WeightModel(name="lax", min_valid_share=0.0)
    res0 = score_wave(data, FW, lax, bootstrap=0, diagnostics=False)
    assert res0.provenance["coverage"]["respondents_below_valid_share"] == 0
    assert res0.provenance["n_scored"] == data.n


def test_model_field_round_trip_default_and_validation() -> None:
    m = WeightModel(name="v", min_valid_share=0.6)
    assert m.to_dict()["min_valid_share"] == 0.6
    assert WeightModel.from_dict(m.to_dict()) == m
    old = builtin_model("equal").to_dict()
    del old["min_valid_share"]  # a model stored before the field existed
    assert WeightModel.from_dict(old).min_valid_share == 0.5
    for bad in (-0.1, 1.2):
        with pytest.raises(WeightModelError, match="min_valid_share"):
            WeightModel(name="v", min_valid_share=bad).validate(FW)
