"""A small, safe expression language for skip logic (``relevant``) and ``constraint``.

The syntax (tree, parser, printer) lives in ``survey.questionnaire.expression_syntax`` and is
re-exported here, so ``survey.questionnaire.expressions`` stays the one public entry point. This
module gives expressions their meaning: :func:`evaluate`. A missing answer makes every comparison
false.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from survey.questionnaire.expression_syntax import COMPARISONS as COMPARISONS
from survey.questionnaire.expression_syntax import FUNCTIONS as FUNCTIONS
from survey.questionnaire.expression_syntax import MAX_DEPTH as MAX_DEPTH
from survey.questionnaire.expression_syntax import MAX_LENGTH as MAX_LENGTH
from survey.questionnaire.expression_syntax import (
    And,
    Call,
    Compare,
    Current,
    Expr,
    ExpressionSyntaxError,
    Literal,
    Or,
    Ref,
    parse,
    to_text,
)

__all__ = [
    "And",
    "Call",
    "Compare",
    "Current",
    "Expr",
    "ExpressionSyntaxError",
    "Literal",
    "Or",
    "Ref",
    "evaluate",
    "parse",
    "to_text",
]


_MISSING = None


def evaluate(expr: Expr, answers: Mapping[str, Any], current: Any = None) -> bool:
    """Truth of ``expr`` given ``answers`` (code → cleaned value) and the ``current`` value."""
    return _truth(_value(expr, answers, current))


def _value(expr: Expr, answers: Mapping[str, Any], current: Any) -> Any:
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Ref):
        return _present(answers.get(expr.code))
    if isinstance(expr, Current):
        return _present(current)
    if isinstance(expr, And):
        return _truth(_value(expr.left, answers, current)) and _truth(
            _value(expr.right, answers, current)
        )
    if isinstance(expr, Or):
        return _truth(_value(expr.left, answers, current)) or _truth(
            _value(expr.right, answers, current)
        )
    if isinstance(expr, Compare):
        return _compare(
            expr.op, _value(expr.left, answers, current), _value(expr.right, answers, current)
        )
    if isinstance(expr, Call):
        args = [_value(a, answers, current) for a in expr.args]
        return _call(expr.name, args)
    raise TypeError(f"not an expression: {expr!r}")


def _present(value: Any) -> Any:
    if value is None or value == "" or (isinstance(value, list | tuple) and not value):
        return _MISSING
    return value


def _truth(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return bool(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _as_string(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    numeric = not (isinstance(left, str) and isinstance(right, str))
    a, b = _as_number(left), _as_number(right)
    if numeric and a is not None and b is not None:
        return _ordered(op, a, b)
    if op in ("=", "!="):
        return (_as_string(left) == _as_string(right)) == (op == "=")
    if isinstance(left, str) and isinstance(right, str):
        return _ordered(op, left, right)
    return False


def _ordered(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _selection(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value).split()


def _call(name: str, args: list[Any]) -> Any:
    if name == "not":
        return not _truth(args[0])
    if name == "selected":
        return args[1] is not None and _as_string(args[1]) in _selection(args[0])
    if name == "count-selected":
        return len(_selection(args[0]))
    # string-length
    return 0 if args[0] is None else len(_as_string(args[0]))
