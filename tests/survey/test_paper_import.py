"""Paper questionnaires: CSV and XLSX import, all-or-nothing, skip-invalid, re-import (the
report's problems and unreadable files: test_paper_import_problems.py).

Runs on SQLite and PostgreSQL (the ``engine`` fixture) where the database matters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import survey.formats.paper.importer
import survey.questionnaire.batch_validation
from survey.errors import ImportFileError
from survey.formats.paper.cells import FIXED_COLUMNS
from survey.formats.paper.importer import import_paper, paper_client_id
from survey.storage.encoding import encode_numeric
from survey.storage.models import Community, Response
from survey.storage.responses import payload_hash
from tests.support.factories import complete_answers, new_client_id, seed_minimal
from tests.support.paper_sheets import CODES, Q, cell, count, sheet_row, stored, write_csv


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_minimal(engine)
    return engine


def test_csv_rows_are_stored_exactly_as_a_web_submission_would_be(
    seeded: Engine, tmp_path: Path
) -> None:
    given = new_client_id()
    first = dict(complete_answers(likert=5), P2="楼道灯坏了很久", P1=["D1a", "D6c"])
    second = complete_answers(likert=9, rating=3)
    path = write_csv(
        tmp_path / "batch.csv",
        [
            sheet_row(
                first,
                client_id=given,
                started_at="2026-05-01 08:00",
                submitted_at="2026-05-01T08:20:00+08:00",
            ),
            sheet_row(second, community="C2"),
        ],
    )
    report = import_paper(engine=seeded, path=path, wave_code="W1")
    assert (report.rows, report.imported, report.problems_total) == (2, 2, 0)
    assert report.committed and not report.stopped_by_errors

    rows = stored(seeded)
    assert [r.client_id for r in rows] == [given, paper_client_id("W1", "C2", 3)]
    for row, answers, community in ((rows[0], first, "C1"), (rows[1], second, "C2")):
        cleaned = Q.validate_answers(answers)
        assert row.channel == "paper"
        assert row.answers == cleaned
        assert row.payload_hash == payload_hash(wave="W1", community=community, answers=cleaned)
        assert row.numeric == encode_numeric(Q, cleaned)
    # The JSON is stored in the canonical form the payload hash is computed over.
    with seeded.connect() as conn:
        texts = conn.execute(text("SELECT CAST(answers AS TEXT) FROM response ORDER BY id"))
        canonical = [
            json.dumps(
                Q.validate_answers(a), sort_keys=True, ensure_ascii=False, separators=(",", ":")
            )
            for a in (first, second)
        ]
        assert [t for (t,) in texts] == canonical
    # A time without an offset is Beijing time; both are stored in UTC.
    assert rows[0].started_at == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    assert rows[0].submitted_at == datetime(2026, 5, 1, 0, 20, tzinfo=UTC)
    assert rows[0].duration_s == 1200.0 and rows[0].quality_flags == []
    assert rows[1].started_at is None and rows[1].duration_s is None


def test_xlsx_with_the_numbers_excel_produces(seeded: Engine, tmp_path: Path) -> None:
    answers = complete_answers(likert=4, rating=8)
    columns = [*FIXED_COLUMNS, *CODES]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(columns)
    values: dict[str, Any] = {
        "wave": "W1",
        "community": "C1",
        "started_at": datetime(2026, 5, 2, 9, 0),
        "submitted_at": datetime(2026, 5, 2, 9, 1),
    }
    for code, value in answers.items():
        # Excel stores every number as a float; choices typed as numbers come back as numbers.
        values[code] = float(value) if isinstance(value, int) else cell(value)
    values["P1"] = "D2a, D3b"  # typed with a comma: accepted
    sheet.append([values.get(c) for c in columns])
    sheet.append([None] * len(columns))  # Excel keeps formatted empty rows
    path = tmp_path / "batch.xlsx"
    book.save(path)

    report = import_paper(engine=seeded, path=path, wave_code="W1")
    assert (report.rows, report.imported, report.blank_rows) == (1, 1, 1), report.problems
    (row,) = stored(seeded)
    assert row.answers == dict(answers, P1=["D2a", "D3b"])
    assert row.answers["D1.1"] == 4 and isinstance(row.answers["D1.1"], int)
    # 60 s for 55 answers is below 1.5 s per answer: flagged like a web speeder.
    assert row.duration_s == 60.0 and row.quality_flags == ["speeder"]


def test_a_bom_and_blank_lines_do_not_matter(seeded: Engine, tmp_path: Path) -> None:
    rows = [
        sheet_row(complete_answers()),
        {c: "" for c in FIXED_COLUMNS},
        sheet_row(complete_answers(likert=2)),
    ]
    path = write_csv(tmp_path / "excel.csv", rows, bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfwave,")
    report = import_paper(engine=seeded, path=path, wave_code="W1")
    assert (report.rows, report.blank_rows, report.imported) == (2, 1, 2)
    # Row numbers are the spreadsheet's: the blank row 3 still counts.
    assert {r.client_id for r in stored(seeded)} == {
        paper_client_id("W1", "C1", 2),
        paper_client_id("W1", "C1", 4),
    }


def test_an_error_in_the_last_chunk_undoes_the_earlier_chunks(
    seeded: Engine, tmp_path: Path
) -> None:
    rows = [sheet_row(complete_answers(likert=1 + k % 5)) for k in range(9)]
    rows[-1]["D6.6"] = "6"
    path = write_csv(tmp_path / "late.csv", rows)
    report = import_paper(engine=seeded, path=path, wave_code="W1", chunk_rows=2)
    assert report.new_rows == 8 and report.imported == 0 and count(seeded) == 0
    assert [(p.row, p.column) for p in report.problems] == [(10, "D6.6")]


def test_reimporting_a_file_imports_nothing_twice(seeded: Engine, tmp_path: Path) -> None:
    rows = [sheet_row(complete_answers(likert=v)) for v in (1, 2, 3)]
    rows.append(sheet_row(complete_answers(), client_id=new_client_id().upper()))
    path = write_csv(tmp_path / "batch.csv", rows)
    assert import_paper(engine=seeded, path=path, wave_code="W1", chunk_rows=3).imported == 4
    again = import_paper(engine=seeded, path=path, wave_code="W1", chunk_rows=3)
    assert (again.imported, again.duplicates, again.problems_total) == (0, 4, 0)
    assert again.committed and not again.stopped_by_errors and count(seeded) == 4

    # Row 3 changed since: its id (wave + community + row) now names other answers.
    rows[1]["D2.2"] = "5"
    changed = import_paper(
        engine=seeded, path=write_csv(tmp_path / "changed.csv", rows), wave_code="W1"
    )
    assert changed.stopped_by_errors and count(seeded) == 4
    (problem,) = changed.problems
    assert (problem.row, problem.column) == (3, "client_id")
    assert "different answers" in problem.problem and "another sheet" in problem.problem
    with Session(seeded) as session:
        row = session.exec(
            select(Response).where(Response.client_id == paper_client_id("W1", "C1", 3))
        ).one()
        assert row.answers["D2.2"] == 2  # the stored response is unchanged


@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_a_client_id_repeated_in_the_file(seeded: Engine, tmp_path: Path, chunk_rows: int) -> None:
    # Within one chunk the repeat is caught before inserting; across chunks by the database.
    same, other = new_client_id(), new_client_id()
    answers = complete_answers()
    rows = [
        sheet_row(answers, client_id=same),
        sheet_row(answers, client_id=same),
        sheet_row(answers, client_id=other),
        sheet_row(complete_answers(likert=2), client_id=other),
    ]
    report = import_paper(
        engine=seeded,
        path=write_csv(tmp_path / "r.csv", rows),
        wave_code="W1",
        skip_invalid=True,
        chunk_rows=chunk_rows,
    )
    assert (report.imported, report.duplicates) == (2, 1) and count(seeded) == 2
    assert [(p.row, p.column) for p in report.problems] == [(5, "client_id")]
    words = "row 4" if chunk_rows > 1 else "already stored with different answers"
    assert words in report.problems[0].problem
    with Session(seeded) as session:
        kept = session.exec(select(Response).where(Response.client_id == other)).one()
        assert kept.answers == answers  # the first one stays


def test_the_import_connection_gets_its_cache_size_back(sqlite_url: str, tmp_path: Path) -> None:
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    seed_minimal(engine)
    with engine.connect() as conn:
        default = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    path = write_csv(tmp_path / "ok.csv", [sheet_row(complete_answers())])
    assert import_paper(engine=engine, path=path, wave_code="W1").imported == 1
    connections = [engine.connect() for _ in range(3)]  # whichever the pool hands out
    try:
        sizes = {c.exec_driver_sql("PRAGMA cache_size").scalar() for c in connections}
    finally:
        for c in connections:
            c.close()
    assert sizes == {default}
    engine.dispose()


def test_dry_run_writes_nothing(seeded: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", [sheet_row(complete_answers())])
    report = import_paper(engine=seeded, path=path, wave_code="W1", dry_run=True)
    assert (report.new_rows, report.imported, count(seeded)) == (1, 0, 0)
    assert "dry run" in report.summary()


def test_a_file_that_breaks_half_way_imports_nothing(
    seeded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Enough good rows that several chunks are inserted before the decoder meets a byte that
    # is not UTF-8 (it reads the file in blocks of a few kilobytes).
    rows = [sheet_row(complete_answers(likert=1 + k % 5)) for k in range(80)]
    path = write_csv(tmp_path / "broken.csv", rows)
    data = path.read_bytes()
    cut = data.rindex(b"\nW1,") + 1
    path.write_bytes(data[:cut] + b"W1,C1,\xff\xfe" + data[cut + 5 :])
    inserted = []
    real_insert = survey.formats.paper.importer._insert

    def counting(conn: Any, rows: list[Any]) -> int:
        inserted.append(len(rows))
        return real_insert(conn, rows)

    monkeypatch.setattr(survey.formats.paper.importer, "_insert", counting)
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_paper(engine=seeded, path=path, wave_code="W1", chunk_rows=5)
    assert sum(inserted) >= 20  # rows were written inside the transaction...
    assert count(seeded) == 0  # ...and rolled back with it


def test_each_distinct_value_is_checked_once_not_each_cell(
    seeded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The complexity promise behind P6, checked without a clock: 600 rows, few distinct values.
    calls = 0
    real = survey.questionnaire.batch_validation._clean

    def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args)

    monkeypatch.setattr(survey.questionnaire.batch_validation, "_clean", counting)
    rows = [
        sheet_row(complete_answers(likert=1 + k % 5), community=f"C{1 + k % 2}") for k in range(600)
    ]
    report = import_paper(engine=seeded, path=write_csv(tmp_path / "big.csv", rows), wave_code="W1")
    assert report.imported == 600
    assert calls <= len(CODES) * 5 < 600


def test_community_codes_come_from_the_database(seeded: Engine, tmp_path: Path) -> None:
    with Session(seeded) as session:
        codes = set(session.exec(select(Community.code)).all())
    assert codes == {"C1", "C2"}
    rows = [sheet_row(complete_answers(), community=" C2 ")]  # stray spaces are forgiven
    report = import_paper(engine=seeded, path=write_csv(tmp_path / "s.csv", rows), wave_code="W1")
    assert report.imported == 1
