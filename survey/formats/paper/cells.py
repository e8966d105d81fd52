"""The paper-import format: its header, and how cell texts become answers and times.

Columns ``wave, community, client_id, started_at, submitted_at`` (only ``community`` is
mandatory), then one column per item code of the wave's questionnaire version, in any order.
An empty cell is no answer; numbers may be written ``4`` or ``4.0``; a multi-choice cell holds
option values separated by spaces. What the answers must satisfy is decided by
``survey.questionnaire.validation`` alone; this module only turns text into the values it checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from survey.formats.paper.report import ImportReport, ReportLine
from survey.formats.tabular import column_letter

__all__ = [
    "FIXED_COLUMNS",
    "MISSING",
    "HeaderLayout",
    "converter",
    "parse_times",
    "read_header",
    "storage_times",
]

FIXED_COLUMNS = ("wave", "community", "client_id", "started_at", "submitted_at")
MISSING = np.iinfo(np.int64).min  # "no time given" in the µs-since-epoch arrays
_MULTI_SEPARATORS = re.compile(r"[\s,;，；、]+")


# -- header -------------------------------------------------------------------------------------


@dataclass
class HeaderLayout:
    names: list[str]
    position: dict[str, int] = field(default_factory=dict)  # fixed columns and item codes
    items: dict[str, int] = field(default_factory=dict)  # item code → column position
    unnamed: list[int] = field(default_factory=list)  # columns with an empty header cell

    def letter(self, position: int) -> str:
        return f"column {column_letter(position)}"


def read_header(header: Sequence[str], questionnaire: Any, report: ImportReport) -> HeaderLayout:
    """Map column names to positions; every problem goes into ``report`` as a row-1 line."""
    layout = HeaderLayout([h.strip() for h in header])
    for position, name in enumerate(layout.names):
        if not name:
            layout.unnamed.append(position)
            continue
        if name in layout.position:
            first = column_letter(layout.position[name])
            report.add(
                ReportLine(
                    1,
                    name,
                    header[position],
                    f"appears twice (columns {first} and {column_letter(position)})",
                    "列名重复",
                )
            )
            continue
        if name not in FIXED_COLUMNS and not questionnaire.has_item(name):
            report.add(
                ReportLine(
                    1,
                    layout.letter(position),
                    header[position],
                    f"{name!r} is neither a column of the paper-import format ("
                    f"{', '.join(FIXED_COLUMNS)}) nor a question code of questionnaire "
                    f"{questionnaire.slug} v{questionnaire.version}",
                    "未知的列名",
                )
            )
            continue
        layout.position[name] = position
        if name not in FIXED_COLUMNS:
            layout.items[name] = position
    if "community" not in layout.position:
        report.add(
            ReportLine(
                1,
                "community",
                "",
                "the column is missing: every row needs the community code",
                "缺少社区编码列",
            )
        )
    for item in questionnaire.items:
        if item.required and item.code not in layout.position:
            report.add(
                ReportLine(
                    1,
                    item.code,
                    "",
                    "the column is missing, and the question is required (leave "
                    "a cell empty where the form skipped the question)",
                    "缺少必答题的列",
                )
            )
    return layout


# -- cells → answers ----------------------------------------------------------------------------


def _number(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text  # validation names it: "must be a whole number, not the text ..."
    return int(number) if number.is_integer() else number


def _option(raw: str) -> Any:
    return raw.strip() or None


def _options(raw: str) -> Any:
    # Space-separated is the format; commas and 、 are what people also type by hand.
    values = tuple(v for v in _MULTI_SEPARATORS.split(raw.strip()) if v)
    return values or None


def _text(raw: str) -> Any:
    return raw if raw.strip() else None


def converter(item: Any) -> Callable[[str], Any]:
    """How a cell's text becomes the answer ``validate_answers`` checks (``None`` = no answer)."""
    if item.kind in ("likert", "rating", "numeric"):
        return _number
    return {"single_choice": _option, "multi_choice": _options}.get(item.kind, _text)


# -- times --------------------------------------------------------------------------------------


_STAMP = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?"
# A whole column of one shape, newline-joined: every cell empty, or a UTC stamp ("…Z", what
# to_csv and most exports write), or every cell empty or a stamp without an offset.
_UTC_COLUMN = re.compile(rf"(?:{_STAMP}Z)?(?:\n(?:{_STAMP}Z)?)*")
_NAIVE_COLUMN = re.compile(rf"(?:{_STAMP})?(?:\n(?:{_STAMP})?)*")


def parse_times(cells: Sequence[str], naive_timezone: tzinfo) -> tuple[np.ndarray, list[int]]:
    """µs since the epoch per cell (``MISSING`` when empty) and the rows that are not times.

    ISO 8601 with or without ``T``, seconds and offset (``Z`` too); without an offset the time is
    read in ``naive_timezone``.
    """
    uniform = _parse_uniform(cells, naive_timezone)
    if uniform is not None:
        return uniform, []
    return _parse_each(cells, naive_timezone)


def _parse_uniform(cells: Sequence[str], naive_timezone: tzinfo) -> np.ndarray | None:
    """The common case in one numpy call (~50 ns a cell instead of ~1.5 µs), or None.

    Only columns whose every cell has one strict shape take this path; anything else (offsets,
    stray spaces, a bad date) goes through ``_parse_each``, which also names the bad cells.
    """
    text = "\n".join(cells)
    if _UTC_COLUMN.fullmatch(text):
        text, offset = text.replace("Z", ""), timedelta(0)
    elif _NAIVE_COLUMN.fullmatch(text) and naive_timezone.utcoffset(None) is not None:
        offset = naive_timezone.utcoffset(None) or timedelta(0)
    else:
        return None
    parts = text.split("\n")
    if len(parts) != len(cells):  # a cell held a line break: not a plain column after all
        return None
    try:
        stamps = np.array(parts, dtype="datetime64[us]")  # "" → NaT
    except ValueError:  # e.g. month 13
        return None
    out = stamps.astype(np.int64)  # NaT is int64's minimum, i.e. MISSING
    present = out != MISSING
    out[present] -= offset // timedelta(microseconds=1)
    return out


def _parse_each(cells: Sequence[str], naive_timezone: tzinfo) -> tuple[np.ndarray, list[int]]:
    out = np.full(len(cells), MISSING, dtype=np.int64)
    bad: list[int] = []
    for i, raw in enumerate(cells):
        text = raw.strip()
        if not text:
            continue
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            bad.append(i)
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=naive_timezone)
        out[i] = round(moment.timestamp() * 1_000_000)
    return out, bad


def storage_times(moments: np.ndarray, dialect: str) -> list[Any]:
    """Bind values for a UTC ``DateTime(timezone=True)`` column written through the driver.

    SQLite gets the text SQLAlchemy itself writes there; PostgreSQL aware datetimes.
    """
    present = moments != MISSING
    stamps = np.where(present, moments, 0).astype("datetime64[us]")
    if dialect == "sqlite":
        # One replace over the joined column, not one per cell.
        text = "\n".join(np.datetime_as_string(stamps, unit="us").tolist())
        out: list[Any] = text.replace("T", " ").split("\n") if len(stamps) else []
    else:
        out = [s.replace(tzinfo=UTC) for s in stamps.astype(object).tolist()]
    for i in np.flatnonzero(~present).tolist():
        out[i] = None
    return out
