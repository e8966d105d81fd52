"""Recomputing snapshots and closing waves: who may, what is audited, what stays unchanged."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import api.services.waves as wave_service
from scoring.errors import ScoringError
from survey.storage.models import ScoreSnapshot, Wave
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, link_token, new_client_id
from tests.support.staff import audit, bearer, engine_of, seed_staff


@pytest.fixture
def staff_client(client: TestClient) -> TestClient:
    seed_staff(engine_of(client))
    return client


def submit_some(engine: Engine, n: int) -> None:
    rng = random.Random(7)
    with Session(engine) as session:
        for i in range(n):
            community = ("C1", "C2")[i % 2]
            answers = complete_answers(likert=rng.randint(2, 5), rating=rng.randint(3, 9))
            # the population cells of tests.support.factories.MARGINS, so raking has something to do
            answers["age_band"], answers["gender"] = (("60-69", "female"), ("30-44", "male"))[
                rng.randint(0, 1)
            ]
            submit_response(
                session=session,
                wave_code="W1",
                community_code=community,
                client_id=new_client_id(),
                answers=answers,
            )


def test_recomputing_a_snapshot_is_for_researchers_and_audited(staff_client: TestClient) -> None:
    engine = engine_of(staff_client)
    submit_some(engine, 100)
    official = staff_client.post("/api/v1/waves/W1/snapshots", headers=bearer(engine, "district"))
    assert official.status_code == 403
    created = staff_client.post("/api/v1/waves/W1/snapshots", headers=bearer(engine, "researcher"))
    assert created.status_code == 201, created.text
    assert [e.actor for e in audit(staff_client, "score_wave")] == ["researcher"]


def test_closing_a_wave_rescores_it_and_audits_both(staff_client: TestClient) -> None:
    engine = engine_of(staff_client)
    submit_some(engine, 100)
    assert (
        staff_client.post(
            "/api/v1/waves/W1/close", headers=bearer(engine, "researcher")
        ).status_code
        == 403
    )
    closed = staff_client.post("/api/v1/waves/W1/close", headers=bearer(engine, "admin"))
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["snapshot"]["model"] == "equal"
    with Session(engine) as session:
        assert session.exec(select(Wave)).one().status == "closed"
        assert len(session.exec(select(ScoreSnapshot)).all()) == 1
    assert [e.actor for e in audit(staff_client, "close_wave")] == ["admin"]
    assert [e.actor for e in audit(staff_client, "score_wave")] == ["admin"]
    late = staff_client.post(
        "/api/v1/responses",
        json={
            "link": link_token("W1", "C1"),
            "client_id": new_client_id(),
            "answers": complete_answers(),
        },
    )
    assert late.status_code == 409
    again = staff_client.post("/api/v1/waves/W1/close", headers=bearer(engine, "admin"))
    assert again.status_code == 409


def test_a_wave_whose_scoring_fails_stays_open(
    staff_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(**_: Any) -> ScoreSnapshot:
        raise ScoringError("no community has enough responses")

    monkeypatch.setattr(wave_service, "compute_snapshot", failing)
    engine = engine_of(staff_client)
    response = staff_client.post("/api/v1/waves/W1/close", headers=bearer(engine, "admin"))
    assert response.status_code == 422
    assert "enough responses" in response.json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(Wave)).one().status == "open"
    assert audit(staff_client, "close_wave") == []
