"""Writing tables as CSV (streamed, UTF-8 with BOM) and XLSX (write-only, via a temp file),
with every text cell made inert for spreadsheet programs.

Excel, WPS and LibreOffice run a cell that starts with ``= + - @`` (or a tab or carriage return
that some of them strip first) as a formula, so an answer like ``=HYPERLINK("http://x","点我")``
would become a live link or worse. Such text gets a leading single quote, the convention these
programs themselves use for "this is text", as OWASP recommends. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook
from starlette.background import BackgroundTask

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # without it, Excel on Chinese Windows reads UTF-8 as GBK and shows mojibake
CSV_CHUNK_ROWS = 1000
# Excel's limit is 32,767 characters per cell; longer text is cut rather than corrupting the file.
XLSX_MAX_CELL = 32_000
_XML_ILLEGAL = {c: None for c in range(32) if chr(c) not in "\t\n\r"}


def inert(value: Any) -> Any:
    """The value as a spreadsheet should store it: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


Row = Sequence[Any]


@dataclass
class Table:
    """A sheet: a title, a header row and the data rows (an iterator, consumed once)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Row]


def csv_chunks(table: Table, chunk_rows: int = CSV_CHUNK_ROWS) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a BOM, yielded in chunks of rows (never the whole file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([inert(h) for h in table.header])
    pending = 0
    for row in table.rows:
        writer.writerow(["" if v is None else inert(v) for v in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    value = inert(value)
    if isinstance(value, str):
        # Control characters are illegal in XML and would make openpyxl refuse the whole file.
        return value.translate(_XML_ILLEGAL)[:XLSX_MAX_CELL]
    return value


def write_xlsx(path: str, tables: Sequence[Table]) -> None:
    """Write the tables as sheets of one workbook; write-only mode keeps memory flat."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31])
        sheet.append([_xlsx_value(h) for h in table.header])
        for row in table.rows:
            sheet.append([_xlsx_value(v) for v in row])
    workbook.save(path)


def content_disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def csv_response(filename: str, table: Table) -> StreamingResponse:
    return StreamingResponse(
        csv_chunks(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def temp_path(suffix: str) -> str:
    handle, path = tempfile.mkstemp(prefix="meihao-export-", suffix=suffix)
    os.close(handle)
    return path


def file_response(path: str, filename: str, media_type: str) -> FileResponse:
    """Send a finished temp file and delete it afterwards."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        headers={"Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"},
        background=BackgroundTask(os.unlink, path),
    )


def xlsx_response(filename: str, tables: Sequence[Table]) -> FileResponse:
    path = temp_path(".xlsx")
    try:
        write_xlsx(path, tables)
    except BaseException:
        os.unlink(path)
        raise
    return file_response(path, filename, XLSX_TYPE)
