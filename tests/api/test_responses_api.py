"""POST /api/v1/responses: statuses and messages for every case the foundation promises.

Every body carries the open link of W1/C1 (an anonymous post is refused since issue 11; the
credential cases themselves are in test_response_credentials.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from survey.storage.models import Response, Wave
from tests.support.factories import complete_answers, link_token, new_client_id


def body(**overrides: Any) -> dict[str, Any]:
    payload = {
        "link": link_token("W1", "C1"),
        "wave": "W1",
        "community": "C1",
        "client_id": new_client_id(),
        "answers": complete_answers(),
        "started_at": "2026-05-01T08:00:00+08:00",
    }
    payload.update(overrides)
    return payload


def stored(client: TestClient) -> int:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return int(session.exec(select(func.count()).select_from(Response)).one())


def test_created_then_retry_then_conflict(client: TestClient) -> None:
    payload = body()
    first = client.post("/api/v1/responses", json=payload)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "created"
    again = client.post("/api/v1/responses", json=payload)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["status"] == "duplicate"
    changed = dict(payload, answers=dict(payload["answers"], **{"D3.1": 1}))
    conflict = client.post("/api/v1/responses", json=changed)
    assert conflict.status_code == 409
    assert "client_id" in conflict.json()["detail"]
    assert stored(client) == 1


@pytest.mark.parametrize(
    ("answers_patch", "field", "words"),
    [
        ({"D9.9": 3}, "D9.9", "unknown"),
        ({"D1.1": 6}, "D1.1", ""),
        ({"D1.1": "4"}, "D1.1", ""),
        ({"D1.1": True}, "D1.1", ""),
        ({"O1": 11}, "O1", ""),
        ({"gender": "robot"}, "gender", ""),
    ],
)
def test_bad_answers_get_422_naming_the_field(
    client: TestClient, answers_patch: dict[str, Any], field: str, words: str
) -> None:
    answers = dict(complete_answers(), **answers_patch)
    response = client.post("/api/v1/responses", json=body(answers=answers))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == field for d in detail), detail
    assert all(d["msg"] for d in detail)
    assert words in " ".join(d["msg"] for d in detail).lower()
    assert stored(client) == 0


def test_missing_required_answer_is_named(client: TestClient) -> None:
    answers = complete_answers()
    del answers["D2.3"]
    response = client.post("/api/v1/responses", json=body(answers=answers))
    assert response.status_code == 422
    assert [d["loc"][-1] for d in response.json()["detail"]] == ["D2.3"]


@pytest.mark.parametrize("missing", ["client_id", "answers"])
def test_missing_top_level_field(client: TestClient, missing: str) -> None:
    payload = body()
    del payload[missing]
    response = client.post("/api/v1/responses", json=payload)
    assert response.status_code == 422
    assert any(d["loc"][-1] == missing for d in response.json()["detail"])


def test_a_link_to_an_unknown_wave_is_401_and_a_contradicting_code_422(
    client: TestClient,
) -> None:
    gone = client.post("/api/v1/responses", json=body(link=link_token("1999Q1"), wave=None))
    assert gone.status_code == 401 and "no longer exists" in gone.json()["detail"]
    response = client.post("/api/v1/responses", json=body(community="XX"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "community"]
    assert "XX" in response.json()["detail"][0]["msg"]
    assert stored(client) == 0


def test_closed_wave_is_409(client: TestClient) -> None:
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        wave = session.exec(select(Wave)).one()
        wave.status = "closed"
        session.add(wave)
        session.commit()
    response = client.post("/api/v1/responses", json=body())
    assert response.status_code == 409 and "closed" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b"\xff\xfe\xfa", {"content-type": "application/json"}),
        (b"wave=W1", {"content-type": "application/x-www-form-urlencoded"}),
        (b"[1, 2]", {"content-type": "application/json"}),
    ],
)
def test_malformed_bodies_are_4xx(
    client: TestClient, content: bytes, headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/responses", content=content, headers=headers)
    assert 400 <= response.status_code < 500
    assert stored(client) == 0


def test_oversized_body_is_413(client: TestClient) -> None:
    big = body(answers={"P2": "长" * 200_000})
    response = client.post("/api/v1/responses", json=big)
    assert response.status_code == 413
    assert stored(client) == 0


def test_health_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/responses" in spec["paths"]


def test_api_docs_are_served_from_this_server(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    # Every script and style sheet the page loads is on this origin; none is inline.
    assert "cdn" not in page.text.lower() and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for path in ("/static/apidocs/swagger-ui-bundle.js", "/static/apidocs/swagger-ui.css"):
        assert f'{path}"' in page.text
        asset = client.get(path)
        assert asset.status_code == 200 and len(asset.content) > 10_000
    assert client.get("/static/apidocs.js").status_code == 200
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "/static/apidocs/redoc.standalone.js" in redoc.text
    assert "script-src 'self';" in redoc.headers["content-security-policy"]


def test_favicon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")
