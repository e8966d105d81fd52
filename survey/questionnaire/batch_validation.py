"""Validating many responses at once, column by column, with the rules of ``validate_answers``.

``validate_answers`` costs about half a millisecond per response (a walk over every item, the
per-kind checks, skip logic): 2,000 rows/s, far from the 20,000 rows/s a paper import needs (P6).
Here each *distinct* value of a column is checked once, with the very same per-kind check
(``survey.questionnaire.validation``), and skip logic and constraints are evaluated once per
distinct combination of the answers they read; numpy broadcasts the outcomes to the rows. The rules
live in one place only; ``tests/survey/test_batch_validation.py`` checks on random rows that both
paths give the same cleaned answers and the same problems, in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from survey.errors import FieldProblem
from survey.questionnaire.expressions import Expr, evaluate

# The per-kind checks are shared on purpose (see the module docstring), private or not.
from survey.questionnaire.validation import _clean, _constraint_problem, _Problem

if TYPE_CHECKING:
    from survey.questionnaire.model import Questionnaire

__all__ = ["BatchResult", "Column", "column_of", "validate_columns", "validate_rows"]

REQUIRED = FieldProblem("", "this question is required", "此题为必答题,请作答")


@dataclass
class Column:
    """One item's answers for ``n`` rows: the distinct values, and per row the index of its value.

    ``None`` among ``values`` means no answer.
    """

    values: list[Any]
    index: np.ndarray  # (n,) intp into values


def _key(value: Any) -> Any:
    # 1, 1.0 and True are equal as dict keys but validate differently; lists are unhashable.
    if isinstance(value, list | tuple):
        return (type(value), tuple(_key(v) for v in value))
    return (type(value), value)


def column_of(values: Sequence[Any]) -> Column:
    """Factorise a plain sequence of answers (``None`` = no answer) into a :class:`Column`."""
    seen: dict[Any, int] = {}
    distinct: list[Any] = []
    index = np.empty(len(values), dtype=np.intp)
    for row, value in enumerate(values):
        key = _key(value)
        position = seen.get(key)
        if position is None:
            position = seen[key] = len(distinct)
            distinct.append(value)
        index[row] = position
    return Column(distinct, index)


@dataclass
class BatchResult:
    """The outcome for ``n`` rows; ``answers(row)`` is what ``validate_answers`` would return."""

    n: int
    codes: list[str]  # item codes, questionnaire order
    columns: dict[str, Column]
    cleaned: dict[str, list[Any]]  # per code, the cleaned value of each distinct value
    kept: dict[str, np.ndarray]  # per code, (n,) bool: the answer is in the cleaned answers
    valid: np.ndarray  # (n,) bool: no problem in the row
    problems: dict[int, list[FieldProblem]] = field(default_factory=dict)  # invalid rows only

    def answers(self, row: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for code in self.codes:
            if self.kept[code][row]:
                value = self.cleaned[code][self.columns[code].index[row]]
                out[code] = list(value) if isinstance(value, list) else value
        return out

    def answered_counts(self) -> np.ndarray:
        """Number of kept answers per row (what the speeder rule divides by)."""
        counts = np.zeros(self.n, dtype=np.int64)
        for mask in self.kept.values():
            counts += mask
        return counts


def validate_rows(questionnaire: Questionnaire, rows: Sequence[Mapping[str, Any]]) -> BatchResult:
    """Validate answer dictionaries (known item codes only) in one batch."""
    unknown = sorted({k for r in rows for k in r if not questionnaire.has_item(k)})
    if unknown:
        raise KeyError(f"unknown question codes {unknown}; validate_answers reports them per row")
    codes = [item.code for item in questionnaire.items]
    columns = {code: column_of([r.get(code) for r in rows]) for code in codes}
    return validate_columns(questionnaire, columns, len(rows))


def validate_columns(
    questionnaire: Questionnaire, columns: Mapping[str, Column], n: int
) -> BatchResult:
    """Validate ``n`` responses given as columns keyed by item code (absent column = no answers).

    Mirrors ``survey.questionnaire.validation._validate`` (``partial=False``) step by step.
    """
    q = questionnaire
    unknown = [code for code in columns if not q.has_item(code)]
    if unknown:
        raise KeyError(f"unknown question codes {unknown}")
    empty = Column([None], np.zeros(n, dtype=np.intp))
    cols = {item.code: columns.get(item.code, empty) for item in q.items}
    plan = q.validation_plan()
    cleaned: dict[str, list[Any]] = {}
    problem_of: dict[str, list[_Problem | None]] = {}
    invalid: dict[str, np.ndarray] = {}  # per row: the code is in validate's ``invalid`` set
    has: dict[str, np.ndarray] = {}
    for item in q.items:
        values: list[Any] = []
        problems: list[_Problem | None] = []
        for raw in cols[item.code].values:
            try:
                values.append(_clean(plan, q, item, raw))
                problems.append(None)
            except _Problem as failure:
                values.append(None)
                problems.append(failure)
        index = cols[item.code].index
        cleaned[item.code], problem_of[item.code] = values, problems
        invalid[item.code] = np.array([p is not None for p in problems], dtype=bool)[index]
        has[item.code] = np.array([v is not None for v in values], dtype=bool)[index]

    shown = {code: mask.copy() for code, mask in invalid.items()}  # rows keeping the _clean problem
    logic: list[tuple[str, np.ndarray, FieldProblem]] = []
    kept: dict[str, np.ndarray] = {}
    context = _Context(cols, cleaned, kept)
    for item in q.items:
        code = item.code
        active = np.ones(n, dtype=bool)
        relevant = q.expression(code, "relevant")
        if relevant is not None:
            cascade = np.zeros(n, dtype=bool)
            for ref in relevant.references():
                if ref in invalid:
                    cascade |= invalid[ref]
            invalid[code] |= cascade  # visibility rests on a bad answer: that one is reported
            visible = context.evaluate(relevant, ~cascade)
            hidden = ~cascade & ~visible
            shown[code] &= ~hidden  # answers to hidden items are dropped, problems with them too
            active = ~cascade & visible
        candidates = active & ~invalid[code]
        if item.required:
            missing = candidates & ~has[code]
            if missing.any():
                logic.append(
                    (code, missing, FieldProblem(code, REQUIRED.message, REQUIRED.message_zh))
                )
        candidates &= has[code]
        constraint = q.expression(code, "constraint")
        if constraint is not None and candidates.any():
            failed = candidates & ~context.evaluate(constraint, candidates, current=code)
            if failed.any():
                logic.append((code, failed, _constraint_problem(q, code)))
                invalid[code] |= failed
                candidates &= ~failed
        kept[code] = candidates

    codes = [item.code for item in q.items]
    bad = np.zeros(n, dtype=bool)
    for mask in shown.values():
        bad |= mask
    for _code, mask, _problem in logic:
        bad |= mask
    result = BatchResult(n, codes, cols, cleaned, kept, ~bad)
    # Same order as validate_answers: _clean problems in item order, then logic problems.
    for code in codes:
        for row in np.flatnonzero(shown[code]).tolist():
            cause = problem_of[code][cols[code].index[row]]
            assert cause is not None
            result.problems.setdefault(row, []).append(
                FieldProblem(code, cause.message, cause.message_zh)
            )
    for _code, mask, found in logic:
        for row in np.flatnonzero(mask).tolist():
            result.problems.setdefault(row, []).append(
                FieldProblem(found.field, found.message, found.message_zh)
            )
    return result


class _Context:
    """Evaluates an expression once per distinct combination of the answers it reads."""

    def __init__(
        self, cols: dict[str, Column], cleaned: dict[str, list[Any]], kept: dict[str, np.ndarray]
    ) -> None:
        self.cols, self.cleaned, self.kept = cols, cleaned, kept

    def evaluate(self, expr: Expr, rows: np.ndarray, *, current: str | None = None) -> np.ndarray:
        """(n,) bool truth of ``expr`` on ``rows`` (False elsewhere)."""
        out = np.zeros(rows.shape[0], dtype=bool)
        selected = np.flatnonzero(rows)
        if selected.size == 0:
            return out
        # Definitions only refer to earlier items, whose ``kept`` masks are final by now.
        refs = sorted(expr.references())
        keys = [np.where(self.kept[r][selected], self.cols[r].index[selected], -1) for r in refs]
        if current is not None:
            keys.append(self.cols[current].index[selected])
        if not keys:
            out[selected] = evaluate(expr, {})
            return out
        combos, inverse = np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)
        truth = np.empty(len(combos), dtype=bool)
        for k, combo in enumerate(combos.tolist()):
            answers = {r: self.cleaned[r][i] for r, i in zip(refs, combo, strict=False) if i >= 0}
            value = self.cleaned[current][combo[-1]] if current is not None else None
            truth[k] = evaluate(expr, answers, current=value)
        out[selected] = truth[inverse.ravel()]
        return out
