"""Retention (PIPL): `meihao retention` and the wave schedule delete old drafts and the raw free
text of answers older than ``free_text_retention_days``; newer comments stay, scores do not move,
and every purge is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.cli.main import main
from api.services import retention
from api.services.schedule import Periodic, settle_due_waves
from api.services.snapshots import compute_snapshot
from api.settings import Settings, get_settings
from survey.questionnaire.model import load_default
from survey.storage.drafts import start_draft
from survey.storage.models import AuditEvent, Draft, Response, Wave
from survey.storage.responses import submit_response
from tests.support.factories import new_client_id
from tests.support.honest_answers import genuine

ITEM = next(i.code for i in load_default().items if i.kind == "text")
DAYS = 365  # the default free_text_retention_days


def comments(engine: Engine, ages_days: list[float]) -> list[int]:
    """One answer with a comment per age (days before now); their ids."""
    rng = np.random.default_rng(11)
    ids = []
    with Session(engine) as session:
        for k, age in enumerate(ages_days):
            answers = dict(genuine(rng), **{ITEM: f"楼道灯坏了,电话1381234{k:04d}"})
            receipt = submit_response(
                session=session,
                wave_code="W1",
                community_code=f"C{1 + k % 2}",
                client_id=new_client_id(),
                answers=answers,
            )
            row = session.get(Response, receipt.response_id)
            assert row is not None
            row.submitted_at = datetime.now(UTC) - timedelta(days=age)
            session.add(row)
            session.commit()  # before the next submission opens its own transaction
            ids.append(receipt.response_id)
        session.commit()
    return ids


def stored(engine: Engine) -> dict[int, dict[str, Any]]:
    with Session(engine) as session:
        return {r.id or 0: dict(r.answers) for r in session.exec(select(Response)).all()}


def scores(engine: Engine) -> tuple[str, list[tuple[Any, ...]]]:
    with Session(engine) as session:
        snap = compute_snapshot(
            session=session, wave_code="W1", model_name=None, bootstrap=0, actor="test"
        )
    rows = [(r["code"], r["n"], r["index"], r["rank"]) for r in snap.results["communities"]]
    return snap.results["provenance"]["data_sha256"], rows


def retention_events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action == "retention")
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("MEIHAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEIHAO_SECRET_KEY", "test-secret")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_command_removes_old_comments_keeps_new_ones_and_scores(
    client: TestClient, cli_env: Any
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    old = comments(engine, [DAYS + 30 + k for k in range(20)])
    new = comments(engine, [DAYS - 30 - k for k in range(20)])
    with Session(engine) as session:
        wave = session.exec(select(Wave)).one()
        stale = start_draft(session=session, wave=wave, community_id=1)
        stale.updated_at = datetime.now(UTC) - timedelta(days=40)
        session.add(stale)
        start_draft(session=session, wave=wave, community_id=1)  # recent: kept
        session.commit()
    before, answers_before = scores(engine), stored(engine)

    assert main(["retention", "--dry-run"]) == 0
    assert stored(engine) == answers_before and retention_events(engine) == []
    assert main(["retention"]) == 0

    after = stored(engine)
    for i in old:  # the comment is gone, every other answer is as it was
        assert ITEM not in after[i]
        assert after[i] == {k: v for k, v in answers_before[i].items() if k != ITEM}
    for i in new:
        assert after[i] == answers_before[i] and after[i][ITEM].startswith("楼道灯")
    with Session(engine) as session:
        assert len(session.exec(select(Draft)).all()) == 1
    (event,) = retention_events(engine)
    assert event.actor == "cli" and event.detail == {"drafts": 1, "responses_with_free_text": 20}
    assert scores(engine) == before  # same data hash, same n, index and rank
    assert main(["retention"]) == 0  # nothing left to delete: the run is still on record
    assert retention_events(engine)[-1].detail == {"drafts": 0, "responses_with_free_text": 0}


def test_the_schedule_purges_once_a_day_and_audits(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    monkeypatch.setattr(retention, "_last", None)  # this process has not purged yet
    short = Periodic(
        bootstrap=0,
        scan_interval=timedelta(hours=1),
        draft_retention_days=settings.draft_retention_days,
        free_text_retention_days=30,  # a deployment that keeps free text for a month
    )
    old = comments(engine, [45.0, 31.0])
    new = comments(engine, [20.0, 1.0])
    before = scores(engine)
    now = datetime.now(UTC)
    assert "retention" in settle_due_waves(engine, periodic=short, now=now).changed
    after = stored(engine)
    assert all(ITEM not in after[i] for i in old) and all(ITEM in after[i] for i in new)
    (event,) = retention_events(engine)
    assert event.actor == "schedule" and event.detail["responses_with_free_text"] == 2
    assert scores(engine) == before
    # later the same day: not again, even with new work waiting
    comments(engine, [40.0])
    assert (
        "retention"
        not in settle_due_waves(engine, periodic=short, now=now + timedelta(hours=3)).changed
    )
    assert len(retention_events(engine)) == 1
    # a day later it runs again
    nextday = now + timedelta(days=1, minutes=1)
    assert "retention" in settle_due_waves(engine, periodic=short, now=nextday).changed
    assert retention_events(engine)[-1].detail["responses_with_free_text"] == 1
