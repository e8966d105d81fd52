"""Reading the sheets grid workers fill in: CSV (UTF-8, with or without BOM) or XLSX.

Every cell comes out as text, whichever the file type, so one set of parsing rules applies to
both: Excel's ``4.0`` becomes ``"4"``, ``TRUE`` becomes ``"TRUE"``, a date cell its ISO text.
Rows are numbered as a spreadsheet shows them (the header is row 1), which is what the
validation report and the generated client ids refer to. Rows are read lazily, in chunks, so a
million-row file never sits in memory at once.
"""

from __future__ import annotations

import csv
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

from survey.errors import ImportFileError

__all__ = ["Sheet", "cell_text", "column_letter", "open_sheet"]

SUFFIXES = (".csv", ".xlsx")


def column_letter(position: int) -> str:
    """Spreadsheet name of the 0-based column ``position``: A, B, ... Z, AA, AB..."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


@dataclass
class Sheet:
    """A header and a lazy source of data rows, each a list of cell texts."""

    path: Path
    header: list[str]
    _take: Callable[[int], list[list[str]]]  # the next rows, at most that many
    blank_rows: int = 0

    def chunks(self, size: int) -> Iterator[tuple[list[int], list[list[str]]]]:
        """(row numbers, rows) in chunks of up to ``size``; blank rows are counted and left out."""
        first = 2
        while rows := self._take(size):
            numbers = list(range(first, first + len(rows)))
            first += len(rows)
            # Most rows start with a filled cell; the others are joined, and isspace() stops at
            # the first visible character ("" is not "space" either).
            keep = [
                bool(row and row[0].strip()) or (any(row) and not "".join(row).isspace())
                for row in rows
            ]
            if not all(keep):
                self.blank_rows += keep.count(False)
                numbers = [n for n, k in zip(numbers, keep, strict=True) if k]
                rows = [r for r, k in zip(rows, keep, strict=True) if k]
                if not rows:
                    continue
            yield numbers, rows


@contextmanager
def open_sheet(path: str | Path) -> Iterator[Sheet]:
    """Open a CSV or XLSX file; raises :class:`ImportFileError` when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported")
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    opener = _open_csv if suffix == ".csv" else _open_xlsx
    with opener(path) as sheet:
        yield sheet


@contextmanager
def _open_csv(path: Path) -> Iterator[Sheet]:
    # utf-8-sig drops the BOM Excel writes with "CSV UTF-8"; newline="" lets csv see quoted
    # line breaks inside a cell.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)

        def take(size: int) -> list[list[str]]:
            # Decoding and syntax errors become one clear message.
            try:
                return list(islice(reader, size))
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"{path.name} is not UTF-8 text (the problem is near line "
                    f"{reader.line_num + 1}). In Excel choose Save As → 'CSV UTF-8 (逗号分隔)', "
                    "or import the .xlsx file itself."
                ) from None
            except csv.Error as exc:
                raise ImportFileError(
                    f"{path.name}, line {reader.line_num}: not valid CSV ({exc})"
                ) from None

        header = take(1)
        if not header:
            raise ImportFileError(f"{path.name} is empty: row 1 must hold the column names")
        yield Sheet(path, header[0], take)


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it does not read; we need values.
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong size; read to the real end
        rows = ([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
        header = next(rows, None)
        if header is None:
            raise ImportFileError(
                f"{path.name}: the first sheet is empty; row 1 must hold the column names"
            )
        yield Sheet(path, header, lambda size: list(islice(rows, size)))
    finally:
        book.close()
