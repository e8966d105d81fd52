"""The column-wise batch validator agrees with validate_answers, row by row, on random rows."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.errors import AnswerValidationError, FieldProblem
from survey.questionnaire.batch_validation import column_of, validate_columns, validate_rows
from survey.questionnaire.model import Questionnaire, load_default
from tests.support.factories import complete_answers


def _t(zh: str) -> dict[str, str]:
    return {"zh": zh, "en": zh.upper()}


def logic_definition() -> dict[str, Any]:
    """Every kind of item, skip logic chained over three levels, constraints reading others."""
    default = load_default().to_dict()
    yes_no = [{"value": "yes", "label": _t("是")}, {"value": "no", "label": _t("否")}]
    return {
        "slug": "logic", "version": 1, "title": _t("逻辑"), "notice": _t("说明"),
        "scales": copy.deepcopy(default["scales"]),
        "dimensions": [{"code": "D1", "label": _t("一"),
                        "subdimensions": [{"code": "D1a", "label": _t("甲")}]}],
        "sections": [{"code": "s", "title": _t("页")}],
        "items": [
            {"code": "adult", "kind": "single_choice", "section": "s", "label": _t("成年"),
             "options": yes_no, "constraint": ". = 'yes'"},
            {"code": "car", "kind": "single_choice", "section": "s", "label": _t("车"),
             "options": yes_no, "relevant": "${adult} = 'yes'"},
            {"code": "L1", "kind": "likert", "section": "s", "label": _t("题一"),
             "scale": "agree5", "subdimension": "D1a"},
            {"code": "L2", "kind": "likert", "section": "s", "label": _t("停车"),
             "scale": "agree5", "subdimension": "D1a", "relevant": "${car} = 'yes'"},
            {"code": "kids", "kind": "numeric", "section": "s", "label": _t("孩子"),
             "min": 0, "max": 5},
            {"code": "kids_ok", "kind": "rating", "section": "s", "label": _t("托育"),
             "low": 0, "high": 10, "low_label": _t("差"), "high_label": _t("好"),
             "relevant": "${kids} > 0 and ${L2} >= 2"},
            {"code": "pick", "kind": "multi_choice", "section": "s", "label": _t("选"),
             "max_choices": 2, "required": False,
             "options": [{"value": v, "label": _t(v)} for v in ("a", "b", "c")]},
            {"code": "why", "kind": "text", "section": "s", "label": _t("为什么"),
             "max_length": 6, "relevant": "selected(${pick}, 'b')"},
            {"code": "height", "kind": "numeric", "section": "s", "label": _t("身高"),
             "integer": False, "min": 0.5, "max": 2.5, "required": False},
            {"code": "age", "kind": "numeric", "section": "s", "label": _t("年龄"),
             "required": False, "constraint": ". >= 18 and . > ${kids}",
             "constraint_message": {"zh": "年龄不对", "en": "Age is wrong"}},
        ],
    }  # fmt: skip


LOGIC = Questionnaire.model_validate(logic_definition())

# Values that hit every branch of the per-kind checks: right, wrong type, out of range, empty.
WEIRD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.sampled_from([0.5, 1.0, 2.0, 4.5, 1e9]),
    st.sampled_from(["", " ", "yes", "no", "a", "b", "3", "x" * 8, "bad\x01", "  ok "]),
    st.lists(st.sampled_from(["a", "b", "c", "z", 1]), max_size=4),
)


def _value_strategy(q: Questionnaire, code: str) -> st.SearchStrategy[Any]:
    item = q.item(code)
    if item.kind == "likert":
        good: st.SearchStrategy[Any] = st.sampled_from([1, 2, 3, 4, 5, 9])
    elif item.kind == "rating":
        good = st.integers(item.low, item.high)
    elif item.kind == "single_choice":
        good = st.sampled_from([o.value for o in item.options])
    elif item.kind == "multi_choice":
        options = [o.value for o in item.options]
        good = st.lists(st.sampled_from(options), max_size=3, unique=True)
    elif item.kind == "numeric":
        good = st.one_of(st.integers(-1, 40), st.floats(0, 3, allow_nan=False))
    else:
        good = st.text(max_size=8)
    return st.one_of(good, good, good, WEIRD)


def _rows(q: Questionnaire) -> st.SearchStrategy[list[dict[str, Any]]]:
    row = st.fixed_dictionaries({}, optional={i.code: _value_strategy(q, i.code) for i in q.items})
    return st.lists(row, min_size=1, max_size=12)


def _expected(q: Questionnaire, row: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Any]]:
    try:
        return q.validate_answers(row), []
    except AnswerValidationError as exc:
        return None, exc.problems


def _assert_agrees(q: Questionnaire, rows: list[dict[str, Any]]) -> None:
    result = validate_rows(q, rows)
    for i, row in enumerate(rows):
        cleaned, problems = _expected(q, row)
        assert result.problems.get(i, []) == problems, row
        assert bool(result.valid[i]) == (cleaned is not None)
        if cleaned is not None:
            answers = result.answers(i)
            assert answers == cleaned and list(answers) == list(cleaned), row


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(LOGIC))
def test_agrees_with_validate_answers_on_a_questionnaire_full_of_logic(
    rows: list[dict[str, Any]],
) -> None:
    _assert_agrees(LOGIC, rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(load_default()), likert=st.sampled_from([1, 4, 9]))
def test_agrees_with_validate_answers_on_the_default_questionnaire(
    rows: list[dict[str, Any]], likert: int
) -> None:
    # Random rows are nearly always invalid; mix in complete ones with a few random changes.
    q = load_default()
    mixed = [
        dict(complete_answers(q, likert=likert), **r) if k % 2 else r for k, r in enumerate(rows)
    ]
    _assert_agrees(q, mixed)


def test_a_complete_batch_is_valid_and_keeps_every_answer() -> None:
    q = load_default()
    rows = [complete_answers(q, likert=v) for v in (1, 2, 3, 4, 5, 9)]
    result = validate_rows(q, rows)
    assert result.valid.all() and not result.problems
    assert [result.answers(i) for i in range(6)] == rows
    assert result.answered_counts().tolist() == [len(r) for r in rows]


def test_problems_name_row_field_and_message() -> None:
    q = load_default()
    good = complete_answers(q)
    rows = [good, dict(good, **{"D1.1": 7}), {k: v for k, v in good.items() if k != "O1"}]
    result = validate_rows(q, rows)
    assert result.valid.tolist() == [True, False, False]
    assert [p.field for p in result.problems[1]] == ["D1.1"]
    assert "from 1 to 5" in result.problems[1][0].message
    assert result.problems[2] == [
        FieldProblem("O1", "this question is required", "此题为必答题,请作答")
    ]


def test_hidden_answers_are_dropped_and_their_problems_with_them() -> None:
    rows = [{"adult": "yes", "car": "no", "L1": 3, "L2": 99, "kids": 0}]
    result = validate_rows(LOGIC, rows)
    assert result.valid.tolist() == [True]
    assert result.answers(0) == {"adult": "yes", "car": "no", "L1": 3, "kids": 0}


def test_one_and_true_and_one_point_zero_are_kept_apart() -> None:
    column = column_of([1, True, 1.0, [1], (1,), None])
    assert len(column.values) == 6
    result = validate_columns(LOGIC, {"L1": column}, 6)
    l1 = [result.kept["L1"][i] for i in range(6)]
    assert l1 == [True, False, False, False, False, False]


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(KeyError, match="Z9"):
        validate_rows(LOGIC, [{"Z9": 1}])
    with pytest.raises(KeyError, match="Z9"):
        validate_columns(LOGIC, {"Z9": column_of([1])}, 1)


def test_columns_share_distinct_values_across_rows() -> None:
    # The index arrays are what the importer builds; one distinct value serves many rows.
    column = column_of([4] * 1000 + [6] * 1000)
    assert column.values == [4, 6]
    result = validate_columns(LOGIC, {"L1": column}, 2000)
    assert np.array_equal(result.kept["L1"], np.arange(2000) < 1000)
