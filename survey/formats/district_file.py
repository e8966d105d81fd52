"""The district register file: one row per community, with its population by age band × gender.

Columns (English or Chinese names, any order)::

    street_code 街道编码 | street_name 街道名称 | community_code 社区编码 |
    community_name 社区名称 | housing_type 住房类型 | population 常住人口 |
    [predecessors 前身] | [grids 网格] | AGEBAND|GENDER ...

The ``AGEBAND|GENDER`` columns hold the adult count of each population cell; their names are the
option values of the questionnaire's ``age_band`` and ``gender`` items (``18-29|male`` ...
``70+|female`` for the default questionnaire). A community with any cell left empty is kept but
not raked (its respondents keep equal weights), and the report says so. ``predecessors`` records
a merger or split: ``C01;C02`` (both merged in whole) or ``C01:0.4`` (40 % of C01 came here).
``grids`` lists the community's grids (网格) in one cell, ``一网格;二网格;三网格`` (``;``, ``；`` or
``、`` between names): the residents' form then offers them as choices (survey/grids.py).

The file is XLSX (the sheet named ``communities``, else the first) or CSV (UTF-8 with or without
BOM, or GB18030, which is what Excel writes on a Chinese Windows). Reading never writes anything:
:func:`read_district_file` returns the rows and every problem it found, each naming its row (as
the spreadsheet numbers it, header = row 1) and column; the import applies a file only when the
list of problems is empty.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survey.errors import ImportFileError
from survey.formats.tabular import cell_text, column_letter
from survey.grids import grid_name_problems, join_grids, split_grids

if TYPE_CHECKING:
    from survey.questionnaire.model import Questionnaire

__all__ = [
    "HOUSING_TYPES",
    "CommunityEntry",
    "DistrictFile",
    "Problem",
    "margin_labels",
    "read_district_file",
    "write_district_file",
]

REQUIRED = (
    "street_code",
    "street_name",
    "community_code",
    "community_name",
    "housing_type",
    "population",
)
PREDECESSORS = "predecessors"
GRIDS = "grids"
OPTIONAL = (PREDECESSORS, GRIDS)
CHINESE = {
    "街道编码": "street_code",
    "街道名称": "street_name",
    "社区编码": "community_code",
    "社区名称": "community_name",
    "住房类型": "housing_type",
    "常住人口": "population",
    "前身": PREDECESSORS,
    "网格": GRIDS,
}
SHEET_NAME = "communities"
# The register's housing types (what officials' pages group by); English keys are accepted too.
HOUSING_TYPES = {
    "商品房小区": "commercial",
    "老旧院落/企业职工生活区": "old_estate",
    "安置小区": "resettlement",
    "保障性住房/人才公寓": "affordable",
    "自建房/城中村": "self_built",
}
_HOUSING_BY_KEY = {key: zh for zh, key in HOUSING_TYPES.items()}
MARGIN_TOLERANCE = 0.01  # the cells must add up to the population within 1 %


def margin_labels(questionnaire: Questionnaire) -> list[str]:
    """Cell labels ``"<age option>|<gender option>"`` in age-major order."""
    ages = [o.value for o in questionnaire.item("age_band").options]  # type: ignore[union-attr]
    genders = [o.value for o in questionnaire.item("gender").options]  # type: ignore[union-attr]
    return [f"{a}|{g}" for a in ages for g in genders]


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported, at one cell (``row`` 1 = the header)."""

    row: int
    column: str  # spreadsheet letter, "" when the column is missing altogether
    name: str  # the column's name
    message: str

    def __str__(self) -> str:
        where = f"column {self.column} ({self.name})" if self.column else f"column {self.name}"
        return f"row {self.row}, {where}: {self.message}"


@dataclass
class CommunityEntry:
    row: int
    street_code: str
    street_name: str
    code: str
    name: str
    housing_type: str
    population: int
    margins: dict[str, float]  # empty: not raked
    predecessors: list[dict[str, Any]] = field(default_factory=list)
    grids: list[str] = field(default_factory=list)  # empty: the grid question is free text


@dataclass
class DistrictFile:
    name: str
    cells: list[str]
    columns: dict[str, int] = field(default_factory=dict)  # field name → 0-based position
    entries: list[CommunityEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def where(self, name: str) -> str:
        position = self.columns.get(name)
        return column_letter(position) if position is not None else ""

    def problem(self, row: int, name: str, message: str) -> None:
        self.problems.append(Problem(row, self.where(name), name, message))


# -- reading ----------------------------------------------------------------------------------


def read_rows(path: Path) -> list[list[str]]:
    """Every row of the file as cell texts (header first); ``ImportFileError`` if unreadable."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(f"{path.name}: a district file is .xlsx or .csv")
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{path.name} is neither UTF-8 nor GB18030 text; save it as 'CSV UTF-8' "
                "or import the .xlsx file"
            ) from None
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise ImportFileError(f"{path.name}: not valid CSV ({exc})") from None


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ImportFileError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
        sheet.reset_dimensions()
        return [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_district_file(path: str | Path, cells: Sequence[str]) -> DistrictFile:
    """Parse and check a district file against the population ``cells`` of the questionnaire."""
    path = Path(path)
    rows = read_rows(path)
    parsed = DistrictFile(name=path.name, cells=list(cells))
    if not rows or not any(c.strip() for c in rows[0]):
        parsed.problems.append(Problem(1, "A", "", "row 1 must hold the column names"))
        return parsed
    _read_header(parsed, rows[0])
    if parsed.problems:
        return parsed
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        entry = _read_row(parsed, number, row)
        if entry is not None:
            parsed.entries.append(entry)
    if not parsed.entries and not parsed.problems:
        parsed.problems.append(Problem(2, "", "community_code", "the file lists no community"))
    _check_across_rows(parsed)
    return parsed


def _read_header(parsed: DistrictFile, header: list[str]) -> None:
    known_cells = set(parsed.cells)
    for position, raw in enumerate(header):
        name = raw.strip()
        if not name:
            continue
        key = CHINESE.get(name, name.lower())
        letter = column_letter(position)
        if key in parsed.columns:
            parsed.problems.append(Problem(1, letter, name, "this column appears twice"))
        elif key in REQUIRED or key in OPTIONAL:
            parsed.columns[key] = position
        elif "|" in name:
            if name not in known_cells:
                parsed.problems.append(
                    Problem(
                        1,
                        letter,
                        name,
                        "not a population cell of the questionnaire; the cells are "
                        + ", ".join(parsed.cells),
                    )
                )
            else:
                parsed.columns[name] = position
        else:
            parsed.problems.append(
                Problem(
                    1,
                    letter,
                    name,
                    "unknown column; expected " + ", ".join(REQUIRED) + ", predecessors, "
                    "grids or AGEBAND|GENDER cells",
                )
            )
    for name in REQUIRED:
        if name not in parsed.columns:
            parsed.problems.append(Problem(1, "", name, "required column is missing"))
    present = [c for c in parsed.cells if c in parsed.columns]
    if present and len(present) < len(parsed.cells):
        missing = [c for c in parsed.cells if c not in parsed.columns]
        parsed.problems.append(
            Problem(1, "", missing[0], "population cell columns missing: " + ", ".join(missing))
        )
    if not present and not parsed.problems:
        parsed.notes.append(
            "the file has no population cell columns: no community will be raked "
            "(respondents keep equal weights)"
        )


def _cell(row: list[str], position: int | None) -> str:
    if position is None or position >= len(row):
        return ""
    return row[position].strip()


def _count(parsed: DistrictFile, number: int, name: str, text: str) -> float | None:
    """A non-negative whole count, or None after recording the problem."""
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        parsed.problem(number, name, f"{text!r} is not a number")
        return None
    if not math.isfinite(value):
        parsed.problem(number, name, f"{text!r} is not a number")
        return None
    if value < 0:
        parsed.problem(number, name, f"{text} is negative; counts are 0 or more")
        return None
    if not value.is_integer():
        parsed.problem(number, name, f"{text} is not a whole number of people")
        return None
    return value


def _read_row(parsed: DistrictFile, number: int, row: list[str]) -> CommunityEntry | None:
    values = {name: _cell(row, parsed.columns.get(name)) for name in REQUIRED}
    before = len(parsed.problems)
    for name in REQUIRED:
        if not values[name]:
            parsed.problem(number, name, "empty; every community needs it")
    housing = values["housing_type"]
    if housing:
        housing = _HOUSING_BY_KEY.get(housing, housing)
        if housing not in HOUSING_TYPES:
            parsed.problem(
                number,
                "housing_type",
                f"unknown housing type {values['housing_type']!r}; one of "
                + ", ".join(HOUSING_TYPES),
            )
    population = (
        _count(parsed, number, "population", values["population"]) if values["population"] else None
    )
    margins: dict[str, float] = {}
    empty: list[str] = []
    for label in parsed.cells:
        if label not in parsed.columns:
            continue
        text = _cell(row, parsed.columns[label])
        if not text:
            empty.append(label)
            continue
        value = _count(parsed, number, label, text)
        if value is not None:
            margins[label] = value
    if empty and len(margins) + len(empty) == sum(1 for c in parsed.cells if c in parsed.columns):
        parsed.notes.append(
            f"row {number}: community {values['community_code']} is not raked "
            f"(population cells {', '.join(empty)} are empty)"
        )
        margins = {}
    elif margins and population is not None and len(margins) == len(parsed.cells):
        total = sum(margins.values())
        if abs(total - population) > MARGIN_TOLERANCE * population:
            gap = abs(total - population) / population * 100 if population else math.inf
            parsed.problem(
                number,
                "population",
                f"the population cells add up to {total:g}, not {population:g} "
                f"(off by {gap:.1f} %, more than 1 %)",
            )
    predecessors = _predecessors(parsed, number, _cell(row, parsed.columns.get(PREDECESSORS)))
    grids = split_grids(_cell(row, parsed.columns.get(GRIDS)))
    for text in grid_name_problems(grids):
        parsed.problem(number, GRIDS, text)
    if len(parsed.problems) > before:
        return None
    return CommunityEntry(
        row=number,
        street_code=values["street_code"],
        street_name=values["street_name"],
        code=values["community_code"],
        name=values["community_name"],
        housing_type=housing,
        population=int(population or 0),
        margins=margins,
        predecessors=predecessors,
        grids=grids,
    )


def _predecessors(parsed: DistrictFile, number: int, text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in (p.strip() for p in text.replace("；", ";").split(";")):
        if not part:
            continue
        code, _, share_text = part.partition(":")
        share = 1.0
        if share_text.strip():
            try:
                share = float(share_text)
            except ValueError:
                parsed.problem(number, PREDECESSORS, f"share {share_text!r} is not a number")
                continue
            if not 0 < share <= 1:
                parsed.problem(
                    number, PREDECESSORS, f"share {share_text} of {code} must lie in (0, 1]"
                )
                continue
        out.append({"code": code.strip(), "share": share})
    return out


def _check_across_rows(parsed: DistrictFile) -> None:
    seen: dict[str, CommunityEntry] = {}
    streets: dict[str, CommunityEntry] = {}
    shares: dict[str, float] = {}
    for entry in parsed.entries:
        first = seen.get(entry.code)
        if first is not None:
            if first.street_code != entry.street_code:
                parsed.problem(
                    entry.row,
                    "street_code",
                    f"community {entry.code} is in street {first.street_code} in row "
                    f"{first.row} and in street {entry.street_code} here; a community belongs "
                    "to one street",
                )
            else:
                parsed.problem(
                    entry.row,
                    "community_code",
                    f"duplicate community code {entry.code} (also in row {first.row})",
                )
        else:
            seen[entry.code] = entry
        street = streets.setdefault(entry.street_code, entry)
        if street.street_name != entry.street_name:
            parsed.problem(
                entry.row,
                "street_name",
                f"street {entry.street_code} is named {street.street_name!r} in row "
                f"{street.row} and {entry.street_name!r} here",
            )
        for p in entry.predecessors:
            if p["code"] == entry.code:
                parsed.problem(entry.row, PREDECESSORS, f"{entry.code} cannot precede itself")
            shares[p["code"]] = shares.get(p["code"], 0.0) + p["share"]
    for code, total in shares.items():
        if total > 1 + 1e-9:
            row = next(
                e.row for e in parsed.entries if any(p["code"] == code for p in e.predecessors)
            )
            parsed.problem(
                row,
                PREDECESSORS,
                f"the shares of {code} across its successors add up to {total:g}, more than 1",
            )


# -- writing ----------------------------------------------------------------------------------


def header(cells: Sequence[str], *, with_predecessors: bool, with_grids: bool = False) -> list[str]:
    optional = [*([PREDECESSORS] if with_predecessors else []), *([GRIDS] if with_grids else [])]
    return [*REQUIRED, *optional, *cells]


def entry_row(
    entry: CommunityEntry,
    cells: Sequence[str],
    *,
    with_predecessors: bool,
    with_grids: bool = False,
) -> list[Any]:
    row: list[Any] = [
        entry.street_code,
        entry.street_name,
        entry.code,
        entry.name,
        entry.housing_type,
        entry.population,
    ]
    if with_predecessors:
        row.append(
            ";".join(
                p["code"] if p["share"] == 1 else f"{p['code']}:{p['share']:g}"
                for p in entry.predecessors
            )
        )
    if with_grids:
        row.append(join_grids(entry.grids))
    for label in cells:
        value = entry.margins.get(label)
        row.append("" if value is None else int(value) if float(value).is_integer() else value)
    return row


def write_district_file(
    path: str | Path, entries: Iterable[CommunityEntry], cells: Sequence[str]
) -> Path:
    """Write ``entries`` in the format :func:`read_district_file` reads (by the suffix)."""
    path = Path(path)
    entries = list(entries)
    lineage = any(e.predecessors for e in entries)
    grids = any(e.grids for e in entries)
    rows = [header(cells, with_predecessors=lineage, with_grids=grids)] + [
        entry_row(e, cells, with_predecessors=lineage, with_grids=grids) for e in entries
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads it
            csv.writer(handle).writerows(rows)
        return path
    path.write_bytes(xlsx_bytes(rows))
    return path


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_NAME
    for row in rows:
        # Codes stay text: "0101" must not become the number 101.
        sheet.append([str(v) if i < 5 else v for i, v in enumerate(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_bytes(cells: Sequence[str]) -> bytes:
    """An XLSX template with the header and one example row (what the admin page offers)."""
    example = CommunityEntry(
        row=2,
        street_code="S01",
        street_name="示例街道",
        code="S01-001",
        name="示例社区",
        housing_type=next(iter(HOUSING_TYPES)),
        population=100 * len(cells),
        margins={label: 100.0 for label in cells},
        grids=["一网格", "二网格", "三网格"],
    )
    both = {"with_predecessors": True, "with_grids": True}
    return xlsx_bytes([header(cells, **both), entry_row(example, cells, **both)])
