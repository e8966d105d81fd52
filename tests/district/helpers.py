"""A small district register written the way a district office would: 4 streets, 12
communities, population cells of the default questionnaire."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from survey.formats.district_file import REQUIRED, margin_labels
from survey.questionnaire.model import load_default

CELLS = margin_labels(load_default())
HOUSING = ["商品房小区", "老旧院落/企业职工生活区", "安置小区", "保障性住房/人才公寓"]


def district_rows(n_streets: int = 4, per_street: int = 3) -> list[list[Any]]:
    """Header + one row per community; cell k of community j holds 100 + 10 j + k adults."""
    rows: list[list[Any]] = [[*REQUIRED, *CELLS]]
    j = 0
    for s in range(1, n_streets + 1):
        for c in range(1, per_street + 1):
            cells = [100 + 10 * j + k for k in range(len(CELLS))]
            rows.append(
                [
                    f"S{s:02d}",
                    f"第{s}街道",
                    f"S{s:02d}-{c:03d}",
                    f"{s}-{c}号社区",
                    HOUSING[j % len(HOUSING)],
                    sum(cells),
                    *cells,
                ]
            )
            j += 1
    return rows


def write_xlsx(path: Path, rows: list[list[Any]], sheet: str = "communities") -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path
