"""The XLSForm sheet layout meihao reads and writes, and its range-constraint convention.

Shared by ``survey.formats.xlsform.writer`` and ``survey.formats.xlsform.reader``: the columns of
each sheet, the names with a fixed meaning, and how an item's built-in range (Likert/rating bounds,
numeric limits, text length, choice count) is joined with its own ``constraint`` on export and split
off again on import.
"""

from __future__ import annotations

__all__ = [
    "CHOICE_COLUMNS",
    "DEFAULT_SECTION",
    "LANGS",
    "NOTICE_NAME",
    "SETTINGS_COLUMNS",
    "STRUCTURE_COLUMNS",
    "SURVEY_COLUMNS",
    "UNSUPPORTED_COLUMNS",
    "YES",
    "join_constraint",
    "number_text",
    "split_constraint",
]

LANGS = ("zh", "en")
NOTICE_NAME = "meihao_notice"
DEFAULT_SECTION = "main"
SURVEY_COLUMNS = [
    "type",
    "name",
    "label::zh",
    "label::en",
    "hint::zh",
    "hint::en",
    "required",
    "relevant",
    "constraint",
    "constraint_message::zh",
    "constraint_message::en",
    "meihao_kind",
    "meihao_subdimension",
    "meihao_reverse",
    "meihao_outcome",
    "meihao_priority",
    "meihao_dimension",
    "meihao_description::zh",
    "meihao_description::en",
    "meihao_low",
    "meihao_high",
    "meihao_low_label::zh",
    "meihao_low_label::en",
    "meihao_high_label::zh",
    "meihao_high_label::en",
    "meihao_min",
    "meihao_max",
    "meihao_max_length",
    "meihao_max_choices",
]
CHOICE_COLUMNS = [
    "list_name",
    "name",
    "label::zh",
    "label::en",
    "meihao_na",
]
STRUCTURE_COLUMNS = ["level", "code", "parent", "label::zh", "label::en"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language", "meihao_title::en"]
UNSUPPORTED_COLUMNS = ("choice_filter", "repeat_count", "calculation", "trigger")
YES = {"yes", "true", "true()", "1"}


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def join_constraint(limits: list[str], own: str | None) -> str | None:
    """ODK sees the range and the item's own rule in one ``constraint``; import splits them."""
    if not limits:
        return own
    prefix = " and ".join(limits)
    return prefix if own is None else f"{prefix} and ({own})"


def split_constraint(text: str | None, limits: list[str]) -> str | None:
    if text is None or not limits:
        return text
    prefix = " and ".join(limits)
    if text == prefix:
        return None
    if text.startswith(prefix + " and (") and text.endswith(")"):
        return text[len(prefix) + 6 : -1]
    return text
