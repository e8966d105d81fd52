"""Server-side validation of answers against one questionnaire version.

The browser is never trusted: types, ranges, options, lengths, constraints, required items and
skip logic are all checked here. Answers to items hidden by skip logic are dropped, not refused,
so a resident who changes an earlier answer is not punished for what the form already hid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survey.errors import AnswerValidationError, FieldProblem
from survey.questionnaire.expressions import Expr, evaluate
from survey.questionnaire.parts import (
    Item,
    LikertItem,
    MultiChoiceItem,
    NumericItem,
    RatingItem,
    SingleChoiceItem,
)

if TYPE_CHECKING:
    from survey.questionnaire.model import Questionnaire

__all__ = ["validate_answers", "validate_partial"]

_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}


@dataclass(frozen=True)
class ValidationPlan:
    """What validation looks up per item, as plain dicts built once per questionnaire.

    Reading the questionnaire's pydantic private attributes costs a few µs a time (pydantic's
    ``__getattr__``), and one submission looked them up ~170 times: 60 % of its validation
    (P5 profile, 2026-12-04). The plan is read once per validation instead.
    """

    codes: frozenset[str]
    relevant: dict[str, Expr]
    constraint: dict[str, Expr]
    likert_allowed: dict[str, frozenset[int]]

    @classmethod
    def build(cls, q: Questionnaire, exprs: Mapping[tuple[str, str], Expr]) -> ValidationPlan:
        return cls(
            codes=frozenset(item.code for item in q.items),
            relevant={code: e for (code, which), e in exprs.items() if which == "relevant"},
            constraint={code: e for (code, which), e in exprs.items() if which == "constraint"},
            likert_allowed={
                item.code: frozenset(q.scale(item.scale).allowed_values())
                for item in q.items
                if isinstance(item, LikertItem)
            },
        )


@dataclass(frozen=True)
class _Problem(Exception):
    message: str
    message_zh: str


def validate_answers(questionnaire: Questionnaire, answers: Any) -> dict[str, Any]:
    """Check a complete submission; return cleaned answers in questionnaire order.

    Hidden items (``relevant`` false) are dropped; missing required items, unknown codes and
    ill-typed or out-of-range values raise :class:`AnswerValidationError` listing every field.
    """
    return _validate(questionnaire, answers, partial=False)


def validate_partial(questionnaire: Questionnaire, answers: Any) -> dict[str, Any]:
    """Check an autosaved draft: unknown codes, types, ranges and self-contained constraints.

    Nothing is required and skip logic is not applied (the resident may still go back).
    """
    return _validate(questionnaire, answers, partial=True)


def _validate(q: Questionnaire, answers: Any, *, partial: bool) -> dict[str, Any]:
    if not isinstance(answers, Mapping):
        raise AnswerValidationError(
            [
                FieldProblem(
                    "answers",
                    "must be an object mapping question codes to answers",
                    "答案格式不正确",
                )
            ]
        )
    plan = q.validation_plan()
    problems: dict[str, FieldProblem] = {}
    for key in answers:
        if not isinstance(key, str) or key not in plan.codes:
            name = str(key)[:50]
            problems[name] = FieldProblem(
                name,
                f"unknown question code {name!r} in questionnaire {q.slug} v{q.version}",
                "问卷中没有这个问题",
            )

    values: dict[str, Any] = {}
    invalid: set[str] = set()
    for item in q.items:
        try:
            value = _clean(plan, q, item, answers.get(item.code))
        except _Problem as problem:
            invalid.add(item.code)
            problems[item.code] = FieldProblem(item.code, problem.message, problem.message_zh)
            continue
        if value is not None:
            values[item.code] = value

    cleaned = (
        _apply_constraints(plan, q, values, problems)
        if partial
        else _apply_logic(plan, q, values, invalid, problems)
    )
    if problems:
        raise AnswerValidationError(list(problems.values()))
    return cleaned


def _apply_constraints(
    plan: ValidationPlan,
    q: Questionnaire,
    values: dict[str, Any],
    problems: dict[str, FieldProblem],
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for code, value in values.items():
        constraint = plan.constraint.get(code)
        # A draft may not have the other answers a constraint compares with yet.
        if (
            constraint is not None
            and constraint.references() <= values.keys()
            and not evaluate(constraint, values, current=value)
        ):
            problems[code] = _constraint_problem(q, code)
            continue
        cleaned[code] = value
    return cleaned


def _apply_logic(
    plan: ValidationPlan,
    q: Questionnaire,
    values: dict[str, Any],
    invalid: set[str],
    problems: dict[str, FieldProblem],
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}  # only visible, valid answers: what later logic may read
    for item in q.items:
        code = item.code
        relevant = plan.relevant.get(code)
        if relevant is not None:
            if relevant.references() & invalid:
                # Visibility depends on a bad answer: report that one, not a cascade here.
                invalid.add(code)
                continue
            if not evaluate(relevant, cleaned):
                problems.pop(code, None)
                continue
        if code in invalid:
            continue
        if code not in values:
            if item.required:
                problems[code] = FieldProblem(
                    code, "this question is required", "此题为必答题,请作答"
                )
            continue
        constraint = plan.constraint.get(code)
        if constraint is not None and not evaluate(constraint, cleaned, current=values[code]):
            problems[code] = _constraint_problem(q, code)
            invalid.add(code)
            continue
        cleaned[code] = values[code]
    return cleaned


def _constraint_problem(q: Questionnaire, code: str) -> FieldProblem:
    item = q.item(code)
    message = item.constraint_message
    if message is not None:
        return FieldProblem(code, message.en or message.zh, message.zh)
    return FieldProblem(
        code, f"the answer does not satisfy the rule {item.constraint}", "答案不符合填写要求"
    )


# -- per-kind checks --------------------------------------------------------------------------


def _clean(plan: ValidationPlan, q: Questionnaire, item: Item, raw: Any) -> Any:
    """The cleaned value of one answer, ``None`` if unanswered; raises :class:`_Problem`."""
    if raw is None:
        return None
    if isinstance(raw, list | tuple) and not isinstance(item, MultiChoiceItem):
        # A radio or box sent twice (a double tap, a crafted post): say that, not "not a number".
        raise _Problem(f"takes one answer, not a list of {len(raw)}", "此题只能填写一个答案")
    if isinstance(item, LikertItem):
        value = _whole_number(raw)
        if value not in plan.likert_allowed[item.code]:
            raise _likert_problem(q.scale(item.scale), value)
        return value
    if isinstance(item, RatingItem):
        return _integer_in(raw, item.low, item.high)
    if isinstance(item, NumericItem):
        return _numeric(item, raw)
    if isinstance(item, SingleChoiceItem):
        return _single(item, raw)
    if isinstance(item, MultiChoiceItem):
        return _multi(item, raw)
    return _text(item, raw)


def _whole_number(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        got = "true/false" if isinstance(raw, bool) else type(raw).__name__
        if isinstance(raw, float):
            got = f"the decimal {raw!r}"
        elif isinstance(raw, str):
            got = f"the text {raw[:20]!r}"
        raise _Problem(f"must be a whole number, not {got}", "请填写整数")
    return raw


def _integer_in(raw: Any, low: int, high: int) -> int:
    value = _whole_number(raw)
    if not low <= value <= high:
        raise _Problem(
            f"must be a whole number from {low} to {high}, got {value}",
            f"请选择{low}到{high}之间的分值",
        )
    return value


def _likert_problem(scale: Any, value: int) -> _Problem:
    low, high = 1, scale.size
    na = f", or {scale.na_code} for don't know" if scale.na_code is not None else ""
    return _Problem(
        f"must be a whole number from {low} to {high}{na}; got {value}",
        "请从选项中选择一项",
    )


def _numeric(item: Any, raw: Any) -> int | float:
    if item.integer:
        value: int | float = _whole_number(raw)
    else:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise _Problem(f"must be a number, not {type(raw).__name__}", "请填写数字")
        if isinstance(raw, float) and not math.isfinite(raw):
            raise _Problem("must be a finite number", "请填写数字")
        value = raw
    if (item.min is not None and value < item.min) or (item.max is not None and value > item.max):
        lo = "" if item.min is None else f"at least {item.min:g}"
        hi = "" if item.max is None else f"at most {item.max:g}"
        bounds = " and ".join(b for b in (lo, hi) if b)
        raise _Problem(f"must be {bounds}, got {value}", "数值超出允许范围")
    return value


def _option_values(item: Any) -> list[str]:
    return [o.value for o in item.options]


def _single(item: Any, raw: Any) -> str:
    allowed = _option_values(item)
    if not isinstance(raw, str):
        raise _Problem(
            f"must be one option value as text ({', '.join(allowed)}), not {type(raw).__name__}",
            "请从选项中选择一项",
        )
    if raw not in allowed:
        raise _Problem(
            f"{raw[:40]!r} is not an option; choose one of {', '.join(allowed)}",
            "请从选项中选择一项",
        )
    return raw


def _multi(item: Any, raw: Any) -> list[str] | None:
    allowed = _option_values(item)
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise _Problem(
            'must be a list of option values as text, e.g. ["' + allowed[0] + '"]',
            "请从选项中选择",
        )
    unknown = [v for v in raw if v not in allowed]
    if unknown:
        shown = ", ".join(repr(v[:40]) for v in unknown[:5])
        raise _Problem(
            f"not an option: {shown}; choose from {', '.join(allowed)}", "请从选项中选择"
        )
    if len(set(raw)) != len(raw):
        raise _Problem("each option may be chosen only once", "同一选项只能选择一次")
    if item.max_choices is not None and len(raw) > item.max_choices:
        raise _Problem(
            f"choose at most {item.max_choices} options, got {len(raw)}",
            f"最多选择{item.max_choices}项",
        )
    return list(raw) or None


def _text(item: Any, raw: Any) -> str | None:
    if not isinstance(raw, str):
        raise _Problem(f"must be text, not {type(raw).__name__}", "请填写文字")
    value = raw.strip()
    if any(c in _CONTROL for c in value):
        raise _Problem("contains control characters", "包含无效字符")
    if len(value) > item.max_length:
        raise _Problem(
            f"is {len(value)} characters long; at most {item.max_length} are allowed",
            f"字数超出限制(最多{item.max_length}字)",
        )
    return value or None
