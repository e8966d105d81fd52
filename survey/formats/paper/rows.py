"""One chunk of sheet rows on its way in: cells by column, the fixed columns read, and every
problem found so far, by row (what ``survey.formats.paper.importer`` validates, stages and stores).

Work is done per column, and per *distinct* value where a column repeats itself (communities,
waves, answers), so the cost per row stays a few dictionary look-ups.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from survey.formats.paper.cells import MISSING, HeaderLayout, parse_times
from survey.formats.paper.report import ReportLine
from survey.questionnaire.batch_validation import Column

__all__ = ["Chunk", "factorise"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CANONICAL_UUID = re.compile(_UUID)
_CANONICAL_COLUMN = re.compile(rf"(?:{_UUID})?(?:\n(?:{_UUID})?)*")
NO_NAME = ("has a value but its column has no name in row 1", "该列没有列名")


class _Distinct(dict[str, int]):
    """Each new text gets the next index, on first sight."""

    def __missing__(self, key: str) -> int:
        index = self[key] = len(self)
        return index


def factorise(cells: tuple[str, ...] | list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts of a column, in order of appearance, and each cell's index into them."""
    distinct = _Distinct()
    index = np.fromiter(map(distinct.__getitem__, cells), dtype=np.intp, count=len(cells))
    return list(distinct), index


class Chunk:
    def __init__(self, numbers: list[int], rows: list[list[str]], layout: HeaderLayout) -> None:
        self.numbers, self.n, self.layout = numbers, len(rows), layout
        self.problems: dict[int, list[ReportLine]] = {}
        width = len(layout.names)
        if set(map(len, rows)) != {width}:
            rows = [self._fit(i, r, width) for i, r in enumerate(rows)]
        self.cells: list[tuple[str, ...]] = list(zip(*rows, strict=True))
        for position in layout.unnamed:
            for i, cell in enumerate(self.cells[position]):
                if cell.strip():
                    self._add(i, layout.letter(position), cell, *NO_NAME)

    def _fit(self, i: int, row: list[str], width: int) -> list[str]:
        if len(row) < width:
            return row + [""] * (width - len(row))
        for position in range(width, len(row)):
            if row[position].strip():
                self._add(i, self.layout.letter(position), row[position], *NO_NAME)
        return row[:width]

    def _add(self, i: int, column: str, value: str, message: str, zh: str) -> None:
        line = ReportLine(self.numbers[i], column, value, message, zh)
        self.problems.setdefault(i, []).append(line)

    def problem(self, i: int, column: str, message: str, zh: str = "") -> None:
        """Record a problem with row ``i``'s cell in ``column`` (its text goes in the report)."""
        position = self.layout.position.get(column)
        self._add(i, column, self.cells[position][i] if position is not None else "", message, zh)

    def column(self, name: str) -> tuple[str, ...]:
        position = self.layout.position.get(name)
        return self.cells[position] if position is not None else ("",) * self.n

    def valid_rows(self) -> np.ndarray:
        ok = np.ones(self.n, dtype=bool)
        ok[list(self.problems)] = False
        return np.flatnonzero(ok)

    def lines(self) -> Iterator[ReportLine]:
        for i in sorted(self.problems):
            yield from self.problems[i]

    # -- the fixed columns --

    def communities(self, known: dict[str, int]) -> tuple[list[str], list[int]]:
        """Per row, the community code and its id (0 when unknown, with a problem)."""
        distinct, index = factorise(self.column("community"))
        codes = [c.strip() for c in distinct]
        ids = [known.get(c, 0) for c in codes]
        for i in np.flatnonzero(np.array(ids)[index] == 0).tolist():
            code = codes[index[i]]
            if code:
                self.problem(i, "community", f"unknown community code {code!r}", "社区编码不存在")
            else:
                self.problem(
                    i, "community", "is empty: every row needs the community code", "请填写社区编码"
                )
        rows = index.tolist()
        return [codes[j] for j in rows], [ids[j] for j in rows]

    def check_wave(self, wave: str) -> None:
        """An empty wave cell means the import's wave; another wave is a problem."""
        distinct, index = factorise(self.column("wave"))
        wrong = np.array([v.strip() not in ("", wave) for v in distinct])[index]
        for i in np.flatnonzero(wrong).tolist():
            given = distinct[index[i]].strip()
            self.problem(
                i,
                "wave",
                f"this row is for wave {given!r}, but the file is being "
                f"imported into wave {wave!r}",
                "调查期次与导入的期次不符",
            )

    def client_ids(self) -> list[str]:
        """Per row, the client id in canonical form, or "" when the cell is empty."""
        cells = self.column("client_id")
        # The usual column (canonical ids or empty cells) is checked in one regex pass.
        if _CANONICAL_COLUMN.fullmatch("\n".join(cells)):
            return list(cells)
        out = []
        for i, raw in enumerate(cells):
            text = raw.strip()
            if text and not _CANONICAL_UUID.fullmatch(text):
                try:  # what check_client_id accepts: upper case, braces, no dashes...
                    text = str(uuid.UUID(text))
                except ValueError:
                    self.problem(
                        i,
                        "client_id",
                        "must be a UUID such as '0b6c1c7e-5d0b-4c47-9a43-2f3d3b1f6a10', or be "
                        "left empty",
                        "编号格式不正确,可留空",
                    )
            out.append(text)
        return out

    def times(self, naive_timezone: tzinfo, now: datetime) -> tuple[np.ndarray, np.ndarray]:
        """started_at and submitted_at as µs since the epoch (``MISSING`` when empty)."""
        found = {}
        for column in ("started_at", "submitted_at"):
            found[column], bad = parse_times(self.column(column), naive_timezone)
            for i in bad:
                self.problem(
                    i,
                    column,
                    "is not a date and time such as 2026-05-12 09:30 or 2026-05-12T09:30:00+08:00",
                    "日期时间格式不正确",
                )
        started, submitted = found["started_at"], found["submitted_at"]
        # A day of slack: a phone or laptop clock a few hours off is no reason to refuse a row.
        limit = int((now + timedelta(days=1)).timestamp() * 1e6)
        for column, moments in found.items():
            for i in np.flatnonzero(moments > limit).tolist():
                self.problem(i, column, "lies in the future", "时间晚于当前时间")
        timed = (submitted != MISSING) & (started != MISSING)
        for i in np.flatnonzero(timed & (started > submitted)).tolist():
            self.problem(i, "started_at", "is later than submitted_at", "开始时间晚于提交时间")
        return started, submitted

    def answer_columns(self, converters: dict[str, Callable[[str], Any]]) -> dict[str, Column]:
        """The item columns for the batch validator: each distinct text converted once."""
        columns = {}
        for code, convert in converters.items():
            distinct, index = factorise(self.column(code))
            columns[code] = Column([convert(text) for text in distinct], index)
        return columns
