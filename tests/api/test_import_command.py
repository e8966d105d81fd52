"""``meihao import``: summary, report file and exit status."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from api.cli.main import main
from api.settings import get_settings
from survey.formats.paper.cells import FIXED_COLUMNS
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import Response
from tests.support.factories import complete_answers, seed_minimal


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    seed_minimal(engine)
    engine.dispose()
    monkeypatch.setenv("MEIHAO_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


def sheet(path: Path, likerts: list[str]) -> Path:
    answers = complete_answers()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*FIXED_COLUMNS, *answers])
        for likert in likerts:
            values = {**answers, "D1.1": likert}
            writer.writerow(
                [
                    "W1",
                    "C1",
                    "",
                    "",
                    "",
                    *(" ".join(v) if isinstance(v, list) else v for v in values.values()),
                ]
            )
    return path


def stored(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        n = int(session.exec(select(func.count()).select_from(Response)).one())
    engine.dispose()
    return n


def test_errors_give_exit_status_1_and_a_report(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(tmp_path / "paper.csv", ["4", "8", "5"])
    status = main(["import", str(path), "--wave", "W1", "--report", str(tmp_path / "r.csv")])
    out = capsys.readouterr().out
    assert status == 1 and stored(database) == 0
    assert "nothing imported" in out and "row 3, D1.1:" in out
    lines = list(csv.reader((tmp_path / "r.csv").read_text("utf-8-sig").splitlines()))
    assert lines[1][:3] == ["3", "D1.1", "8"]

    assert main(["import", str(path), "--wave", "W1", "--skip-invalid"]) == 0
    assert "2 rows imported" in capsys.readouterr().out and stored(database) == 2


def test_a_clean_file_imports_and_a_dry_run_does_not(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sheet(tmp_path / "paper.csv", ["1", "2"])
    assert main(["import", str(path), "--wave", "W1", "--dry-run"]) == 0
    assert "would be imported" in capsys.readouterr().out and stored(database) == 0
    assert main(["import", str(path), "--wave", "W1"]) == 0
    assert stored(database) == 2
    assert main(["import", str(path), "--wave", "W1"]) == 0  # again: duplicates, not errors
    assert "2 already stored" in capsys.readouterr().out and stored(database) == 2


def test_unreadable_file_or_unknown_wave(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "none.csv"), "--wave", "W1"]) == 1
    assert "error: " in capsys.readouterr().err
    path = sheet(tmp_path / "paper.csv", ["1"])
    assert main(["import", str(path), "--wave", "NOPE"]) == 1
    assert "NOPE" in capsys.readouterr().err
