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
    "反向计分 reverse-keyed",
]


def spss_codes(column: Column) -> list[tuple[int, str]]:
    """Numeric codes SPSS stores for the column (a single choice is coded by option position)."""
    if column.type == "choice":
        return [
            (i, f"{zh} / {en} ({value})")
            for i, (value, zh, en) in enumerate(column.values, start=1)
        ]
    codes = [(int(value), f"{zh} / {en}" if en else zh) for value, zh, en in column.values]
    if not column.reverse:
        return codes
    points = [code for code, _ in codes if code not in column.missing]
    top = max(points) + min(points)
    return [
        (code, label if code in column.missing else f"[计分 scored {top - code}] {label}")
        for code, label in codes
    ]


def reverse_note(column: Column) -> str:
    """What the codebook says of a reverse-keyed item ("" for the others)."""
    if not column.reverse:
        return ""
    points = [int(v) for v, _zh, _en in column.values if int(v) not in column.missing]
    low, high = min(points), max(points)
    return (
        f"是：计分时反向换算（{low}↔{high}） / yes: scored reversed (score = {low + high} − answer)"
    )


def codebook_table(columns: list[Column]) -> Table:
    rows = []
    for c in columns:
        values = " | ".join(f"{v} = {zh} / {en}" if en else f"{v} = {zh}" for v, zh, en in c.values)
        codes = (
            " | ".join(f"{code} = {label}" for code, label in spss_codes(c))
            if (c.type == "choice" or c.reverse)
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
                reverse_note(c),
            ]
        )
    return Table("变量说明 codebook", CODEBOOK_HEADER, rows)
