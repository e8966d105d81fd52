"""The register's optional ``grids`` (网格) column: stored on the community in file order, each
rule named by row and column with nothing imported, re-import and export round trip unchanged."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.cli.main import main
from survey.formats.district_file import REQUIRED, read_district_file, template_bytes
from survey.grids import NOT_SURE, split_grids
from survey.storage.models import AuditEvent, Community
from tests.district.helpers import CELLS, district_rows, write_csv, write_xlsx

GRIDS_AT = len(REQUIRED)  # the grids column sits right after the required ones: column G


def _with_grids(rows: list[list[Any]], header: str = "grids") -> list[list[Any]]:
    out = copy.deepcopy(rows)
    out[0].insert(GRIDS_AT, header)
    for number, row in enumerate(out[1:], start=2):
        # Rows 2 and 3 list grids, the others leave the cell empty (free text on the form).
        row.insert(GRIDS_AT, {2: "一网格;二网格；三网格", 3: "东区、西区"}.get(number, ""))
    return out


def _grids(engine: Engine) -> dict[str, list[str]]:
    with Session(engine) as session:
        return {c.code: list(c.grids) for c in session.exec(select(Community)).all()}


def _audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_split_grids_accepts_the_separators_an_admin_types() -> None:
    assert split_grids("一网格;二网格；三网格、 四网格\n五网格;;") == [
        "一网格",
        "二网格",
        "三网格",
        "四网格",
        "五网格",
    ]
    assert split_grids("") == [] and split_grids(" ; ") == []


@pytest.mark.parametrize("header", ["grids", "网格"])
def test_grids_are_stored_in_file_order_and_reimport_changes_nothing(
    cli_db: Engine, tmp_path: Path, capsys: Any, header: str
) -> None:
    rows = _with_grids(district_rows(), header)
    path = write_xlsx(tmp_path / "district.xlsx", rows)
    assert main(["district", "import", str(path)]) == 0
    grids = _grids(cli_db)
    assert grids["S01-001"] == ["一网格", "二网格", "三网格"]
    assert grids["S01-002"] == ["东区", "西区"]
    assert grids["S01-003"] == []  # empty cell: no grids
    audits = _audit_count(cli_db)
    with Session(cli_db) as session:
        stamps = {c.code: c.updated_at for c in session.exec(select(Community)).all()}
    assert main(["district", "import", str(path)]) == 0
    assert _grids(cli_db) == grids and _audit_count(cli_db) == audits
    with Session(cli_db) as session:
        assert {c.code: c.updated_at for c in session.exec(select(Community)).all()} == stamps
    # The export writes the grids column back; importing it changes nothing either.
    out = tmp_path / "export.csv"
    assert main(["district", "export", str(out)]) == 0
    assert "一网格;二网格;三网格" in out.read_text(encoding="utf-8-sig")
    assert main(["district", "import", str(out)]) == 0
    assert _grids(cli_db) == grids and _audit_count(cli_db) == audits
    capsys.readouterr()
    assert main(["district", "show"]) == 0
    shown = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "[3 grids]" in shown["S01-001"] and "grids" not in shown["S01-003"]


def test_a_changed_grid_list_is_updated_and_audited_old_to_new(
    cli_db: Engine, tmp_path: Path
) -> None:
    rows = _with_grids(district_rows())
    assert main(["district", "import", str(write_csv(tmp_path / "a.csv", rows))]) == 0
    audits = _audit_count(cli_db)
    rows[1][GRIDS_AT] = "一网格;四网格"
    assert main(["district", "import", str(write_csv(tmp_path / "b.csv", rows))]) == 0
    assert _grids(cli_db)["S01-001"] == ["一网格", "四网格"]
    assert _audit_count(cli_db) == audits + 1
    with Session(cli_db) as session:
        event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert event is not None
    assert event.detail["updated"]["S01-001"]["grids"] == [
        ["一网格", "二网格", "三网格"],
        ["一网格", "四网格"],
    ]
    # The file is the whole register: a file without the column means "no grids" (the form
    # goes back to free text), as leaving predecessors out means no lineage.
    assert main(["district", "import", str(write_csv(tmp_path / "c.csv", district_rows()))]) == 0
    assert _grids(cli_db)["S01-001"] == []


def _set(number: int, text: str) -> Any:
    def change(rows: list[list[Any]]) -> list[list[Any]]:
        out = copy.deepcopy(rows)
        out[number - 1][GRIDS_AT] = text
        return out

    return change


def _twice(rows: list[list[Any]]) -> list[list[Any]]:
    out = copy.deepcopy(rows)
    out[0].append("网格")  # grids and 网格 are the same column
    for row in out[1:]:
        row.append("")
    return out


GRID_CASES = [
    ("listed twice", _set(4, "一网格;二网格;一网格"), "row 4, column G (grids)", "listed twice"),
    ("too long", _set(5, "一网格;" + "长" * 51), "row 5, column G (grids)", "longer than 50"),
    ("reserved", _set(6, f"一网格;{NOT_SURE}"), "row 6, column G (grids)", "cannot be a grid"),
    (
        "too many",
        _set(7, ";".join(f"{k}号网格" for k in range(201))),
        "row 7, column G (grids)",
        "at most 200",
    ),
    (
        "column twice",
        _twice,
        f"row 1, column {chr(ord('A') + len(REQUIRED) + 1 + len(CELLS))}",
        "twice",
    ),
]


@pytest.mark.parametrize(
    ("rows_of", "where", "message"), [c[1:] for c in GRID_CASES], ids=[c[0] for c in GRID_CASES]
)
def test_a_bad_grids_cell_names_row_and_column_and_changes_nothing(
    cli_db: Engine, tmp_path: Path, capsys: Any, rows_of: Any, where: str, message: str
) -> None:
    good = _with_grids(district_rows())
    assert main(["district", "import", str(write_xlsx(tmp_path / "good.xlsx", good))]) == 0
    before = (_grids(cli_db), _audit_count(cli_db))
    bad = rows_of(good)
    bad[2][GRIDS_AT] = "南区"  # a valid change elsewhere must not slip in either
    capsys.readouterr()
    assert main(["district", "import", str(write_xlsx(tmp_path / "bad.xlsx", bad))]) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    line = next((x for x in err.splitlines() if where in x), None)
    assert line is not None, err
    assert message in line
    assert (_grids(cli_db), _audit_count(cli_db)) == before


def test_the_template_shows_the_grids_column_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_bytes(CELLS))
    parsed = read_district_file(path, CELLS)
    assert parsed.problems == []
    assert parsed.entries[0].grids == ["一网格", "二网格", "三网格"]
