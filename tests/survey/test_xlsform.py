"""XLSForm export/import: exact round trip, pyxform compatibility, clear refusals."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from survey.errors import QuestionnaireDefinitionError
from survey.formats.xlsform import export_xlsform, import_xlsform
from survey.questionnaire.model import Questionnaire, load_default
from tests.support.questionnaires import small_definition


def test_default_round_trips_exactly() -> None:
    q = load_default()
    again = import_xlsform(export_xlsform(q))
    assert again == q
    assert again.definition_hash() == q.definition_hash()


def test_small_questionnaire_round_trips() -> None:
    definition = small_definition()
    definition["items"][4]["constraint"] = ". != 5"  # a rating with its own rule on top of 0–10
    definition["items"][6]["hint"] = {"zh": "=请说明", "en": None}  # looks like a formula
    q = Questionnaire.model_validate(definition)
    assert import_xlsform(export_xlsform(q)) == q


def test_export_sheets_and_mapping() -> None:
    book = load_workbook(io.BytesIO(export_xlsform(load_default())))
    assert book.sheetnames == ["survey", "choices", "settings", "meihao"]
    survey = list(book["survey"].iter_rows(values_only=True))
    header = survey[0]
    rows = [dict(zip(header, r, strict=True)) for r in survey[1:]]
    by_name = {r["name"]: r for r in rows if r["type"] not in ("end group",)}
    assert rows[0]["type"] == "note" and rows[0]["name"] == "meihao_notice"
    assert by_name["D2.5"]["type"] == "select_one agree5"
    assert by_name["D2.5"]["meihao_reverse"] == "yes"
    assert by_name["D2.5"]["meihao_subdimension"] == "D2c"
    assert by_name["O1"]["type"] == "integer"
    assert by_name["O1"]["constraint"] == ". >= 1 and . <= 10"
    assert by_name["P1"]["type"] == "select_multiple P1"
    assert by_name["P1"]["constraint"] == "count-selected(.) <= 3"
    assert by_name["P2"]["required"] is None
    assert by_name["D1"]["type"] == "begin group" and by_name["D1"]["meihao_dimension"] == "D1"
    settings = dict(zip(*book["settings"].iter_rows(values_only=True), strict=True))
    assert settings["form_id"] == "meihao" and settings["version"] == "1"
    assert settings["default_language"] == "zh"
    choices = list(book["choices"].iter_rows(values_only=True))
    assert ("agree5", "9", "不了解/不适用", "Don't know / not applicable", "yes") in choices


def test_formula_like_text_stays_text() -> None:
    definition = small_definition()
    definition["items"][0]["label"] = {"zh": '=HYPERLINK("http://x")', "en": "+1"}
    data = export_xlsform(Questionnaire.model_validate(definition))
    sheet = load_workbook(io.BytesIO(data))["survey"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")')
    assert cell.data_type == "s"


def test_pyxform_converts_the_export(tmp_path: Path) -> None:
    from pyxform.xls2xform import convert

    path = tmp_path / "meihao.xlsx"
    path.write_bytes(export_xlsform(load_default()))
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)
    assert warnings == []
    xform = result.xform
    assert "<h:title>成华区美好社区居民满意度调查</h:title>" in xform
    assert 'nodeset="/data/D2/D2.5"' in xform
    assert "count-selected( . ) &lt;= 3" in xform or "count-selected(.) &lt;= 3" in xform
    assert "relevant=\" /data/intro/age_18_plus  = 'yes'\"" in xform


def _workbook(survey: list[list[Any]], choices: list[list[Any]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        sheet = book.create_sheet("choices")
        for row in choices:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["type", "name", "label::zh", "label::en", "required", "relevant", "constraint"]
CHOICES = [["list_name", "name", "label::zh", "label::en"], ["yn", "yes", "是", "Yes"],
           ["yn", "no", "否", "No"], ["yn", 3, "三", None]]  # fmt: skip


def test_import_plain_xlsform() -> None:
    data = _workbook(
        [
            HEADER,
            ["select_one yn", "pet", "宠物", "Pet", "yes", None, None],
            ["begin group", "page2", "第二页", None, None, None, None],
            ["select_multiple yn", "many", "多选", None, None, "${pet} = 'yes'", None],
            ["integer", "kids", "孩子", None, "TRUE()", None, ". >= 0"],
            ["decimal", "height", "身高", None, "no", None, None],
            ["text", "note", "备注", None, None, None, None],
            ["end group", None, None, None, None, None, None],
        ],
        CHOICES,
    )
    q = import_xlsform(data)
    assert [s.code for s in q.sections] == ["main", "page2"]
    assert [(i.code, i.kind, i.required) for i in q.items] == [
        ("pet", "single_choice", True),
        ("many", "multi_choice", False),
        ("kids", "numeric", True),
        ("height", "numeric", False),
        ("note", "text", False),
    ]
    assert [o.value for o in q.item("pet").options] == ["yes", "no", "3"]  # type: ignore[union-attr]
    assert q.item("kids").constraint == ". >= 0"
    assert q.item("many").relevant == "${pet} = 'yes'"
    assert q.slug == "imported" and q.version == 1
    assert q.validate_answers({"pet": "no", "many": ["yes"], "kids": 0}) == {"pet": "no", "kids": 0}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["begin repeat", "r", "重复"]], "survey sheet, row 2: unsupported type 'begin repeat'"),
        ([["calculate", "c", "算"]], "row 2: unsupported type 'calculate'"),
        ([["geopoint", "g", "位置"]], "unsupported type 'geopoint'"),
        ([["text", "t", "文"], ["select_one_from_file a.csv", "f", "文件"]], "row 3: unsupported"),
        ([["select_one yn or_other", "o", "其他"]], "unsupported type"),
        ([["select_one nolist", "s", "选"]], "choice list 'nolist' is not on the choices sheet"),
        ([["begin group", "a", "甲"], ["begin group", "b", "乙"]], "row 3: nested groups"),
        ([["begin group", "a", "甲"], ["text", "t", "文"]], "group 'a' is never closed"),
        ([["end group", "a", None]], "end group without begin group"),
        ([[None, "t", "文"]], "row 2: missing type"),
        ([["text", None, "文"]], "row 2: missing name"),
        ([["text", "bad name", "文"]], "pattern"),
        ([["text", "t", "文", None, None, "${zz} = 1"]], "unknown item 'zz'"),
    ],
)
def test_import_refusals(rows: list[list[Any]], message: str) -> None:
    data = _workbook([HEADER, *rows], CHOICES)
    with pytest.raises(QuestionnaireDefinitionError, match=message):
        import_xlsform(data)


def test_unsupported_columns_named() -> None:
    data = _workbook(
        [["type", "name", "label::zh", "choice_filter"], ["select_one yn", "s", "选", "x = 1"]],
        CHOICES,
    )
    with pytest.raises(QuestionnaireDefinitionError, match="row 2: column 'choice_filter'"):
        import_xlsform(data)


def test_import_rejects_non_xlsx() -> None:
    with pytest.raises(QuestionnaireDefinitionError, match=r"not a readable \.xlsx"):
        import_xlsform(b"not a spreadsheet")
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(QuestionnaireDefinitionError, match="no 'survey' sheet"):
        import_xlsform(out.getvalue())
