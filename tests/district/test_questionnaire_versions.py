"""Questionnaire versions from the command line: the default v1 in every new database, export,
import as a draft, diff, publish (immutable; an identical definition is refused by name)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.cli.main import main
from survey.questionnaire.model import load_default
from survey.storage.models import QuestionnaireRecord


def test_every_new_database_has_the_default_published(cli_db: Engine) -> None:
    with Session(cli_db) as session:
        rows = session.exec(select(QuestionnaireRecord)).all()
    assert [(r.slug, r.version, r.published) for r in rows] == [("meihao", 1, True)]
    assert rows[0].definition_hash == load_default().definition_hash()


def _edited(tmp_path: Path, edit: Any) -> Path:
    out = tmp_path / "q.json"
    assert main(["questionnaire", "export", "meihao", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    edit(data)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def _item(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in data["items"] if i["code"] == code)


def test_import_diff_publish(cli_db: Engine, tmp_path: Path, capsys: Any) -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, "D1.1")["label"]["zh"] = "改写的题目"
        _item(data, "D1.2")["reverse"] = True
        moved = _item(data, "D1.3")
        other = next(
            i["subdimension"]
            for i in data["items"]
            if i.get("subdimension") and i["subdimension"] != moved["subdimension"]
        )
        moved["subdimension"] = other

    path = _edited(tmp_path, edit)
    assert main(["questionnaire", "import", str(path)]) == 0
    capsys.readouterr()
    assert main(["questionnaire", "diff", "meihao", "1", "2", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert [e["code"] for e in diff["reworded"]] == ["D1.1"]
    assert [e["code"] for e in diff["rekeyed"]] == ["D1.2"]
    assert [e["code"] for e in diff["moved"]] == ["D1.3"]
    assert diff["added"] == [] and diff["removed"] == []
    # A draft cannot run a wave.
    assert main(["wave", "create", "W", "--questionnaire", "meihao@2"]) == 1
    assert "draft" in capsys.readouterr().err
    assert main(["questionnaire", "publish", "meihao", "--version", "2"]) == 0
    assert main(["questionnaire", "publish", "meihao", "--version", "2"]) == 1
    assert "already published" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["questionnaire", "list"]) == 0
    listing = capsys.readouterr().out
    assert "meihao@1  published" in listing and "meihao@2  published" in listing


def test_publishing_an_identical_definition_names_the_existing_version(
    cli_db: Engine, tmp_path: Path, capsys: Any
) -> None:
    path = _edited(tmp_path, lambda data: None)
    assert main(["questionnaire", "import", str(path)]) == 0
    capsys.readouterr()
    assert main(["questionnaire", "publish", "meihao", "--version", "2"]) == 1
    assert "identical to the published v1" in capsys.readouterr().err
    with Session(cli_db) as session:
        v2 = session.exec(select(QuestionnaireRecord).where(QuestionnaireRecord.version == 2)).one()
    assert v2.published is False


def test_an_invalid_definition_is_refused_and_stores_nothing(
    cli_db: Engine, tmp_path: Path, capsys: Any
) -> None:
    path = _edited(tmp_path, lambda data: _item(data, "D1.1").update({"scale": "nope"}))
    assert main(["questionnaire", "import", str(path)]) == 1
    assert "nope" in capsys.readouterr().err
    with Session(cli_db) as session:
        assert len(session.exec(select(QuestionnaireRecord)).all()) == 1


def test_xlsform_round_trip_through_pyxform(cli_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    assert main(["questionnaire", "export", "meihao", "--out", str(out)]) == 0
    assert main(["questionnaire", "import", str(out), "--slug", "other"]) == 0
    with Session(cli_db) as session:
        other = session.exec(
            select(QuestionnaireRecord).where(QuestionnaireRecord.slug == "other")
        ).one()
    assert other.version == 1 and other.published is False


@pytest.mark.parametrize("spec", ["meihao@x", "nobody"])
def test_bad_questionnaire_specs(cli_db: Engine, spec: str, capsys: Any) -> None:
    assert main(["wave", "create", "W", "--questionnaire", spec]) == 1
    assert "error:" in capsys.readouterr().err
