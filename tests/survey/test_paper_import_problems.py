"""Paper import: the validation report, header problems, unreadable files, closed waves."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from survey.errors import ConflictError, ImportFileError, NotFoundError
from survey.formats.paper.cells import FIXED_COLUMNS
from survey.formats.paper.importer import import_paper, paper_client_id
from tests.support.factories import complete_answers, seed_minimal
from tests.support.paper_sheets import CODES, count, sheet_row, stored, write_csv


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_minimal(engine)
    return engine


def bad_sheet() -> list[dict[str, str]]:
    good = complete_answers()
    return [
        sheet_row(good),                                             # row 2: fine
        sheet_row(dict(good, **{"D1.1": 7})),                        # row 3
        sheet_row(good, community="C9"),                             # row 4
        sheet_row({k: v for k, v in good.items() if k != "O1"}),     # row 5
        sheet_row(dict(good, P1=["D1a", "Z9"]), client_id="nope"),   # row 6: two problems
        sheet_row(good, wave="W0", started_at="yesterday"),          # row 7: two problems
        sheet_row(good),                                             # row 8: fine
    ]  # fmt: skip


def test_the_report_names_row_column_and_problem_and_nothing_is_imported(
    seeded: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_sheet())
    report = import_paper(engine=seeded, path=path, wave_code="W1")
    assert count(seeded) == 0
    assert report.stopped_by_errors and not report.committed and report.imported == 0
    assert (report.rows, report.invalid_rows, report.new_rows) == (7, 5, 2)
    found = [(p.row, p.column) for p in report.problems]
    assert found == [
        (3, "D1.1"),
        (4, "community"),
        (5, "O1"),
        (6, "client_id"),
        (6, "P1"),
        (7, "wave"),
        (7, "started_at"),
    ]
    by_place = {(p.row, p.column): p for p in report.problems}
    assert "from 1 to 5" in by_place[3, "D1.1"].problem and by_place[3, "D1.1"].value == "7"
    assert by_place[4, "community"].problem == "unknown community code 'C9'"
    assert by_place[5, "O1"].problem == "this question is required"
    assert "'Z9'" in by_place[6, "P1"].problem and by_place[6, "P1"].problem_zh
    assert "'W0'" in by_place[7, "wave"].problem
    assert "nothing imported" in report.summary() and "--skip-invalid" in report.summary()

    report.write_csv(tmp_path / "report.csv")
    raw = (tmp_path / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfrow,column,value,problem,problem_zh")
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert lines[1][:3] == ["3", "D1.1", "7"] and len(lines) == 1 + 7


def test_skip_invalid_imports_the_valid_rows_and_reports_the_rest(
    seeded: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "bad.csv", bad_sheet())
    report = import_paper(engine=seeded, path=path, wave_code="W1", skip_invalid=True)
    assert (report.imported, report.invalid_rows) == (2, 5) and report.committed
    assert not report.stopped_by_errors
    assert {r.client_id for r in stored(seeded)} == {
        paper_client_id("W1", "C1", 2),
        paper_client_id("W1", "C1", 8),
    }
    assert sorted({p.row for p in report.problems}) == [3, 4, 5, 6, 7]


def test_header_problems_stop_before_any_row(seeded: Engine, tmp_path: Path) -> None:
    columns = ["wave", "client_id", "D1.1", "D1.1", "D7.7", *CODES[3:]]
    path = write_csv(tmp_path / "h.csv", [{"wave": "W1"}], columns=columns)
    report = import_paper(engine=seeded, path=path, wave_code="W1")
    assert report.rows == 0 and count(seeded) == 0 and report.stopped_by_errors
    problems = {(p.row, p.column): p.problem for p in report.problems}
    assert set(problems) == {
        (1, "D1.1"),
        (1, "column E"),
        (1, "community"),
        (1, "age_18_plus"),
        (1, "age_band"),
    }
    assert "twice" in problems[1, "D1.1"] and "'D7.7'" in problems[1, "column E"]


def test_cells_without_a_column_name_are_refused(seeded: Engine, tmp_path: Path) -> None:
    columns = [*FIXED_COLUMNS, *CODES, ""]
    rows = [sheet_row(complete_answers()) | {"": "note"}, sheet_row(complete_answers())]
    path = write_csv(tmp_path / "extra.csv", rows, columns=columns)
    with path.open("a", encoding="utf-8") as handle:  # a ragged row, longer than the header
        handle.write(",".join(["W1", "C2", *([""] * (len(columns) - 2)), "x"]) + "\n")
    report = import_paper(engine=seeded, path=path, wave_code="W1", skip_invalid=True)
    assert report.imported == 1
    lines = [(p.row, p.column, p.value) for p in report.problems if "no name" in p.problem]
    assert lines == [
        (2, f"column {_letter(len(columns) - 1)}", "note"),
        (4, f"column {_letter(len(columns))}", "x"),
    ]


def _letter(position: int) -> str:
    from survey.formats.tabular import column_letter

    return column_letter(position)


def test_files_that_cannot_be_read(seeded: Engine, tmp_path: Path) -> None:
    rows = [sheet_row(dict(complete_answers(), P2="环境很好"))]
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(write_csv(tmp_path / "u.csv", rows).read_text("utf-8").encode("gbk"))
    with pytest.raises(ImportFileError, match=r"not UTF-8.*CSV UTF-8"):
        import_paper(engine=seeded, path=gbk, wave_code="W1")
    (tmp_path / "a.txt").write_text("wave\n")
    with pytest.raises(ImportFileError, match=r"\.csv and \.xlsx"):
        import_paper(engine=seeded, path=tmp_path / "a.txt", wave_code="W1")
    with pytest.raises(ImportFileError, match="no such file"):
        import_paper(engine=seeded, path=tmp_path / "missing.csv", wave_code="W1")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx"):
        import_paper(engine=seeded, path=tmp_path / "fake.xlsx", wave_code="W1")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ImportFileError, match="empty"):
        import_paper(engine=seeded, path=tmp_path / "empty.csv", wave_code="W1")
    with pytest.raises(NotFoundError, match="W9"):
        import_paper(engine=seeded, path=tmp_path / "u.csv", wave_code="W9")
    assert count(seeded) == 0


def test_a_closed_wave_takes_no_paper_either(sqlite_url: str, tmp_path: Path) -> None:
    from survey.storage.db import make_engine
    from survey.storage.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    seed_minimal(engine, wave_status="closed")
    path = write_csv(tmp_path / "ok.csv", [sheet_row(complete_answers())])
    with pytest.raises(ConflictError, match="closed"):
        import_paper(engine=engine, path=path, wave_code="W1")
    assert count(engine) == 0
    engine.dispose()


def test_report_cells_cannot_run_as_excel_formulas(seeded: Engine, tmp_path: Path) -> None:
    rows = [sheet_row(complete_answers()) | {"D1.1": '=HYPERLINK("http://x")'}]
    report = import_paper(engine=seeded, path=write_csv(tmp_path / "x.csv", rows), wave_code="W1")
    report.write_csv(tmp_path / "report.csv")
    with (tmp_path / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        line = list(csv.reader(handle))[1]
    assert line[2].startswith("'=HYPERLINK")


def test_a_grid_answer_outside_the_registers_grids_is_a_problem_of_its_row(
    seeded: Engine, tmp_path: Path
) -> None:
    """As on the web form: where the register lists C1's grids, the sheet must name one of
    them (or 不清楚); C2 lists none, so its grid answer stays free text."""
    from sqlmodel import Session, select

    from survey.grids import GRID_CODE, NOT_SURE
    from survey.storage.models import Community

    with Session(seeded) as session:
        c1 = session.exec(select(Community).where(Community.code == "C1")).one()
        c1.grids = ["一网格", "二网格"]
        session.add(c1)
        session.commit()
    good = complete_answers()
    rows = [
        sheet_row(dict(good, **{GRID_CODE: "二网格"})),  # row 2: one of C1's grids
        sheet_row(dict(good, **{GRID_CODE: "五网格"})),  # row 3: not one of them
        sheet_row(dict(good, **{GRID_CODE: NOT_SURE})),  # row 4: not sure is allowed
        sheet_row(dict(good, **{GRID_CODE: "五网格"}), community="C2"),  # row 5: no list
    ]
    report = import_paper(engine=seeded, path=write_csv(tmp_path / "g.csv", rows), wave_code="W1")
    assert [(p.row, p.column, p.value) for p in report.problems] == [(3, GRID_CODE, "五网格")]
    assert "一网格" in report.problems[0].problem and report.problems[0].problem_zh
    assert count(seeded) == 0 and not report.committed  # all or nothing
    report = import_paper(
        engine=seeded, path=write_csv(tmp_path / "g.csv", rows), wave_code="W1", skip_invalid=True
    )
    assert report.committed and report.imported == 3 and count(seeded) == 3
