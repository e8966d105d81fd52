"""Server-side answer validation: types, ranges, required items, skip logic."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.errors import AnswerValidationError, FieldProblem
from survey.questionnaire.model import Questionnaire, load_default
from survey.questionnaire.validation import validate_answers, validate_partial
from tests.support.questionnaires import small_definition


@pytest.fixture(scope="module")
def small() -> Questionnaire:
    return Questionnaire.model_validate(small_definition())


def _problems(q: Questionnaire, answers: Any, *, partial: bool = False) -> dict[str, FieldProblem]:
    check = validate_partial if partial else validate_answers
    with pytest.raises(AnswerValidationError) as info:
        check(q, answers)
    return {p.field: p for p in info.value.problems}


def full_default_answers() -> dict[str, Any]:
    q = load_default()
    answers: dict[str, Any] = {"age_18_plus": "yes", "age_band": "45-59"}
    for item in q.main_items():
        answers[item.code] = 4
    answers["D2.5"] = 9
    answers.update({"O1": 8, "O2": 7, "O3": 6, "R1": 5, "R2": 0, "R3": 3, "R4": 4})
    answers["P1"] = ["D2a", "D6b"]
    answers["P2"] = "希望解决停车难"
    answers.update(
        {
            "gender": "female",
            "residence_years": "10-plus",
            "tenure": "own",
            "housing_type": "old_estate",
            "household_elderly": "yes",
            "household_children": "no",
            "participation": "1-2",
            "mode": "online",
        }
    )
    return answers


def test_default_full_answers_accepted() -> None:
    q = load_default()
    answers = full_default_answers()
    cleaned = validate_answers(q, answers)
    assert cleaned == answers
    assert list(cleaned) == [c for c in (i.code for i in q.items) if c in answers]
    assert q.validate_answers(cleaned) == cleaned


def test_default_optional_items_may_be_missing() -> None:
    answers = full_default_answers()
    for code in ("P2", "grid", "mode"):
        answers.pop(code, None)
    assert "P2" not in validate_answers(load_default(), answers)


def test_default_gate_refuses_minors() -> None:
    answers = full_default_answers() | {"age_18_plus": "no"}
    problems = _problems(load_default(), answers)
    assert set(problems) == {"age_18_plus"}
    assert "18" in problems["age_18_plus"].message
    assert problems["age_18_plus"].message_zh == "本调查仅面向年满18周岁的居民,感谢您的关注。"


def test_default_missing_required() -> None:
    answers = full_default_answers()
    del answers["D3.3"], answers["O1"], answers["P1"]
    problems = _problems(load_default(), answers)
    assert set(problems) == {"D3.3", "O1", "P1"}
    assert problems["O1"].message == "this question is required"
    assert problems["O1"].message_zh


@pytest.mark.parametrize(
    ("code", "value", "fragment"),
    [
        ("D1.1", True, "not true/false"),
        ("D1.1", "4", "not the text '4'"),
        ("D1.1", 4.0, "not the decimal 4.0"),
        ("D1.1", 6, "from 1 to 5, or 9 for don't know; got 6"),
        ("D1.1", 0, "got 0"),
        ("D1.1", [4], "takes one answer, not a list of 1"),
        ("O1", 0, "from 1 to 10, got 0"),
        ("O1", 11, "from 1 to 10"),
        ("R2", -1, "from 0 to 10"),
        ("O1", 9.5, "decimal"),
        ("gender", "男", "not an option; choose one of male, female"),
        ("gender", 1, "not int"),
        ("gender", ["male"], "takes one answer, not a list"),
        ("P1", ["D2a", "D2a"], "only once"),
        ("P1", ["D1a", "D2a", "D3a", "D4a"], "at most 3 options, got 4"),
        ("P1", ["parking"], "not an option: 'parking'"),
        ("P1", "D2a", "must be a list"),
        ("P1", [1, 2], "must be a list"),
        ("P2", "很" * 501, "501 characters long; at most 500"),
        ("P2", 12, "must be text"),
        ("P2", "a\x00b", "control characters"),
    ],
)
def test_wrong_values(code: str, value: Any, fragment: str) -> None:
    answers = full_default_answers() | {code: value}
    problems = _problems(load_default(), answers)
    assert set(problems) == {code}
    assert fragment in problems[code].message
    assert problems[code].message_zh


def test_unknown_codes_and_non_mapping() -> None:
    q = load_default()
    problems = _problems(q, full_default_answers() | {"D9.9": 3, "name": "张三"})
    assert set(problems) == {"D9.9", "name"}
    assert "unknown question code 'D9.9'" in problems["D9.9"].message
    for bad in (None, [], "answers", 3):
        assert set(_problems(q, bad)) == {"answers"}
    assert set(_problems(q, {1: 2} | full_default_answers())) == {"1"}


def test_na_code_and_text_cleaning() -> None:
    q = load_default()
    answers = full_default_answers() | {"D1.1": 9, "P2": "  需要加装电梯 \n", "grid": "   "}
    cleaned = validate_answers(q, answers)
    assert cleaned["D1.1"] == 9
    assert cleaned["P2"] == "需要加装电梯"
    assert "grid" not in cleaned
    assert validate_answers(q, answers | {"P2": None, "grid": None})["P1"] == ["D2a", "D6b"]


def base_small() -> dict[str, Any]:
    return {"car": "yes", "D1.1": 3, "D1.2": 2, "kids": 1, "kids_ok": 7}


def test_hidden_items_are_dropped_not_refused(small: Questionnaire) -> None:
    assert validate_answers(small, base_small()) == base_small()
    hidden = base_small() | {"car": "no", "D1.2": "rubbish", "kids": 0, "kids_ok": 99}
    cleaned = validate_answers(small, hidden)
    assert cleaned == {"car": "no", "D1.1": 3, "kids": 0}
    # a hidden required item may be missing
    assert validate_answers(small, {"car": "no", "D1.1": 3, "kids": 0}) == cleaned


def test_visible_required_items_are_required(small: Questionnaire) -> None:
    problems = _problems(small, {"car": "yes", "D1.1": 3, "kids": 2})
    assert set(problems) == {"D1.2", "kids_ok"}
    problems = _problems(small, base_small() | {"pick": ["a"]})
    assert set(problems) == {"why"}
    assert validate_answers(small, base_small() | {"pick": [], "why": "x"}) == base_small()


def test_bad_answer_does_not_cascade(small: Questionnaire) -> None:
    problems = _problems(small, {"car": "maybe", "D1.1": 3, "kids": 0})
    assert set(problems) == {"car"}


def test_numeric_items(small: Questionnaire) -> None:
    ok = validate_answers(small, base_small() | {"height": 1.72, "age": 40})
    assert ok["height"] == 1.72 and ok["age"] == 40
    assert validate_answers(small, base_small() | {"height": 2})["height"] == 2
    for value, fragment in [
        (3.0, "at most 2.5"),
        (0.1, "at least 0.5"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("1.7", "must be a number"),
        (False, "must be a number"),
    ]:
        assert fragment in _problems(small, base_small() | {"height": value})["height"].message
    assert "whole number" in _problems(small, base_small() | {"kids": 1.5})["kids"].message
    assert "at most 10" in _problems(small, base_small() | {"kids": 11})["kids"].message


def test_constraint_message(small: Questionnaire) -> None:
    problem = _problems(small, base_small() | {"age": 12})["age"]
    assert problem.message == "Age must be 18 to 120"
    assert problem.message_zh == "年龄须在18到120之间"
    with pytest.raises(AnswerValidationError) as info:
        validate_answers(small, base_small() | {"age": 12})
    assert "age: Age must be 18 to 120" in str(info.value)


def test_validate_partial(small: Questionnaire) -> None:
    assert validate_partial(small, {}) == {}
    draft = {"car": "no", "D1.2": 5, "why": "  hi "}
    assert validate_partial(small, draft) == {"car": "no", "D1.2": 5, "why": "hi"}
    assert small.validate_partial({"D1.1": 9}) == {"D1.1": 9}
    assert set(_problems(small, {"D1.1": 7, "zzz": 1}, partial=True)) == {"D1.1", "zzz"}
    assert set(_problems(small, {"age": 3}, partial=True)) == {"age"}


# -- properties -------------------------------------------------------------------------------


def _valid_values(q: Questionnaire, code: str) -> st.SearchStrategy[Any]:
    item = q.item(code)
    if item.constraint == ". = 'yes'":
        return st.just("yes")
    if item.kind == "likert":
        return st.sampled_from(sorted(q.scale(item.scale).allowed_values()))
    if item.kind == "rating":
        return st.integers(item.low, item.high)
    if item.kind == "single_choice":
        return st.sampled_from([o.value for o in item.options])
    if item.kind == "multi_choice":
        values = [o.value for o in item.options]
        return st.lists(st.sampled_from(values), min_size=1, max_size=item.max_choices, unique=True)
    if item.kind == "numeric":
        if item.constraint:
            return st.integers(18, 120)
        if item.integer:
            return st.integers(int(item.min), int(item.max))  # type: ignore[arg-type]
        return st.floats(item.min, item.max)
    return st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
        min_size=1,
        max_size=item.max_length,
    )


def _invalid_values(q: Questionnaire, code: str) -> st.SearchStrategy[Any]:
    item = q.item(code)
    wrong_types = st.one_of(
        st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.none())
    )
    if item.kind in ("likert", "rating", "numeric"):
        high = 10**6
        allowed: set[Any] = set()
        if item.kind == "likert":
            allowed = q.scale(item.scale).allowed_values()
        elif item.kind == "rating":
            allowed = set(range(item.low, item.high + 1))
        else:
            allowed = set(range(18 if item.constraint else int(item.min or 0), 121))
            high = 120 if item.constraint else int(item.max or 0)
            if not item.integer:
                return st.one_of(wrong_types, st.floats(min_value=3, max_value=1e9), st.text())
        return st.one_of(
            wrong_types,
            st.integers(-high, high).filter(lambda v: v not in allowed),
            st.floats(allow_nan=True).filter(lambda v: not (math.isfinite(v) and v == int(v))),
            st.sampled_from(["1", "3", "9"]),
        )
    if item.kind == "single_choice":
        options = {o.value for o in item.options}
        if item.constraint == ". = 'yes'":
            options = {"yes"}
        return st.one_of(wrong_types, st.text().filter(lambda v: v not in options))
    if item.kind == "multi_choice":
        values = [o.value for o in item.options]
        return st.one_of(
            st.text(),
            st.lists(st.sampled_from(values), min_size=(item.max_choices or 0) + 1, unique=True),
            st.sampled_from(values).map(lambda v: [v, v]),
            st.just(["no-such-option"]),
        )
    return st.one_of(
        st.integers(), st.lists(st.text(), max_size=2), st.just("x" * (item.max_length + 1))
    )


QUESTIONNAIRES = {
    "default": load_default(),
    "small": Questionnaire.model_validate(small_definition()),
}


@st.composite
def answer_dicts(
    draw: st.DrawFn, name: str, clean: bool | None = None
) -> tuple[dict[str, Any], bool]:
    """Random answers and whether they contain a mistake that must be refused."""
    q = QUESTIONNAIRES[name]
    answers: dict[str, Any] = {}
    must_fail = False
    if clean is None:  # half the dicts have no mistakes, so acceptance is exercised
        clean = draw(st.booleans())
    for item in q.items:
        always_visible = item.relevant is None
        if clean:
            choice = draw(st.sampled_from(["valid", "valid", "valid", "missing"]))
            if choice == "missing" and item.required:
                choice = "valid"
        else:
            choice = draw(st.sampled_from(["valid", "valid", "valid", "missing", "invalid"]))
        if choice == "valid":
            answers[item.code] = draw(_valid_values(q, item.code))
        elif choice == "invalid":
            answers[item.code] = draw(_invalid_values(q, item.code))
            must_fail |= always_visible
        else:
            must_fail |= always_visible and item.required
    if not clean and draw(st.booleans()):
        answers[draw(st.sampled_from(["zz", "D9.9", "phone"]))] = 1
        must_fail = True
    return answers, must_fail


def _check_property(q: Questionnaire, answers: dict[str, Any], must_fail: bool) -> None:
    try:
        cleaned = validate_answers(q, answers)
    except AnswerValidationError as exc:
        assert exc.problems
        assert all(p.field and p.message for p in exc.problems)
        return
    assert not must_fail, f"accepted invalid answers: {answers}"
    assert validate_answers(q, cleaned) == cleaned
    assert validate_partial(q, cleaned) == cleaned
    for code, value in cleaned.items():
        original = answers[code]
        assert value == (original.strip() if isinstance(original, str) else original)
        assert type(value) is type(original) or isinstance(original, tuple)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_default(data: st.DataObject) -> None:
    q = QUESTIONNAIRES["default"]
    answers, must_fail = data.draw(answer_dicts("default"))
    _check_property(q, answers, must_fail)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_small(data: st.DataObject) -> None:
    q = QUESTIONNAIRES["small"]
    answers, must_fail = data.draw(answer_dicts("small"))
    _check_property(q, answers, must_fail)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(QUESTIONNAIRES)), st.data())
def test_property_valid_dicts_are_accepted(name: str, data: st.DataObject) -> None:
    q = QUESTIONNAIRES[name]
    answers, _ = data.draw(answer_dicts(name, clean=True))
    cleaned = validate_answers(q, answers)
    assert validate_answers(q, cleaned) == cleaned


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([i.code for i in load_default().items] + ["x"]),
        st.one_of(st.none(), st.integers(-3, 12), st.text(max_size=5), st.booleans(),
                  st.lists(st.sampled_from(["D1a", "D2b", "D3c", "x"]), max_size=4)),
    )
)  # fmt: skip
def test_property_random_dicts_never_crash(answers: dict[str, Any]) -> None:
    q = load_default()
    try:
        cleaned = validate_answers(q, answers)
    except AnswerValidationError:
        pass
    else:
        assert validate_answers(q, cleaned) == cleaned
    try:
        draft = validate_partial(q, answers)
    except AnswerValidationError:
        pass
    else:
        assert validate_partial(q, draft) == draft
