"""The event-loop path of POST /api/v1/responses (api/residents/fast_submit.py) stores exactly
what the full path stores, flags what it flags, and hands back what it does not decide."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

import api.residents.responses_routes as routes
from survey.storage.models import Response
from tests.support.factories import complete_answers, link_token, new_client_id

COMPARED = (
    "wave_id",
    "questionnaire_id",
    "started_at",
    "client_started_at",
    "channel",
    "enumerator_id",
    "source_hash",
    "quality_flags",
    "answers",
    "numeric",
)


def _post(client: TestClient, community: str, answers: dict[str, Any], **extra: Any) -> Any:
    body = {
        "link": link_token("W1", community),
        "client_id": new_client_id(),
        "answers": answers,
        "started_at": "2026-05-01T08:00:00+08:00",
        **extra,
    }
    return client.post("/api/v1/responses", json=body)


def _row(client: TestClient, response_id: int) -> Response:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        row = session.get(Response, response_id)
        assert row is not None
        return row


def _full_path_only(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the route hand every submission to the full path; count the hand-backs."""
    handed: list[int] = []

    async def hand_back(*_args: Any) -> None:
        handed.append(1)
        return None

    monkeypatch.setattr(routes, "submit_by_link", hand_back)
    return handed


def test_both_paths_store_the_same_row(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = complete_answers()
    fast = _post(client, "C1", answers)
    assert fast.status_code == 201, fast.text
    handed = _full_path_only(monkeypatch)
    full = _post(client, "C2", answers)
    assert full.status_code == 201, full.text
    assert handed == [1]
    a, b = _row(client, fast.json()["id"]), _row(client, full.json()["id"])
    assert {k: getattr(a, k) for k in COMPARED} == {k: getattr(b, k) for k in COMPARED}
    assert fast.json().keys() == full.json().keys()
    assert fast.json()["duration_known"] is False and full.json()["duration_known"] is False


@pytest.mark.parametrize("path", ["fast", "full"])
def test_a_second_identical_sheet_is_flagged_on_either_path(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    answers = complete_answers()
    first = _post(client, "C1", answers)
    if path == "full":
        _full_path_only(monkeypatch)
    second = _post(client, "C1", answers)
    other = _post(client, "C2", answers)  # another community's sheets are not compared
    assert [r.status_code for r in (first, second, other)] == [201, 201, 201]
    assert "near_duplicate" not in _row(client, first.json()["id"]).quality_flags
    assert "near_duplicate" in _row(client, second.json()["id"]).quality_flags
    assert "near_duplicate" not in _row(client, other.json()["id"]).quality_flags


def test_a_started_client_id_keeps_the_servers_start(client: TestClient) -> None:
    client_id = new_client_id()
    start = client.post(
        "/api/v1/responses/start", json={"link": link_token("W1", "C1"), "client_id": client_id}
    )
    assert start.status_code == 201, start.text
    done = client.post(
        "/api/v1/responses",
        json={
            "link": link_token("W1", "C1"),
            "client_id": client_id,
            "answers": complete_answers(),
        },
    )
    assert done.status_code == 201 and done.json()["duration_known"] is True
    row = _row(client, done.json()["id"])
    assert row.started_at is not None and row.duration_s is not None and row.duration_s >= 0
    assert "speeder" in row.quality_flags  # answered within a second of the start


def test_a_retry_is_handed_to_the_full_path_and_answered_from_the_stored_row(
    client: TestClient,
) -> None:
    body = {
        "link": link_token("W1", "C1"),
        "client_id": new_client_id(),
        "answers": complete_answers(),
    }
    first = client.post("/api/v1/responses", json=body)
    again = client.post("/api/v1/responses", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "duplicate" and again.json()["id"] == first.json()["id"]
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        ids = session.exec(select(Response.id).where(col(Response.client_id) == body["client_id"]))
        assert len(ids.all()) == 1
