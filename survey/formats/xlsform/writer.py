"""XLSForm export: a :class:`Questionnaire` as an ``.xlsx`` XLSForm.

Standard columns carry what ODK/Kobo tools understand; ``meihao_*`` columns and the ``meihao``
sheet carry the rest (see ``survey.formats.xlsform``), so the file still converts with pyxform.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from survey.errors import QuestionnaireDefinitionError
from survey.formats.xlsform.layout import (
    CHOICE_COLUMNS,
    NOTICE_NAME,
    SETTINGS_COLUMNS,
    STRUCTURE_COLUMNS,
    SURVEY_COLUMNS,
    join_constraint,
    number_text,
)
from survey.questionnaire.model import (
    Item,
    LikertItem,
    LocalText,
    MultiChoiceItem,
    NumericItem,
    Questionnaire,
    RatingItem,
    SingleChoiceItem,
)

__all__ = ["export_xlsform"]


def export_xlsform(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an ``.xlsx`` XLSForm (survey, choices, settings, meihao sheets)."""
    q = questionnaire
    survey: list[dict[str, Any]] = [
        {"type": "note", "name": NOTICE_NAME, **_langs("label", q.notice)}
    ]
    choices: list[dict[str, Any]] = []
    for scale in q.scales:
        _clash(q, scale.code)
        for n, point in enumerate(scale.points):
            row = {
                "list_name": scale.code,
                "name": str(point.value),
                **_langs("label", point.label),
            }
            if n == 0 and scale.label is not None:
                row |= _langs("meihao_list_label", scale.label)
            choices.append(row)
        if scale.na_code is not None:
            choices.append(
                {
                    "list_name": scale.code,
                    "name": str(scale.na_code),
                    "meihao_na": "yes",
                    **_langs("label", scale.na_label),
                }
            )
    for section in q.sections:
        survey.append(
            {
                "type": "begin group",
                "name": section.code,
                **_langs("label", section.title),
                **_langs("meihao_description", section.description),
                "meihao_dimension": section.dimension,
            }
        )
        for item in q.items:
            if item.section == section.code:
                survey.append(_item_row(item))
                if isinstance(item, SingleChoiceItem | MultiChoiceItem):
                    for option in item.options:
                        choices.append(
                            {"list_name": item.code, "name": option.value}
                            | _langs("label", option.label)
                        )
        survey.append({"type": "end group", "name": section.code})
    structure: list[dict[str, Any]] = [
        {"level": "scale", "code": s.code, **_langs("label", s.label)} for s in q.scales
    ]
    for dim in q.dimensions:
        structure.append({"level": "dimension", "code": dim.code, **_langs("label", dim.label)})
        for sub in dim.subdimensions:
            structure.append(
                {"level": "subdimension", "code": sub.code, "parent": dim.code}
                | _langs("label", sub.label)
            )
    settings = {
        "form_title": q.title.zh,
        "form_id": q.slug,
        "version": str(q.version),
        "default_language": "zh",
        "meihao_title::en": q.title.en,
    }
    book = Workbook()
    _write(book.active, "survey", SURVEY_COLUMNS, survey)
    _write(book.create_sheet(), "choices", CHOICE_COLUMNS, choices)
    _write(book.create_sheet(), "settings", SETTINGS_COLUMNS, [settings])
    _write(book.create_sheet(), "meihao", STRUCTURE_COLUMNS, structure)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _clash(q: Questionnaire, scale_code: str) -> None:
    if q.has_item(scale_code) and q.item(scale_code).kind in ("single_choice", "multi_choice"):
        raise QuestionnaireDefinitionError(
            f"scale {scale_code} and choice item {scale_code} would share one XLSForm choice list"
        )


def _langs(column: str, text: LocalText | None) -> dict[str, str | None]:
    if text is None:
        return {}
    return {f"{column}::zh": text.zh, f"{column}::en": text.en}


def _item_row(item: Item) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": item.code,
        **_langs("label", item.label),
        **_langs("hint", item.hint),
        "required": "yes" if item.required else "",
        "relevant": item.relevant,
        **_langs("constraint_message", item.constraint_message),
        "meihao_kind": item.kind,
    }
    limits: list[str] = []
    if isinstance(item, LikertItem):
        row |= {
            "type": f"select_one {item.scale}",
            "meihao_subdimension": item.subdimension,
            "meihao_reverse": "yes" if item.reverse else "",
        }
    elif isinstance(item, RatingItem):
        row |= {
            "type": "integer",
            "meihao_low": item.low,
            "meihao_high": item.high,
            "meihao_outcome": "yes" if item.outcome else "",
            **_langs("meihao_low_label", item.low_label),
            **_langs("meihao_high_label", item.high_label),
        }
        limits = [f". >= {item.low}", f". <= {item.high}"]
    elif isinstance(item, SingleChoiceItem):
        row["type"] = f"select_one {item.code}"
    elif isinstance(item, MultiChoiceItem):
        row |= {
            "type": f"select_multiple {item.code}",
            "meihao_priority": "yes" if item.priority else "",
            "meihao_max_choices": item.max_choices,
        }
        if item.max_choices is not None:
            limits = [f"count-selected(.) <= {item.max_choices}"]
    elif isinstance(item, NumericItem):
        row |= {
            "type": "integer" if item.integer else "decimal",
            "meihao_min": item.min,
            "meihao_max": item.max,
        }
        limits = [f". >= {number_text(item.min)}"] if item.min is not None else []
        limits += [f". <= {number_text(item.max)}"] if item.max is not None else []
    else:
        row |= {"type": "text", "meihao_max_length": item.max_length}
        limits = [f"string-length(.) <= {item.max_length}"]
    row["constraint"] = join_constraint(limits, item.constraint)
    return row


def _write(sheet: Worksheet, title: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    sheet.title = title
    sheet.append(columns)
    for row in rows:
        sheet.append([None for _ in columns])
        for col, name in enumerate(columns, start=1):
            value = row.get(name)
            if value is None or value == "":
                continue
            cell = sheet.cell(row=sheet.max_row, column=col, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a label, never a formula
