"""Structural checks of a questionnaire definition (cross-field rules pydantic cannot express).

Kept apart from the models so :mod:`survey.questionnaire.model` stays a readable data description;
it runs them on construction (this module needs only :mod:`survey.questionnaire.parts`).
Every failure is a :class:`QuestionnaireDefinitionError` naming the item, scale or section.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from survey.errors import QuestionnaireDefinitionError
from survey.questionnaire.expressions import Expr, ExpressionSyntaxError, parse
from survey.questionnaire.parts import (
    LikertItem,
    MultiChoiceItem,
    NumericItem,
    RatingItem,
    Scale,
    SingleChoiceItem,
)

if TYPE_CHECKING:
    from survey.questionnaire.model import Questionnaire


def _fail(message: str) -> QuestionnaireDefinitionError:
    return QuestionnaireDefinitionError(message)


def _duplicates(codes: Iterable[str]) -> list[str]:
    return sorted(code for code, n in Counter(codes).items() if n > 1)


def check_definition(q: Questionnaire) -> dict[tuple[str, str], Expr]:
    """Raise on the first structural problem; return the parsed expressions."""
    _check_unique(q)
    for scale in q.scales:
        _check_scale(scale)
    _check_items(q)
    _check_sections(q)
    return _check_expressions(q)


def _check_unique(q: Questionnaire) -> None:
    subdims = [s.code for d in q.dimensions for s in d.subdimensions]
    for what, codes in (
        ("item", [i.code for i in q.items]),
        ("scale", [s.code for s in q.scales]),
        ("section", [s.code for s in q.sections]),
        ("dimension or sub-dimension", [d.code for d in q.dimensions] + subdims),
    ):
        dups = _duplicates(codes)
        if dups:
            raise _fail(f"duplicate {what} code(s): {', '.join(dups)}")
    if not q.items:
        raise _fail("a questionnaire needs at least one item")
    for dim in q.dimensions:
        if not dim.subdimensions:
            raise _fail(f"dimension {dim.code} has no sub-dimensions")


def _check_scale(scale: Scale) -> None:
    if len(scale.points) < 2:
        raise _fail(f"scale {scale.code} needs at least two labelled points")
    values = [p.value for p in scale.points]
    if sorted(values) != list(range(1, len(values) + 1)):
        raise _fail(
            f"scale {scale.code}: point values must be 1..{len(values)} once each, got {values}"
        )
    if scale.na_code is not None:
        if scale.na_code in values:
            raise _fail(f"scale {scale.code}: na_code {scale.na_code} is also a scale point")
        if scale.na_label is None:
            raise _fail(f"scale {scale.code}: na_code {scale.na_code} needs an na_label")


def _check_items(q: Questionnaire) -> None:
    scales = {s.code for s in q.scales}
    subdims = {s.code for d in q.dimensions for s in d.subdimensions}
    priority_items = []
    for item in q.items:
        where = f"item {item.code}"
        if isinstance(item, LikertItem):
            if item.scale not in scales:
                raise _fail(f"{where}: unknown scale {item.scale!r}")
            if item.subdimension is not None and item.subdimension not in subdims:
                raise _fail(f"{where}: unknown sub-dimension {item.subdimension!r}")
            if item.reverse and item.subdimension is None:
                raise _fail(f"{where}: only index items (with a sub-dimension) can be reverse")
        elif isinstance(item, RatingItem):
            if item.low >= item.high:
                raise _fail(f"{where}: low ({item.low}) must be below high ({item.high})")
        elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
            if not item.options:
                raise _fail(f"{where}: a choice question needs options")
            dups = _duplicates(o.value for o in item.options)
            if dups:
                raise _fail(f"{where}: duplicate option value(s) {', '.join(dups)}")
            if isinstance(item, MultiChoiceItem):
                if item.max_choices is not None and item.max_choices > len(item.options):
                    raise _fail(f"{where}: max_choices exceeds the number of options")
                if item.priority:
                    priority_items.append(item.code)
                    unknown = [o.value for o in item.options if o.value not in subdims]
                    if unknown:
                        raise _fail(
                            f"{where}: priority options must be sub-dimension codes, "
                            f"not {', '.join(unknown)}"
                        )
        elif (
            isinstance(item, NumericItem)
            and item.min is not None
            and item.max is not None
            and item.min > item.max
        ):
            raise _fail(f"{where}: min is above max")
        if item.constraint_message is not None and item.constraint is None:
            raise _fail(f"{where}: constraint_message without a constraint")
    if len(priority_items) > 1:
        raise _fail(f"only one priority item allowed, got {', '.join(priority_items)}")
    used = {i.subdimension for i in q.main_items()}
    empty = [s for s in (s.code for d in q.dimensions for s in d.subdimensions) if s not in used]
    if empty:
        raise _fail(f"sub-dimension(s) without items: {', '.join(empty)}")


def _check_sections(q: Questionnaire) -> None:
    order = [s.code for s in q.sections]
    dims = {d.code: {s.code for s in d.subdimensions} for d in q.dimensions}
    seen: list[str] = []
    for item in q.items:
        if item.section not in order:
            raise _fail(f"item {item.code}: unknown section {item.section!r}")
        if not seen or seen[-1] != item.section:
            if item.section in seen:
                raise _fail(
                    f"item {item.code}: the items of section {item.section} must be contiguous"
                )
            seen.append(item.section)
    if seen != [s for s in order if s in seen] or len(seen) != len(order):
        missing = [s for s in order if s not in seen]
        if missing:
            raise _fail(f"section(s) without items: {', '.join(missing)}")
        raise _fail("items must appear in the order of their sections")
    for section in q.sections:
        if section.dimension is None:
            continue
        if section.dimension not in dims:
            raise _fail(f"section {section.code}: unknown dimension {section.dimension!r}")
        for item in q.items:
            if item.section != section.code:
                continue
            if not isinstance(item, LikertItem) or item.subdimension is None:
                raise _fail(
                    f"item {item.code}: items on dimension page {section.code} need a "
                    "sub-dimension (likert items only)"
                )
            if item.subdimension not in dims[section.dimension]:
                raise _fail(
                    f"item {item.code}: sub-dimension {item.subdimension} is not part of "
                    f"dimension {section.dimension}"
                )


def _check_expressions(q: Questionnaire) -> dict[tuple[str, str], Expr]:
    position = {item.code: n for n, item in enumerate(q.items)}
    parsed: dict[tuple[str, str], Expr] = {}
    for n, item in enumerate(q.items):
        for which in ("relevant", "constraint"):
            text = getattr(item, which)
            if text is None:
                continue
            where = f"item {item.code} {which}"
            try:
                expr = parse(text)
            except ExpressionSyntaxError as exc:
                raise _fail(f"{where}: {exc}") from None
            if which == "relevant" and expr.uses_current():
                raise _fail(f"{where}: '.' (the current answer) is only allowed in constraints")
            for code in sorted(expr.references()):
                if code not in position:
                    raise _fail(f"{where}: refers to unknown item {code!r}")
                if code == item.code:
                    raise _fail(f"{where}: use '.' to refer to this item's own answer")
                if position[code] >= n:
                    raise _fail(f"{where}: refers to {code!r}, which is not asked before this item")
            parsed[(item.code, which)] = expr
    return parsed
