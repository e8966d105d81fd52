"""Recomputing snapshots and closing waves: who may, what is audited, what stays unchanged."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import api.services.jobs as job_service
from scoring.errors import ScoringError
from survey.storage.models import ScoreSnapshot, Wave
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, link_token, new_client_id
from tests.support.jobs import finished_job, scored_snapshot
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
    researcher = bearer(engine, "researcher")
    created = staff_client.post("/api/v1/waves/W1/snapshots", headers=researcher)
    assert created.headers["location"] == created.json()["url"]
    snapshot = scored_snapshot(staff_client, created, researcher)
    assert snapshot["model"] == "equal" and snapshot["wave"] == "W1"
    assert [e.actor for e in audit(staff_client, "enqueue_score_job")] == ["researcher"]
    assert [e.actor for e in audit(staff_client, "score_wave")] == ["researcher"]
    # Only those who may start a job may read it.
    url = created.json()["url"]
    assert staff_client.get(url, headers=bearer(engine, "district")).status_code == 403
    assert staff_client.get("/api/v1/jobs/999", headers=researcher).status_code == 404


def test_closing_a_wave_rescores_it_and_audits_both(staff_client: TestClient) -> None:
    engine = engine_of(staff_client)
    submit_some(engine, 100)
    assert (
        staff_client.post(
            "/api/v1/waves/W1/close", headers=bearer(engine, "researcher")
        ).status_code
        == 403
    )
    admin = bearer(engine, "admin")
    closed = staff_client.post("/api/v1/waves/W1/close", headers=admin)
    assert closed.status_code == 202, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["job"]["kind"] == "close"
    assert scored_snapshot(staff_client, closed, admin)["model"] == "equal"
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


def test_a_wave_whose_scoring_fails_closes_and_its_job_says_why(
    staff_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(**_: Any) -> dict[str, Any]:
        raise ScoringError("no community has enough responses")

    monkeypatch.setattr(job_service, "score_results", failing)
    engine = engine_of(staff_client)
    admin = bearer(engine, "admin")
    response = staff_client.post("/api/v1/waves/W1/close", headers=admin)
    job = finished_job(staff_client, response, admin)
    # A data problem is not retried: the job is dead at once, with the reason.
    assert job["status"] == "dead" and job["attempts"] == 1
    assert "enough responses" in job["error"] and job["snapshot"] is None
    with Session(engine) as session:
        assert session.exec(select(Wave)).one().status == "closed"
        assert session.exec(select(ScoreSnapshot)).all() == []
    assert [e.actor for e in audit(staff_client, "close_wave")] == ["admin"]
