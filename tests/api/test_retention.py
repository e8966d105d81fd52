"""`meihao retention` deletes old drafts and the raw free text of long-closed waves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.cli.main import main
from api.settings import Settings, get_settings
from survey.questionnaire.model import load_default
from survey.storage.drafts import start_draft
from survey.storage.models import AuditEvent, Draft, Response, Wave
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id


def test_retention_deletes_old_drafts_and_free_text(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEIHAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEIHAO_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    item = next(i.code for i in load_default().items if i.kind == "text")
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        wave = session.exec(select(Wave)).one()
        old = start_draft(session=session, wave=wave, community_id=1)
        old.updated_at = datetime.now(UTC) - timedelta(days=40)
        session.add(old)
        start_draft(session=session, wave=wave, community_id=1)  # recent: kept
        answers = dict(complete_answers(), **{item: "电话13812345678"})
        submit_response(
            session=session,
            wave_code="W1",
            community_code="C1",
            client_id=new_client_id(),
            answers=answers,
        )
        wave.status = "closed"
        wave.closes_at = datetime.now(UTC) - timedelta(days=400)
        session.add(wave)
        session.commit()
    try:
        assert main(["retention", "--dry-run"]) == 0
        with Session(engine) as session:
            assert len(session.exec(select(Draft)).all()) == 2
        assert main(["retention"]) == 0
    finally:
        get_settings.cache_clear()
    with Session(engine) as session:
        assert len(session.exec(select(Draft)).all()) == 1
        row = session.exec(select(Response)).one()
        assert item not in row.answers and "D1.1" in row.answers
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention")).one()
        assert event.detail == {"drafts": 1, "responses_with_free_text": 1}
