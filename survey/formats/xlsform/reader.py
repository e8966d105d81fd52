"""XLSForm import: an ``.xlsx`` XLSForm in the supported subset as a :class:`Questionnaire`.

Anything outside the subset documented in ``docs/questionnaire.md`` is refused with the sheet
and row it was found on.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from typing import Any

from openpyxl import load_workbook

from survey.errors import QuestionnaireDefinitionError
from survey.formats.xlsform.layout import (
    DEFAULT_SECTION,
    NOTICE_NAME,
    UNSUPPORTED_COLUMNS,
    YES,
    number_text,
    split_constraint,
)
from survey.questionnaire.model import Questionnaire

__all__ = ["import_xlsform"]


class _Row:
    """One sheet row as ``column -> text`` with its sheet name and 1-based row number."""

    def __init__(self, sheet: str, line: int, values: dict[str, str]) -> None:
        self.sheet, self.line, self.values = sheet, line, values

    def where(self) -> str:
        return f"{self.sheet} sheet, row {self.line}"

    def get(self, column: str) -> str | None:
        return self.values.get(column) or None

    def flag(self, column: str) -> bool:
        return (self.get(column) or "").strip().lower() in YES

    def text(self, column: str) -> dict[str, Any] | None:
        zh = self.get(f"{column}::zh") or self.get(column)
        en = self.get(f"{column}::en")
        if zh is None and en is None:
            return None
        return {"zh": zh or "", "en": en}

    def number(self, column: str) -> float | None:
        raw = self.get(column)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise _error(self, f"{column} must be a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise _error(self, f"{column} must be a finite number")
        return value

    def integer(self, column: str) -> int | None:
        value = self.number(column)
        if value is None:
            return None
        if not value.is_integer():
            raise _error(self, f"{column} must be a whole number")
        return int(value)


def _error(row: _Row, message: str) -> QuestionnaireDefinitionError:
    return QuestionnaireDefinitionError(f"{row.where()}: {message}")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(book: Any, name: str, *, required: bool = True) -> Iterator[_Row]:
    if name not in book.sheetnames:
        if required:
            raise QuestionnaireDefinitionError(f"the XLSForm has no {name!r} sheet")
        return
    rows = book[name].iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        cells = {h: _cell_text(v) for h, v in zip(header, values, strict=False) if h}
        if any(cells.values()):
            yield _Row(name, number, cells)


def import_xlsform(data: bytes) -> Questionnaire:
    """Read an XLSForm (``.xlsx`` bytes) in the supported subset into a :class:`Questionnaire`."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not an xlsx
        raise QuestionnaireDefinitionError(f"not a readable .xlsx file: {exc}") from None
    try:
        return _import(book)
    finally:
        book.close()


def _import(book: Any) -> Questionnaire:
    settings = next(_rows(book, "settings", required=False), None)
    lists: dict[str, list[_Row]] = {}
    for row in _rows(book, "choices", required=False):
        if row.get("list_name") is None or row.get("name") is None:
            raise _error(row, "a choice needs list_name and name")
        lists.setdefault(row.values["list_name"], []).append(row)

    dimensions: list[dict[str, Any]] = []
    scale_labels: dict[str, dict[str, Any] | None] = {}
    for row in _rows(book, "meihao", required=False):
        label = row.text("label")
        if row.get("level") == "scale":
            scale_labels[row.values.get("code", "")] = label
        elif row.get("level") == "dimension":
            dimensions.append({"code": row.get("code"), "label": label, "subdimensions": []})
        elif row.get("level") == "subdimension":
            parent = next((d for d in dimensions if d["code"] == row.get("parent")), None)
            if parent is None:
                raise _error(row, f"unknown parent dimension {row.get('parent')!r}")
            parent["subdimensions"].append({"code": row.get("code"), "label": label})
        else:
            raise _error(row, f"unknown level {row.get('level')!r}")

    notice: dict[str, Any] | None = None
    sections: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    scales: dict[str, dict[str, Any]] = {}
    group: str | None = None  # the open group, if any
    for row in _rows(book, "survey"):
        for column in UNSUPPORTED_COLUMNS:
            if row.get(column):
                raise _error(row, f"column {column!r} is not supported")
        kind = (row.get("type") or "").split()
        if not kind:
            raise _error(row, "missing type")
        if kind[0] == "note" and row.get("name") == NOTICE_NAME:
            notice = row.text("label")
        elif row.values["type"] == "begin group":
            if group is not None:
                raise _error(row, "nested groups are not supported")
            group = row.get("name")
            if group is None:
                raise _error(row, "a group needs a name")
            sections.append(
                {
                    "code": group,
                    "title": row.text("label") or {"zh": group},
                    "description": row.text("meihao_description"),
                    "dimension": row.get("meihao_dimension"),
                }
            )
        elif row.values["type"] == "end group":
            if group is None:
                raise _error(row, "end group without begin group")
            group = None
        else:
            section = group
            if section is None:  # questions outside any group form one default page
                section = DEFAULT_SECTION
                if not sections or sections[-1]["code"] != DEFAULT_SECTION:
                    sections.append({"code": section, "title": {"zh": "问卷", "en": "Survey"}})
            items.append(_import_item(row, kind, section, lists, scales))
    if group is not None:
        raise QuestionnaireDefinitionError(f"group {group!r} is never closed (end group)")

    title_zh = settings.get("form_title") if settings else None
    definition = {
        "slug": (settings.get("form_id") if settings else None) or "imported",
        "version": (settings.integer("version") if settings else None) or 1,
        "title": {
            "zh": title_zh or "问卷",
            "en": settings.get("meihao_title::en") if settings else None,
        },
        "notice": notice or {"zh": title_zh or "问卷"},
        "scales": [s | {"label": scale_labels.get(s["code"])} for s in scales.values()],
        "dimensions": dimensions,
        "sections": sections,
        "items": items,
    }
    return Questionnaire.model_validate(definition)


def _options(row: _Row, lists: dict[str, list[_Row]], name: str) -> list[dict[str, Any]]:
    if name not in lists:
        raise _error(row, f"choice list {name!r} is not on the choices sheet")
    return [{"value": c.values["name"], "label": c.text("label")} for c in lists[name]]


def _import_item(
    row: _Row,
    kind: list[str],
    section: str,
    lists: dict[str, list[_Row]],
    scales: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    code = row.get("name")
    if code is None:
        raise _error(row, "missing name")
    xls_type = kind[0]
    meihao_kind = row.get("meihao_kind")
    item: dict[str, Any] = {
        "code": code,
        "label": row.text("label") or {"zh": code},
        "section": section,
        "required": row.flag("required"),
        "relevant": row.get("relevant"),
        "constraint_message": row.text("constraint_message"),
        "hint": row.text("hint"),
    }
    constraint = row.get("constraint")
    limits: list[str] = []
    if xls_type in ("select_one", "select_multiple"):
        if len(kind) != 2 or "or_other" in kind:
            raise _error(row, f"unsupported type {row.values['type']!r}")
        list_name = kind[1]
        if xls_type == "select_one" and meihao_kind == "likert":
            scales.setdefault(list_name, _import_scale(row, lists, list_name))
            item |= {
                "kind": "likert",
                "scale": list_name,
                "subdimension": row.get("meihao_subdimension"),
                "reverse": row.flag("meihao_reverse"),
            }
        elif xls_type == "select_one":
            item |= {"kind": "single_choice", "options": _options(row, lists, list_name)}
        else:
            max_choices = row.integer("meihao_max_choices")
            item |= {
                "kind": "multi_choice",
                "options": _options(row, lists, list_name),
                "max_choices": max_choices,
                "priority": row.flag("meihao_priority"),
            }
            if max_choices is not None:
                limits = [f"count-selected(.) <= {max_choices}"]
    elif xls_type == "integer" and meihao_kind == "rating":
        low, high = row.integer("meihao_low"), row.integer("meihao_high")
        if low is None or high is None:
            raise _error(row, "a rating needs meihao_low and meihao_high")
        item |= {
            "kind": "rating",
            "low": low,
            "high": high,
            "low_label": row.text("meihao_low_label") or {"zh": str(low)},
            "high_label": row.text("meihao_high_label") or {"zh": str(high)},
            "outcome": row.flag("meihao_outcome"),
        }
        limits = [f". >= {low}", f". <= {high}"]
    elif xls_type in ("integer", "decimal") and len(kind) == 1:
        low_n, high_n = row.number("meihao_min"), row.number("meihao_max")
        item |= {"kind": "numeric", "min": low_n, "max": high_n, "integer": xls_type == "integer"}
        limits = [f". >= {number_text(low_n)}"] if low_n is not None else []
        limits += [f". <= {number_text(high_n)}"] if high_n is not None else []
    elif xls_type == "text" and len(kind) == 1:
        max_length = row.integer("meihao_max_length")
        item["kind"] = "text"
        if max_length is not None:
            item["max_length"] = max_length
            limits = [f"string-length(.) <= {max_length}"]
    else:
        raise _error(row, f"unsupported type {row.values['type']!r}")
    item["constraint"] = split_constraint(constraint, limits)
    return item


def _import_scale(row: _Row, lists: dict[str, list[_Row]], name: str) -> dict[str, Any]:
    if name not in lists:
        raise _error(row, f"choice list {name!r} is not on the choices sheet")
    points, na_code, na_label = [], None, None
    for choice in lists[name]:
        value = choice.integer("name")
        if choice.flag("meihao_na"):
            na_code, na_label = value, choice.text("label")
        else:
            points.append({"value": value, "label": choice.text("label")})
    return {
        "code": name,
        "points": points,
        "na_code": na_code,
        "na_label": na_label,
    }
