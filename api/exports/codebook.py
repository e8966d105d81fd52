"""The codebook of a response export: one row per variable, in the export's column order."""

from __future__ import annotations

from api.exports.cells import Table
from api.exports.responses import Column

CODEBOOK_HEADER = [
    "变量 variable",
    "题目代码 item code",
    "标签 label (zh)",
    "label (en)",
    "类型 type",
    "取值 values",
    "SPSS 数值编码 SPSS codes",
    "缺失值 missing codes",
]


def spss_codes(column: Column) -> list[tuple[int, str]]:
    """Numeric codes SPSS stores for the column (a single choice is coded by option position)."""
    if column.type == "choice":
        return [
            (i, f"{zh} / {en} ({value})")
            for i, (value, zh, en) in enumerate(column.values, start=1)
        ]
    return [(int(value), f"{zh} / {en}" if en else zh) for value, zh, en in column.values]


def codebook_table(columns: list[Column]) -> Table:
    rows = []
    for c in columns:
        values = " | ".join(f"{v} = {zh} / {en}" if en else f"{v} = {zh}" for v, zh, en in c.values)
        codes = (
            " | ".join(f"{code} = {label}" for code, label in spss_codes(c))
            if (c.type == "choice")
            else ""
        )
        rows.append(
            [
                c.name,
                c.code,
                c.label_zh,
                c.label_en,
                c.type,
                values,
                codes,
                " ".join(str(m) for m in c.missing),
            ]
        )
    return Table("变量说明 codebook", CODEBOOK_HEADER, rows)
