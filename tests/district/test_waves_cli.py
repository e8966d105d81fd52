"""Waves from the command line and their schedule: created scheduled, opened, refused outside
their dates (residents' page and API 409 with the dates), closed with rescoring, reopened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.cli.main import main
from survey.errors import ConflictError
from survey.storage.db import session_scope
from survey.storage.models import AuditEvent, Wave
from survey.storage.responses import submit_response
from survey.storage.waves import effective_status
from tests.district.helpers import district_rows, write_xlsx
from tests.support.factories import complete_answers, new_client_id


@pytest.fixture
def district(cli_db: Engine, tmp_path: Path) -> Engine:
    assert main(["district", "import", str(write_xlsx(tmp_path / "d.xlsx", district_rows()))]) == 0
    return cli_db


def _wave(engine: Engine, code: str) -> Wave:
    with Session(engine) as session:
        return session.exec(select(Wave).where(Wave.code == code)).one()


def _submit(engine: Engine, wave: str) -> None:
    with Session(engine) as session:
        submit_response(
            session=session,
            wave_code=wave,
            community_code="S01-001",
            client_id=new_client_id(),
            answers=complete_answers(),
        )


def test_create_open_close_reopen(district: Engine, tmp_path: Path, capsys: Any) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"exclude": ["speeder"]}), encoding="utf-8")
    args = ["wave", "create", "W1", "--questionnaire", "meihao", "--exclusion", str(policy)]
    assert main([*args, "--access", "open", "--model", "equal"]) == 0
    wave = _wave(district, "W1")
    assert wave.status == "scheduled" and wave.exclusion_policy == {"exclude": ["speeder"]}
    with pytest.raises(ConflictError, match="not opened yet"):
        _submit(district, "W1")
    assert main(["wave", "open", "W1"]) == 0
    _submit(district, "W1")
    assert main(["wave", "close", "W1"]) == 0
    assert _wave(district, "W1").status == "closed"
    with pytest.raises(ConflictError, match="closed"):
        _submit(district, "W1")
    # One identical-answer response: kept (the default policy would drop it as straight-lining).
    assert main(["wave", "create", "W2", "--questionnaire", "meihao@1", "--exclusion", "none"]) == 0
    assert main(["wave", "open", "W2"]) == 0
    capsys.readouterr()
    assert main(["wave", "reopen", "W1", "--reason", "a street was missed"]) == 1
    assert "later wave W2 is open" in capsys.readouterr().err
    _submit(district, "W2")
    assert main(["wave", "close", "W2"]) == 0
    assert main(["wave", "reopen", "W1", "--reason", "a street was missed"]) == 0
    _submit(district, "W1")
    with Session(district) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "wave.reopen")).all()
    assert [e.detail["reason"] for e in events] == ["a street was missed"]
    capsys.readouterr()
    assert main(["wave", "list"]) == 0
    out = capsys.readouterr().out
    assert "W1  open" in out and "W2  closed" in out


def test_a_wave_opens_and_closes_by_itself(district: Engine) -> None:
    now = datetime.now(UTC)
    opens = (now + timedelta(hours=1)).isoformat()
    closes = (now + timedelta(hours=2)).isoformat()
    assert (
        main(
            [
                "wave",
                "create",
                "W",
                "--questionnaire",
                "meihao",
                "--opens",
                opens,
                "--closes",
                closes,
            ]
        )
        == 0
    )
    wave = _wave(district, "W")
    assert effective_status(wave, now) == "scheduled"
    assert effective_status(wave, now + timedelta(minutes=61)) == "open"
    assert effective_status(wave, now + timedelta(minutes=121)) == "closed"
    with session_scope(district) as session:
        row = session.exec(select(Wave).where(Wave.code == "W")).one()
        row.opens_at = now - timedelta(minutes=1)  # as if an hour had passed
    _submit(district, "W")  # no `wave open` needed
    with session_scope(district) as session:
        row = session.exec(select(Wave).where(Wave.code == "W")).one()
        row.closes_at = now - timedelta(seconds=1)
    with pytest.raises(ConflictError, match="survey period"):
        _submit(district, "W")


def test_bad_dates_are_refused(district: Engine, capsys: Any) -> None:
    assert main(["wave", "create", "W", "--questionnaire", "meihao", "--opens", "soon"]) == 1
    assert "ISO" in capsys.readouterr().err
    assert (
        main(
            [
                "wave",
                "create",
                "W",
                "--questionnaire",
                "meihao",
                "--opens",
                "2026-06-02",
                "--closes",
                "2026-06-01",
            ]
        )
        == 1
    )
    assert "close after it opens" in capsys.readouterr().err
    assert _count_waves(district) == 0


def _count_waves(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(Wave)).all())


def test_check_fails_with_the_placeholder_and_passes_once_configured(
    cli_db: Engine, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from api.settings import get_settings

    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "[联系人及电话]" in out and "MEIHAO_ORGANISER_NAME" in out
    assert main(["serve"]) == 2
    assert "refusing to serve" in capsys.readouterr().err
    monkeypatch.setenv("MEIHAO_ORGANISER_NAME", "成华区社治委")
    monkeypatch.setenv("MEIHAO_ORGANISER_CONTACT", "028-12345678")
    monkeypatch.setenv("MEIHAO_PUBLIC_BASE_URL", "https://survey.example.cn")
    get_settings.cache_clear()
    assert main(["check"]) == 0
    assert capsys.readouterr().out.strip().endswith("ready")
