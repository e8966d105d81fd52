"""The ranking as an SPSS .sav: the same rows and columns as the CSV/XLSX table
(:func:`api.exports.results.rankings_table`), with SPSS variable names, the bilingual headers as
variable labels, and value labels for the change label and the 临界 flag."""

from __future__ import annotations

from api.exports.responses import Column
from api.exports.results import CHANGE_HEADER, EXCLUSION_HEADER, GRADE_HEADER, RANKING_HEADER

_FIXED = [
    ("rank", "integer"),
    ("rank_interval", "string"),
    ("community", "string"),
    ("name", "string"),
    ("street", "string"),
    ("street_name", "string"),
    ("housing_type", "string"),
    ("n", "integer"),
    ("index", "number"),
    ("ci_low", "number"),
    ("ci_high", "number"),
    ("grade", "string"),
]
_EXCLUSIONS = [
    ("n_received", "integer"),
    ("n_excluded", "integer"),
    ("excluded_by_rule", "string"),
    ("n_scored", "integer"),
]
CHANGE_VALUES = [
    ("up", "显著提升", "significant rise"),
    ("down", "显著下降", "significant fall"),
    ("flat", "基本持平", "about the same"),
    ("undetermined", "无法判断", "cannot tell"),
]
BORDERLINE_VALUES = [("是 yes", "临界", "borderline"), ("否 no", "非临界", "not borderline")]


def _column(name: str, header: str, kind: str) -> Column:
    zh, _, en = header.partition(" ")
    return Column(name=name, label_zh=header, label_en=en or zh, type=kind)


def rankings_sav_columns(dimension_codes: list[str], labels: dict[str, str]) -> list[Column]:
    """One SPSS variable per column of the rankings table, in its order."""
    cols = [_column(n, h, k) for (n, k), h in zip(_FIXED, RANKING_HEADER, strict=True)]
    cols += [_column(n, h, k) for (n, k), h in zip(_EXCLUSIONS, EXCLUSION_HEADER, strict=True)]
    cols += [
        Column(
            name=code,
            label_zh=f"{code} {labels.get(code, '')}".strip(),
            label_en=code,
            type="number",
        )
        for code in dimension_codes
    ]
    cols.append(_column("note", "备注 note", "string"))
    change, words, q = CHANGE_HEADER
    cols.append(
        Column(
            name="change",
            label_zh=change,
            label_en="change",
            type="choice",
            values=list(CHANGE_VALUES),
        )
    )
    cols.append(_column("change_zh", words, "string"))
    cols.append(_column("q_value", q, "number"))
    rank_set, tier, p_grade, borderline = GRADE_HEADER
    cols.append(_column("rank_set", rank_set, "string"))
    cols.append(_column("tier", tier, "integer"))
    cols.append(_column("p_grade", p_grade, "number"))
    cols.append(
        Column(
            name="borderline",
            label_zh=borderline,
            label_en="borderline",
            type="choice",
            values=list(BORDERLINE_VALUES),
        )
    )
    return cols
