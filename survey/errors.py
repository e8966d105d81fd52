"""Domain errors raised by :mod:`survey`; ``api`` maps them to HTTP statuses."""

from __future__ import annotations

from dataclasses import dataclass, field


class SurveyError(Exception):
    """Base class of every error :mod:`survey` raises on purpose."""


class QuestionnaireDefinitionError(SurveyError):
    """A questionnaire definition that does not validate (duplicate codes, missing labels...)."""


@dataclass
class FieldProblem:
    """One problem with one answer: ``field`` is the item code (or a top-level field name).

    ``message`` is English (for integrators); ``message_zh``, when given, is the Chinese text a
    resident sees next to the question.
    """

    field: str
    message: str
    message_zh: str | None = None


@dataclass
class AnswerValidationError(SurveyError):
    """Answers that do not fit the questionnaire version; ``problems`` lists each field."""

    problems: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)


class NotFoundError(SurveyError):
    """A wave, community, questionnaire or other record that does not exist."""


class ConflictError(SurveyError):
    """A request that contradicts stored state (closed wave, changed answers under one id...)."""


class ImmutableError(ConflictError):
    """An attempt to change something published (a questionnaire version, a weight model)."""


class ImportFileError(SurveyError):
    """A file that cannot be read at all: missing, not CSV or XLSX, not UTF-8, broken.

    Problems with the header or with single rows are not raised: they go into the import's
    validation report (``survey.formats.paper.report``).
    """
