"""Reading a de-identified response export (CSV, XLSX or SPSS .sav) back into
:class:`survey.research.ResearchData`.

The exports (``GET /api/v1/waves/{wave}/exports/responses.{csv,xlsx,sav}``) hold one row per
response: fixed columns (``wave``, ``street``, ``community``, ``duration_s``,
``quality_flags``...), then one column per item named by :func:`variable_name`, a multi-choice
item as one 0/1 column per option. Choices are option values in CSV/XLSX and 1-based option
positions in SPSS; likert items keep the don't-know code (9, a user-missing value in SPSS).
Spreadsheet-safe text (a leading ``'`` before ``= + - @``) is undone.

Community names and population margins are not response data and are not in the export; pass
``reference`` (``wave_reference()`` / ``GET /api/v1/waves/{wave}/reference``, or a JSON file of
it) to get them, or the file alone gives codes as names and no margins (no raking).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from survey.errors import SurveyError
from survey.questionnaire.model import Questionnaire, load_default
from survey.research import ResearchData

AGE_CODE, GENDER_CODE = "age_band", "gender"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SCORED_KINDS = ("likert", "rating")


class ExportFormatError(SurveyError):
    """A file that is not a meihao response export (or not of the expected questionnaire)."""


def variable_name(code: str) -> str:
    """The export's column name of an item code (letters, digits, ``_`` and inner dots).

    Must agree with ``api.exports.responses.variable_name`` (a test checks that it does).
    """
    name = re.sub(r"[^A-Za-z0-9_.]", "_", code).rstrip(".")
    if not name or not name[0].isalpha():
        name = "v" + name
    return name[:64]


def _untext(value: Any) -> Any:
    # Exports quote text that a spreadsheet would run as a formula; undo it.
    if (
        isinstance(value, str)
        and len(value) > 1
        and value[0] == "'"
        and (value[1:].startswith(FORMULA_TRIGGERS))
    ):
        return value[1:]
    return value


def _read_csv(path: Path) -> dict[str, list[Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [_untext(h) for h in next(reader, [])]
        rows = list(reader)
    return {
        h: [_untext(r[j]) if j < len(r) and r[j] != "" else None for r in rows]
        for j, h in enumerate(header)
    }


def _read_xlsx(path: Path) -> dict[str, list[Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not rows:
        return {}
    header = [_untext(h) for h in rows[0]]
    return {
        str(h): [_untext(r[j]) if j < len(r) else None for r in rows[1:]]
        for j, h in enumerate(header)
    }


def _read_sav(path: Path) -> dict[str, list[Any]]:
    import pyreadstat

    # user_missing=True keeps the don't-know code 9 (declared missing) instead of NaN.
    frame, _meta = pyreadstat.read_sav(str(path), user_missing=True)
    return {
        str(c): [
            None if (isinstance(v, float) and math.isnan(v)) or v == "" else v
            for v in frame[c].tolist()
        ]
        for c in frame.columns
    }


READERS = {".csv": _read_csv, ".xlsx": _read_xlsx, ".sav": _read_sav}


def _floats(values: Sequence[Any], column: str = "") -> np.ndarray:
    try:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    except (TypeError, ValueError) as exc:
        raise ExportFormatError(f"column {column!r} should hold numbers: {exc}") from None


def _choice_index(values: Sequence[Any], options: list[str], positional: bool) -> np.ndarray:
    """0-based option index per row (−1 unknown): SPSS stores positions, the others values."""
    if positional:
        pos = _floats(values, "choice")
        return np.where(np.isnan(pos), 0, pos).astype(np.int64) - 1
    lookup = {o: k for k, o in enumerate(options)}
    return np.array(
        [lookup.get(str(v), -1) if v is not None else -1 for v in values], dtype=np.int64
    )


def _reference(reference: dict[str, Any] | str | Path | None) -> dict[str, Any] | None:
    if reference is None or isinstance(reference, dict):
        return reference
    loaded: dict[str, Any] = json.loads(Path(reference).read_text(encoding="utf-8"))
    return loaded


def read_export(
    path: str | Path,
    *,
    reference: dict[str, Any] | str | Path | None = None,
    questionnaire: Questionnaire | None = None,
) -> ResearchData:
    """A response export file as :class:`ResearchData` (format from the file's suffix).

    ``questionnaire`` defaults to the reference's, else the shipped default questionnaire.
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ExportFormatError(f"{path.name}: expected a .csv, .xlsx or .sav response export")
    table = reader(path)
    ref = _reference(reference)
    if questionnaire is None:
        questionnaire = (
            Questionnaire.model_validate(ref["questionnaire"]) if ref else load_default()
        )
    return from_table(
        table,
        questionnaire,
        ref,
        positional=path.suffix.lower() == ".sav",
        source=f"file:{path.name}",
    )


def _column(table: dict[str, list[Any]], code: str) -> list[Any]:
    for name in (variable_name(code), code):
        if name in table:
            return table[name]
    raise ExportFormatError(f"the file has no column for {code!r}")


def from_table(
    table: dict[str, list[Any]],
    questionnaire: Questionnaire,
    reference: dict[str, Any] | None,
    *,
    positional: bool,
    source: str = "",
) -> ResearchData:
    """Assemble :class:`ResearchData` from export columns (column name → cell values)."""
    for required in ("wave", "community"):
        if required not in table:
            raise ExportFormatError(f"not a response export: no {required!r} column")
    n = len(table["community"])
    waves = {w for w in table["wave"] if w is not None}
    if len(waves) > 1:
        raise ExportFormatError(f"the file mixes waves {sorted(waves)}; load one wave at a time")
    wave = str(waves.pop()) if waves else (reference or {}).get("wave", "")

    scored = [i for i in questionnaire.items if i.kind in SCORED_KINDS]
    X = (
        np.column_stack([_floats(_column(table, i.code), i.code) for i in scored])
        if n
        else (np.empty((0, len(scored))))
    )
    na = np.array(
        [
            np.nan
            if i.kind != "likert" or questionnaire.item_scale(i.code).na_code is None
            else float(questionnaire.item_scale(i.code).na_code)  # type: ignore[arg-type]
            for i in scored
        ]
    )
    dont_know = np.equal(X, na)
    X[dont_know] = np.nan

    ages = [o.value for o in questionnaire.item(AGE_CODE).options]  # type: ignore[union-attr]
    genders = [o.value for o in questionnaire.item(GENDER_CODE).options]  # type: ignore[union-attr]
    labels = [f"{a}|{g}" for a in ages for g in genders]
    age = _choice_index(_column(table, AGE_CODE), ages, positional)
    gender = _choice_index(_column(table, GENDER_CODE), genders, positional)
    strata = np.where((age >= 0) & (gender >= 0), age * len(genders) + gender, -1)

    priority = questionnaire.priority_item()
    options = [o.value for o in priority.options] if priority is not None else []
    priorities = np.zeros((n, len(options)), dtype=bool)
    if priority is not None:
        for k, option in enumerate(options):
            # Not asked (empty) and not chosen (0) both mean "not a priority", as in the matrix.
            name = f"{priority.code}_{option}"
            priorities[:, k] = _floats(_column(table, name), name) == 1

    community = [str(c) for c in table["community"]]
    if reference is not None:
        meta = reference["communities"]
        codes = [c["code"] for c in meta]
        names = [c["name"] for c in meta]
        streets = [c["street"] for c in meta]
        street_names = {c["street"]: c["street_name"] for c in meta}
        housing = [c.get("housing_type", "") for c in meta]
        margins = np.array([c["margins"] for c in meta], dtype=float).reshape(len(meta), -1)
        if list(reference.get("stratum_labels") or labels) != labels:
            raise ExportFormatError("the reference's weighting cells do not match the file's")
    else:
        codes = sorted(set(community))
        street_of = dict(zip(community, table.get("street") or [""] * n, strict=True))
        names, streets = list(codes), [str(street_of[c] or "") for c in codes]
        street_names = {s: s for s in streets}
        housing = [""] * len(codes)
        margins = np.zeros((len(codes), len(labels)))
    position = {c: i for i, c in enumerate(codes)}
    unknown = sorted(set(community) - set(position))
    if unknown:
        raise ExportFormatError(f"communities not in the reference: {', '.join(unknown[:5])}")

    flags = table.get("quality_flags") or [None] * n
    return ResearchData(
        wave=wave,
        questionnaire=questionnaire.model_dump(mode="json"),
        framework=questionnaire.framework_dict(),
        X=X,
        codes=[i.code for i in scored],
        dont_know=dont_know,
        community_index=np.array([position[c] for c in community], dtype=np.int64),
        community_codes=codes,
        community_names=names,
        community_streets=streets,
        street_names=street_names,
        housing_types=housing,
        strata=strata,
        stratum_labels=labels,
        margins=margins,
        durations=_floats(table.get("duration_s") or [None] * n, "duration_s"),
        priorities=priorities,
        priority_codes=options,
        quality_flags=[str(f).split(";") if f else [] for f in flags],
        source=source,
    )
