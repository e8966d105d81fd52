"""The district register import: every validation rule names its row and column, a failed
import changes nothing, a re-import of the same file changes nothing, changes are audited."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.cli.main import main
from survey.storage.db import session_scope
from survey.storage.models import AuditEvent, Community, ScoreSnapshot, Street
from tests.district.helpers import CELLS, district_rows, write_csv, write_xlsx


def _state(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        return {
            "streets": [(s.code, s.name, s.updated_at) for s in session.exec(select(Street)).all()],
            "communities": sorted(
                (c.code, c.name, c.population, dict(c.margins), c.updated_at, c.retired_at)
                for c in session.exec(select(Community)).all()
            ),
            "audit": session.exec(select(func.count()).select_from(AuditEvent)).one(),
        }


def test_import_show_export_round_trip(cli_db: Engine, tmp_path: Path, capsys: Any) -> None:
    path = write_xlsx(tmp_path / "district.xlsx", district_rows())
    assert main(["district", "import", str(path), "--dry-run"]) == 0
    assert _state(cli_db)["communities"] == []  # a dry run writes nothing
    assert main(["district", "import", str(path)]) == 0
    state = _state(cli_db)
    assert len(state["streets"]) == 4 and len(state["communities"]) == 12
    first = next(c for c in state["communities"] if c[0] == "S01-001")
    assert first[2] == sum(100 + k for k in range(len(CELLS)))
    assert first[3][CELLS[3]] == 103.0
    # The same file again: no row, no updated_at, no audit event changes.
    assert main(["district", "import", str(path)]) == 0
    assert _state(cli_db) == state
    # Export gives the same file back: importing the export changes nothing either.
    out = tmp_path / "export.csv"
    assert main(["district", "export", str(out)]) == 0
    assert main(["district", "import", str(out)]) == 0
    assert _state(cli_db) == state
    capsys.readouterr()
    assert main(["district", "show"]) == 0
    assert "4 streets, 12 communities" in capsys.readouterr().out


def test_changes_are_updated_audited_and_old_snapshots_keep_their_figures(
    cli_db: Engine, tmp_path: Path
) -> None:
    rows = district_rows()
    assert main(["district", "import", str(write_xlsx(tmp_path / "a.xlsx", rows))]) == 0
    before = _state(cli_db)
    with session_scope(cli_db) as session:
        wave_id = session.exec(select(func.min(Community.id))).one()  # any id will do below
        from survey.questionnaire_versions import get_version
        from survey.storage.models import Wave

        record = get_version(session=session, slug="meihao", version=1)
        wave = Wave(code="OLD", questionnaire_id=record.id or 0, status="closed")
        session.add(wave)
        session.flush()
        snapshot = ScoreSnapshot(
            wave_id=wave.id or 0,
            model_name="equal",
            model_version=1,
            data_hash="x",
            results={"communities": [{"code": "S01-001", "population_cells": [100.0]}]},
        )
        session.add(snapshot)
    assert wave_id is not None
    changed = copy.deepcopy(rows)
    changed[1][3] = "改名社区"  # S01-001 renamed
    changed[2][6] += 5  # S01-002: one cell and the population
    changed[2][5] += 5
    assert main(["district", "import", str(write_xlsx(tmp_path / "b.xlsx", changed))]) == 0
    after = _state(cli_db)
    assert after["audit"] == before["audit"] + 1
    olds = {c[0]: c for c in before["communities"]}
    news = {c[0]: c for c in after["communities"]}
    assert news["S01-001"][1] == "改名社区" and news["S01-001"][4] > olds["S01-001"][4]
    assert news["S01-002"][2] == olds["S01-002"][2] + 5
    unchanged = [code for code in news if code not in ("S01-001", "S01-002")]
    assert all(news[c] == olds[c] for c in unchanged)
    with Session(cli_db) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "district.import")
        ).all()[-1]
        assert event.detail["updated"]["S01-001"]["name"] == ["1-1号社区", "改名社区"]
        stored = session.exec(select(ScoreSnapshot)).one()
        assert stored.results["communities"][0]["population_cells"] == [100.0]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings_and_chinese_headers(cli_db: Engine, tmp_path: Path, encoding: str) -> None:
    rows = district_rows()
    rows[0][:6] = ["街道编码", "街道名称", "社区编码", "社区名称", "住房类型", "常住人口"]
    path = write_csv(tmp_path / "district.csv", rows, encoding=encoding)
    assert main(["district", "import", str(path)]) == 0
    assert len(_state(cli_db)["communities"]) == 12


def test_xlsx_reads_the_communities_sheet_else_the_first(cli_db: Engine, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "first.xlsx", district_rows(), sheet="Sheet1")
    assert main(["district", "import", str(path)]) == 0
    assert len(_state(cli_db)["communities"]) == 12


def _break(rows: list[list[Any]], row: int, column: int, value: Any) -> list[list[Any]]:
    out = copy.deepcopy(rows)
    out[row - 1][column] = value
    return out


def _second_in_other_street(rows: list[list[Any]]) -> list[list[Any]]:
    out = copy.deepcopy(rows)
    out[5][2] = out[1][2]  # row 6 reuses row 2's community code, in street S02
    return out


def _duplicate(rows: list[list[Any]]) -> list[list[Any]]:
    out = copy.deepcopy(rows)
    out[3][2] = out[2][2]  # row 4 reuses row 3's code, same street
    return out


CASES = [
    ("duplicate code", _duplicate, "row 4, column C (community_code)", "duplicate community code"),
    (
        "two streets",
        _second_in_other_street,
        "row 6, column A (street_code)",
        "belongs to one street",
    ),
    (
        "housing type",
        lambda r: _break(r, 3, 4, "别墅区"),
        "row 3, column E (housing_type)",
        "unknown housing type",
    ),
    (
        "negative count",
        lambda r: _break(r, 5, 8, -4),
        "row 5, column I (30-44|male)",
        "negative",
    ),
    (
        "non-numeric count",
        lambda r: _break(r, 7, 10, "约一百"),
        "row 7, column K (45-59|male)",
        "not a number",
    ),
    (
        "non-numeric population",
        lambda r: _break(r, 2, 5, "many"),
        "row 2, column F (population)",
        "not a number",
    ),
    (
        "margins",
        lambda r: _break(r, 9, 5, r[8][5] + 500),
        "row 9, column F (population)",
        "more than 1 %",
    ),
    (
        "unknown cell column",
        lambda r: _break(r, 1, 6, "18-29|other"),
        "row 1, column G (18-29|other)",
        "not a population cell",
    ),
    (
        "street named twice",
        lambda r: _break(r, 3, 1, "别的名字"),
        "row 3, column B (street_name)",
        "is named",
    ),
    (
        "empty community name",
        lambda r: _break(r, 4, 3, ""),
        "row 4, column D (community_name)",
        "empty",
    ),
]


@pytest.mark.parametrize(
    ("rows_of", "where", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_breaking_file_names_row_and_column_and_changes_nothing(
    cli_db: Engine, tmp_path: Path, capsys: Any, rows_of: Any, where: str, message: str
) -> None:
    good = district_rows()
    assert main(["district", "import", str(write_xlsx(tmp_path / "good.xlsx", good))]) == 0
    before = _state(cli_db)
    bad = rows_of(good)
    bad[1][3] = "也改了名字"  # a valid change elsewhere must not slip in either
    capsys.readouterr()
    assert main(["district", "import", str(write_xlsx(tmp_path / "bad.xlsx", bad))]) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    line = next((x for x in err.splitlines() if where in x), None)
    assert line is not None, err
    assert message in line
    assert _state(cli_db) == before


def test_missing_cells_leave_the_community_unraked_and_say_so(
    cli_db: Engine, tmp_path: Path, capsys: Any
) -> None:
    rows = district_rows()
    rows[4][8] = ""
    capsys.readouterr()
    assert main(["district", "import", str(write_xlsx(tmp_path / "d.xlsx", rows))]) == 0
    out = capsys.readouterr().out
    assert "row 5: community S02-001 is not raked" in out and "30-44|male" in out
    with Session(cli_db) as session:
        c = session.exec(select(Community).where(Community.code == "S02-001")).one()
        assert c.margins == {} and c.population == rows[4][5]


def test_a_community_left_out_is_retired_and_comes_back(cli_db: Engine, tmp_path: Path) -> None:
    rows = district_rows()
    assert main(["district", "import", str(write_xlsx(tmp_path / "a.xlsx", rows))]) == 0
    assert main(["district", "import", str(write_xlsx(tmp_path / "b.xlsx", rows[:-1]))]) == 0
    with Session(cli_db) as session:
        gone = session.exec(select(Community).where(Community.code == rows[-1][2])).one()
        assert gone.retired_at is not None
    assert main(["district", "import", str(write_xlsx(tmp_path / "a.xlsx", rows))]) == 0
    with Session(cli_db) as session:
        back = session.exec(select(Community).where(Community.code == rows[-1][2])).one()
        assert back.retired_at is None
