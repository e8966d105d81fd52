"""The parts a questionnaire is made of: texts, scales, dimensions, sections and the item kinds.

Plain pydantic data with no behaviour beyond their own fields, so the structural checks
(:mod:`survey.questionnaire.checks`) and answer validation (:mod:`survey.questionnaire.validation`)
can use them without importing :mod:`survey.questionnaire.model`, which uses both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.\-]{0,39}$"
VALUE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN)]
OptionValue = Annotated[str, Field(pattern=VALUE_PATTERN)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalText(_Model):
    """A text in Chinese (what residents see) and English (UI and researchers)."""

    zh: str = Field(min_length=1)
    en: str | None = None

    def get(self, lang: str = "zh") -> str:
        """The text in ``lang``, falling back to Chinese."""
        return self.en if lang == "en" and self.en else self.zh


class ScalePoint(_Model):
    value: int
    label: LocalText


class Scale(_Model):
    """A labelled response scale; ``points`` in display order, values exactly 1..k."""

    code: Code
    label: LocalText | None = None
    points: list[ScalePoint]
    na_code: int | None = 9
    na_label: LocalText | None = None

    @property
    def size(self) -> int:
        return len(self.points)

    def allowed_values(self) -> set[int]:
        values = {p.value for p in self.points}
        if self.na_code is not None:
            values.add(self.na_code)
        return values


class Option(_Model):
    value: OptionValue
    label: LocalText


class SubDimension(_Model):
    code: Code
    label: LocalText


class Dimension(_Model):
    code: Code
    label: LocalText
    subdimensions: list[SubDimension]


class Section(_Model):
    """One page of the form; ``dimension`` ties a page to one index dimension."""

    code: Code
    title: LocalText
    description: LocalText | None = None
    dimension: Code | None = None


class _ItemBase(_Model):
    code: Code
    label: LocalText
    section: Code
    required: bool = True
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: LocalText | None = None
    hint: LocalText | None = None


class LikertItem(_ItemBase):
    kind: Literal["likert"]
    scale: Code
    subdimension: Code | None = None
    reverse: bool = False


class RatingItem(_ItemBase):
    kind: Literal["rating"]
    low: int
    high: int
    low_label: LocalText
    high_label: LocalText
    outcome: bool = False


class SingleChoiceItem(_ItemBase):
    kind: Literal["single_choice"]
    options: list[Option]


class MultiChoiceItem(_ItemBase):
    kind: Literal["multi_choice"]
    options: list[Option]
    max_choices: int | None = Field(default=None, ge=1)
    priority: bool = False
    """Stated importance: the option values are sub-dimension codes (P1)."""


class NumericItem(_ItemBase):
    kind: Literal["numeric"]
    min: float | None = None
    max: float | None = None
    integer: bool = True


class TextItem(_ItemBase):
    kind: Literal["text"]
    max_length: int = Field(default=500, ge=1, le=10000)


Item = Annotated[
    LikertItem | RatingItem | SingleChoiceItem | MultiChoiceItem | NumericItem | TextItem,
    Field(discriminator="kind"),
]
ChoiceItem = SingleChoiceItem | MultiChoiceItem
NUMERIC_KINDS = frozenset({"likert", "rating", "numeric", "single_choice"})
