"""Questionnaire definitions: the :class:`Questionnaire` model, structural checks on
construction, answer validation and the shipped default.

A :class:`Questionnaire` is plain data (``survey/data/meihao-v1.json``); the index structure,
scales, skip logic and every label live in it so the official version can replace ours without
code changes. Its parts (items, scales, ...) are defined in :mod:`survey.questionnaire.parts` and
re-exported here. Field reference: ``docs/questionnaire.md``.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from survey.errors import QuestionnaireDefinitionError
from survey.questionnaire.checks import check_definition
from survey.questionnaire.expressions import Expr
from survey.questionnaire.parts import (
    CODE_PATTERN,
    NUMERIC_KINDS,
    VALUE_PATTERN,
    ChoiceItem,
    Code,
    Dimension,
    Item,
    LikertItem,
    LocalText,
    MultiChoiceItem,
    NumericItem,
    Option,
    OptionValue,
    RatingItem,
    Scale,
    ScalePoint,
    Section,
    SingleChoiceItem,
    SubDimension,
    TextItem,
    _Model,
)
from survey.questionnaire.validation import ValidationPlan, validate_answers, validate_partial

__all__ = [
    "CODE_PATTERN",
    "DEFAULT_PATH",
    "NUMERIC_KINDS",
    "VALUE_PATTERN",
    "ChoiceItem",
    "Code",
    "Dimension",
    "Item",
    "LikertItem",
    "LocalText",
    "MultiChoiceItem",
    "NumericItem",
    "Option",
    "OptionValue",
    "Questionnaire",
    "RatingItem",
    "Scale",
    "ScalePoint",
    "Section",
    "SingleChoiceItem",
    "SubDimension",
    "TextItem",
    "load_default",
    "load_questionnaire",
]

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "meihao-v1.json"


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "questionnaire"
        parts.append(f"{loc}: {err['msg']}")
    return "invalid questionnaire definition: " + "; ".join(parts)


class Questionnaire(_Model):
    """A versioned questionnaire; see ``docs/questionnaire.md`` and ``docs/interfaces.md``."""

    slug: Code
    version: int = Field(ge=1)
    title: LocalText
    notice: LocalText
    scales: list[Scale]
    dimensions: list[Dimension]
    sections: list[Section]
    items: list[Item]

    _by_code: dict[str, Item] = PrivateAttr(default_factory=dict)
    _exprs: dict[tuple[str, str], Expr] = PrivateAttr(default_factory=dict)
    _plan: ValidationPlan | None = PrivateAttr(default=None)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Self:
        """Validate a definition; every problem becomes a :class:`QuestionnaireDefinitionError`."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise QuestionnaireDefinitionError(_format_validation_error(exc)) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            raise QuestionnaireDefinitionError(_format_validation_error(exc)) from None

    @model_validator(mode="after")
    def _check_structure(self) -> Self:
        self._by_code = {item.code: item for item in self.items}
        self._exprs = check_definition(self)
        self._plan = ValidationPlan.build(self, self._exprs)
        return self

    # -- look-ups -----------------------------------------------------------------------------

    def item(self, code: str) -> Item:
        """The item with ``code``; ``KeyError`` if there is none."""
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(
                f"no item {code!r} in questionnaire {self.slug} v{self.version}"
            ) from None

    def has_item(self, code: str) -> bool:
        return code in self._by_code

    def scale(self, code: str) -> Scale:
        for scale in self.scales:
            if scale.code == code:
                return scale
        raise KeyError(f"no scale {code!r}")

    def item_scale(self, code: str) -> Scale:
        item = self.item(code)
        if not isinstance(item, LikertItem):
            raise KeyError(f"item {code!r} is not a likert item")
        return self.scale(item.scale)

    def main_items(self) -> list[LikertItem]:
        """The index items (likert items with a sub-dimension), in questionnaire order."""
        return [i for i in self.items if isinstance(i, LikertItem) and i.subdimension]

    def outcome_items(self) -> list[RatingItem]:
        """The overall-satisfaction ratings (O1–O3 in the default), in order."""
        return [i for i in self.items if isinstance(i, RatingItem) and i.outcome]

    def priority_item(self) -> MultiChoiceItem | None:
        """The stated-importance item (P1): options are sub-dimension codes."""
        for item in self.items:
            if isinstance(item, MultiChoiceItem) and item.priority:
                return item
        return None

    def items_in_section(self, section: str) -> list[Item]:
        if not any(s.code == section for s in self.sections):
            raise KeyError(f"no section {section!r}")
        return [i for i in self.items if i.section == section]

    def subdimension_codes(self) -> list[str]:
        return [s.code for d in self.dimensions for s in d.subdimensions]

    def subdimension_items(self, subdimension: str) -> list[LikertItem]:
        return [i for i in self.main_items() if i.subdimension == subdimension]

    def numeric_codes(self) -> list[str]:
        """Codes stored in the compact numeric vector, in questionnaire order.

        likert, rating and numeric items store their value; single_choice items store the
        1-based index of the chosen option (:meth:`option_index`). multi_choice and text are not
        in the vector.
        """
        return [i.code for i in self.items if i.kind in NUMERIC_KINDS]

    def option_index(self, code: str, value: str) -> int:
        """1-based position of option ``value`` of choice item ``code``."""
        item = self._choice_item(code)
        for index, option in enumerate(item.options, start=1):
            if option.value == value:
                return index
        raise KeyError(f"item {code!r} has no option {value!r}")

    def option_value(self, code: str, index: int) -> str:
        """Inverse of :meth:`option_index`."""
        item = self._choice_item(code)
        if isinstance(index, bool) or not 1 <= index <= len(item.options):
            raise KeyError(f"item {code!r} has no option number {index!r}")
        return item.options[index - 1].value

    def _choice_item(self, code: str) -> ChoiceItem:
        item = self.item(code)
        if not isinstance(item, SingleChoiceItem | MultiChoiceItem):
            raise KeyError(f"item {code!r} is not a choice item")
        return item

    def validation_plan(self) -> ValidationPlan:
        """The per-item look-ups of answer validation (survey/questionnaire/validation.py)."""
        if self._plan is None:  # pragma: no cover - set by the model validator
            self._plan = ValidationPlan.build(self, self._exprs)
        return self._plan

    def expression(self, code: str, which: Literal["relevant", "constraint"]) -> Expr | None:
        """The parsed ``relevant`` or ``constraint`` expression of an item, if any."""
        return self._exprs.get((code, which))

    # -- exports ------------------------------------------------------------------------------

    def framework_dict(self) -> dict[str, Any]:
        """The index tree for ``scoring`` (plain data, shape in ``docs/interfaces.md``)."""
        items = []
        for item in self.main_items():
            items.append(
                {"code": item.code, "points": self.scale(item.scale).size, "reverse": item.reverse}
            )
        dimensions = []
        for dim in self.dimensions:
            subs = []
            for sub in dim.subdimensions:
                children = [{"code": i.code} for i in self.subdimension_items(sub.code)]
                subs.append({"code": sub.code, "label": _text(sub.label), "children": children})
            dimensions.append({"code": dim.code, "label": _text(dim.label), "children": subs})
        return {
            "name": self.slug,
            "version": self.version,
            "items": items,
            "outcomes": [
                {"code": i.code, "low": i.low, "high": i.high} for i in self.outcome_items()
            ],
            "tree": {
                "code": "overall",
                "label": {"zh": "总指数", "en": "Overall"},
                "children": dimensions,
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe definition (``None`` fields left out); ``model_validate`` inverts it."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def definition_hash(self) -> str:
        """sha256 of the canonical JSON (defaults left out, keys sorted): pins immutability."""
        canonical = json.dumps(
            self.model_dump(mode="json", exclude_defaults=True),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def validate_answers(self, answers: Any) -> dict[str, Any]:
        """Cleaned answers (hidden items dropped); raises ``AnswerValidationError``."""
        return validate_answers(self, answers)

    def validate_partial(self, answers: Any) -> dict[str, Any]:
        """Types and ranges only, for autosaved drafts."""
        return validate_partial(self, answers)


def _text(text: LocalText) -> dict[str, str]:
    return text.model_dump(exclude_none=True)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and validate a questionnaire JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QuestionnaireDefinitionError(f"cannot read questionnaire {path}: {exc}") from exc
    return Questionnaire.model_validate(data)


@lru_cache(maxsize=1)
def load_default() -> Questionnaire:
    """The shipped default questionnaire (``survey/data/meihao-v1.json``), cached."""
    return load_questionnaire(DEFAULT_PATH)
