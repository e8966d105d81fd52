"""Flags reach the index: a snapshot leaves out exactly the planted answers, and says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.services.exclusions import exact_duplicates
from api.services.snapshots import compute_snapshot
from survey.storage.models import Wave
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id
from tests.support.staff import bearer, engine_of, seed_staff


def genuine(rng: np.random.Generator) -> dict[str, object]:
    answers = complete_answers()
    for code, value in list(answers.items()):
        if isinstance(value, int) and 1 <= value <= 5 and code.startswith("D"):
            answers[code] = int(rng.integers(1, 6))
    # people in both of the seeded population cells, so raking has something to weight
    answers["age_band"], answers["gender"] = (
        ("60-69", "female") if rng.random() < 0.5 else ("30-44", "male")
    )
    return answers


def test_exact_duplicates_keep_the_first_of_each_group() -> None:
    X = np.array([[1, np.nan], [1, np.nan], [1, np.nan], [2, 3]], dtype=float)
    assert exact_duplicates(X, np.array([0, 0, 1, 0])).tolist() == [False, True, False, False]


def test_planted_answers_are_excluded_and_counted(client: TestClient) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(7)
    kept = []
    with Session(engine) as session:
        for k in range(100):
            answers = genuine(rng)
            kept.append(answers)
            submit_response(
                session=session,
                wave_code="W1",
                community_code=f"C{1 + k % 2}",
                client_id=new_client_id(),
                answers=answers,
            )
        planted = {"honeypot": 20, "speeder": 15, "duplicate": 15}
        for _ in range(planted["honeypot"]):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=genuine(rng),
                honeypot=True,
            )
        for _ in range(planted["speeder"]):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C2",
                client_id=new_client_id(),
                answers=genuine(rng),
                started_at=datetime.now(UTC) - timedelta(seconds=5),
            )
        for k in range(planted["duplicate"]):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=kept[2 * k],  # a copy of a genuine C1 answer
            )
        snapshot = compute_snapshot(
            session=session, wave_code="W1", model_name=None, bootstrap=0, actor="test"
        )
        summary = snapshot.results["exclusions"]
        assert session.exec(select(Wave)).one().exclusion_policy == {}  # the default policy
    assert summary["n_received"] == 150 and summary["n_scored"] == 100
    assert summary["n_excluded"] == 50
    assert summary["excluded_by_rule"]["honeypot"] == 20
    assert summary["excluded_by_rule"]["speeder"] == 15
    assert summary["excluded_by_rule"]["duplicate"] == 15
    assert summary["excluded_by_rule"]["straightliner"] == 0
    seed_staff(engine)
    ranking = client.get("/api/v1/waves/W1/rankings", headers=bearer(engine, "admin")).json()
    assert ranking["exclusions"]["n_excluded"] == 50
    assert ranking["exclusions"]["excluded_by_rule"]["honeypot"] == 20
    assert sum(r["n"] for r in ranking["communities"]) == 100


def test_research_exports_include_or_exclude_flagged_rows(client: TestClient) -> None:
    engine = engine_of(client)
    rng = np.random.default_rng(5)
    with Session(engine) as session:
        for k in range(12):
            submit_response(
                session=session,
                wave_code="W1",
                community_code="C1",
                client_id=new_client_id(),
                answers=genuine(rng),
                honeypot=k < 4,
            )
    seed_staff(engine)
    headers = bearer(engine, "researcher")
    every = client.get("/api/v1/waves/W1/exports/responses.csv", headers=headers)
    clean = client.get(
        "/api/v1/waves/W1/exports/responses.csv", params={"flagged": "exclude"}, headers=headers
    )
    assert every.status_code == 200 and clean.status_code == 200, clean.text
    assert len(every.text.strip().splitlines()) == 1 + 12
    assert len(clean.text.strip().splitlines()) == 1 + 8
    assert "honeypot" in every.text and "honeypot" not in clean.text
