"""The skip-logic expression language: parser, printer, evaluator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.errors import SurveyError
from survey.questionnaire import expressions as ex
from survey.questionnaire.expressions import (
    And,
    Call,
    Compare,
    Current,
    ExpressionSyntaxError,
    Literal,
    Or,
    Ref,
    evaluate,
    parse,
    to_text,
)


def test_parse_examples() -> None:
    assert parse("${D1.1} >= 4 and ${tenure} = 'rent'") == And(
        Compare(">=", Ref("D1.1"), Literal(4)), Compare("=", Ref("tenure"), Literal("rent"))
    )
    assert parse("selected(${P1}, 'D2a')") == Call("selected", (Ref("P1"), Literal("D2a")))
    assert parse("not(${a} = 1)") == Call("not", (Compare("=", Ref("a"), Literal(1)),))
    assert parse("count-selected(${P1}) <= 3") == Compare(
        "<=", Call("count-selected", (Ref("P1"),)), Literal(3)
    )
    assert parse(". >= 1 and . <= 10") == And(
        Compare(">=", Current(), Literal(1)), Compare("<=", Current(), Literal(10))
    )
    assert parse('. != "x"') == Compare("!=", Current(), Literal("x"))
    assert parse(". > -2.5") == Compare(">", Current(), Literal(-2.5))
    assert parse(". > .5") == Compare(">", Current(), Literal(0.5))


def test_precedence_and_parentheses() -> None:
    a, b, c = (Compare("=", Ref(x), Literal(1)) for x in "abc")
    assert parse("${a} = 1 or ${b} = 1 and ${c} = 1") == Or(a, And(b, c))
    assert parse("(${a} = 1 or ${b} = 1) and ${c} = 1") == And(Or(a, b), c)
    assert parse("${a} = 1 and ${b} = 1 and ${c} = 1") == And(And(a, b), c)
    assert to_text(And(a, And(b, c))) == "${a} = 1 and (${b} = 1 and ${c} = 1)"


def test_references() -> None:
    expr = parse("${a} = 1 and (selected(${P1}, 'x') or string-length(${b}) > 2) and . > 0")
    assert expr.references() == {"a", "P1", "b"}
    assert expr.uses_current()
    assert not parse("${a} = 1").uses_current()
    assert str(expr) == to_text(expr)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty expression", 0),
        ("${a} =", "expected a value", 6),
        ("${a} = = 1", "expected a value", 7),
        ("${a} = 1 1", "unexpected '1'", 9),
        ("(${a} = 1", r"expected '\)'", 9),
        ("${a} = 'open", "unterminated string", 7),
        ("${a b} = 1", "reference", 0),
        ("${} = 1", "reference", 0),
        ("foo(1)", "unknown name 'foo'", 0),
        ("tenure = 'rent'", r"unknown name 'tenure'; refer to an answer as \$\{tenure\}", 0),
        ("not ${a}", "expected '\\(' after not", 4),
        ("selected(${a})", "takes 2 argument", 0),
        ("selected('x', 'y')", "must be", 0),
        ("1 < ${a} < 3", "cannot be chained", 9),
        ("${a} == 1", "expected a value", 6),
        ("- 'x'", "number after '-'", 2),
        ("${a} = 1 and", "expected a value", 12),
        ("and ${a}", "expected a value before 'and'", 0),
        ("${a} # 1", "unexpected character '#'", 5),
        ("import('os')", "unknown name", 0),
    ],
)
def test_syntax_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionSyntaxError, match=message) as info:
        parse(text)
    assert info.value.position == position
    assert isinstance(info.value, SurveyError)


def test_limits() -> None:
    with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
        parse("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExpressionSyntaxError, match="longer than"):
        parse("1 = 1 and " * 400 + "1 = 1")
    with pytest.raises(ExpressionSyntaxError, match="must be a string"):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionSyntaxError, match="out of range"):
        parse("1e999 > 1")


ANSWERS: dict[str, Any] = {"D1.1": 4, "tenure": "rent", "P1": ["D2a", "D6b"], "P2": "停车难"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${D1.1} >= 4 and ${tenure} = 'rent'", True),
        ("${D1.1} > 4 or ${tenure} != 'rent'", False),
        ("${D1.1} = '4'", True),  # XLSForm compares a number with numeric text as numbers
        ("${tenure} < 'z'", True),
        ("${tenure} < 3", False),
        ("selected(${P1}, 'D2a')", True),
        ("selected(${P1}, 'D1a')", False),
        ("count-selected(${P1}) <= 3", True),
        ("count-selected(${P1}) = 2", True),
        ("count-selected(${missing}) = 0", True),
        ("string-length(${P2}) = 3", True),
        ("not(selected(${P1}, 'D1a'))", True),
        ("${missing} = 1", False),
        ("${missing} != 1", False),
        ("not(${missing} = 1)", True),
        ("${missing}", False),
        ("${tenure}", True),
        ("${P1} = 'D2a D6b'", True),
        ("selected(${tenure}, 'rent')", True),
        ("0", False),
        ("2.5", True),
        ("''", False),
    ],
)
def test_evaluate(text: str, expected: bool) -> None:
    assert evaluate(parse(text), ANSWERS) is expected


def test_evaluate_current() -> None:
    rule = parse(". >= 1 and . <= 10")
    assert evaluate(rule, {}, current=5)
    assert not evaluate(rule, {}, current=11)
    assert not evaluate(rule, {}, current=None)
    assert evaluate(parse("count-selected(.) <= 3"), {}, current=["a", "b"])
    assert evaluate(parse(". = 'yes'"), {}, current="yes")
    assert not evaluate(parse(". = 'yes'"), {}, current="")
    assert evaluate(parse(". = 1"), {}, current=True)


# -- properties -------------------------------------------------------------------------------

codes = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,8}", fullmatch=True)
strings = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'"), max_size=8
)
numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
operands = st.one_of(numbers.map(Literal), strings.map(Literal), codes.map(Ref), st.just(Current()))


def _extend(children: st.SearchStrategy[ex.Expr]) -> st.SearchStrategy[ex.Expr]:
    return st.one_of(
        st.builds(Compare, st.sampled_from(ex.COMPARISONS), children, children),
        st.builds(And, children, children),
        st.builds(Or, children, children),
        children.map(lambda e: Call("not", (e,))),
        children.map(lambda e: Call("string-length", (e,))),
        st.builds(lambda c, s: Call("selected", (Ref(c), Literal(s))), codes, strings),
        codes.map(lambda c: Call("count-selected", (Ref(c),))),
    )


expressions = st.recursive(operands, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_round_trip(expr: ex.Expr) -> None:
    assert parse(to_text(expr)) == expr


@settings(max_examples=100, deadline=None)
@given(expressions, st.dictionaries(codes, st.one_of(numbers, strings), max_size=4))
def test_evaluate_is_total(expr: ex.Expr, answers: dict[str, Any]) -> None:
    assert evaluate(expr, answers, current=1) in (True, False)


garbage_alphabet = st.sampled_from(
    [*"${}()'\".,-=!<>aAnd orsel ct0123456789_ \t\n", "and", "or", "not(", "${a}", "é", "中"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(garbage_alphabet, max_size=25).map("".join)))
def test_garbage_only_raises_syntax_errors(text: str) -> None:
    try:
        expr = parse(text)
    except ExpressionSyntaxError:
        return
    assert parse(to_text(expr)) == expr
    evaluate(expr, {"a": 1})
