"""Paper-import sheets for the tests: rows built from answer sets, written as CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey.formats.paper.cells import FIXED_COLUMNS
from survey.questionnaire.model import load_default
from survey.storage.models import Response

Q = load_default()
CODES = [item.code for item in Q.items]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def sheet_row(answers: dict[str, Any], **fixed: Any) -> dict[str, str]:
    row = {c: "" for c in FIXED_COLUMNS} | {"wave": "W1", "community": "C1"}
    row |= {k: cell(v) for k, v in fixed.items()}
    row |= {code: cell(answers.get(code)) for code in CODES}
    return row


def write_csv(
    path: Path, rows: list[dict[str, str]], *, bom: bool = False, columns: list[str] | None = None
) -> Path:
    columns = columns or [*FIXED_COLUMNS, *CODES]
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    return path


def stored(engine: Engine) -> list[Response]:
    with Session(engine) as session:
        return list(session.exec(select(Response).order_by(Response.id)).all())  # type: ignore[arg-type]


def count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())
