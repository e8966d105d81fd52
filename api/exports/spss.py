"""SPSS .sav of a response export, with variable labels (the Chinese item text) and value labels.

pyreadstat writes a whole data frame at once, so this format is built in memory and refused
above ``SAV_MAX_ROWS``; CSV (streamed) plus the codebook serves larger waves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from api.exports.codebook import spss_codes
from api.exports.responses import Column

SAV_MAX_ROWS = 200_000
VALUE_LABEL_BYTES = 120  # SPSS's limit for one value label


def fit_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes without splitting a Chinese character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


class TooManyRows(ValueError):
    pass


def _numeric(column: Column, value: Any) -> float:
    if value is None:
        return math.nan
    if column.type == "choice":
        for index, (option, _zh, _en) in enumerate(column.values, start=1):
            if option == value:
                return float(index)
        return math.nan
    return float(value)


def write_sav(
    path: str, columns: list[Column], rows: Iterable[list[Any]], *, file_label: str
) -> int:
    """Write the rows to ``path``; returns how many were written."""
    import pandas as pd  # only this format needs pandas (pyreadstat writes data frames)
    import pyreadstat

    numeric = [c.type != "string" for c in columns]
    data: list[list[Any]] = [[] for _ in columns]
    count = 0
    for row in rows:
        count += 1
        if count > SAV_MAX_ROWS:
            raise TooManyRows(
                f"more than {SAV_MAX_ROWS} responses: download CSV with the codebook instead"
            )
        for j, (column, value) in enumerate(zip(columns, row, strict=True)):
            data[j].append(
                _numeric(column, value) if numeric[j] else ("" if value is None else str(value))
            )
    frame = pd.DataFrame(
        {
            c.name: pd.Series(values, dtype="float64" if numeric[j] else "object")
            for j, (c, values) in enumerate(zip(columns, data, strict=True))
        }
    )
    value_labels = {
        c.name: {float(code): fit_bytes(label, VALUE_LABEL_BYTES) for code, label in spss_codes(c)}
        for c in columns
        if c.values
    }
    missing: dict[str, list[Any]] = {
        c.name: [float(m) for m in c.missing] for c in columns if c.missing
    }
    measure = {
        c.name: (
            "nominal"
            if c.type in ("choice", "flag", "string")
            else "ordinal"
            if c.values
            else "scale"
        )
        for c in columns
    }
    pyreadstat.write_sav(
        frame,
        path,
        file_label=file_label[:64],
        column_labels={c.name: fit_bytes(c.label_marked, 255) for c in columns},
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_measure=measure,
    )
    return count
