"""Issue 11's credential promises on a running server (the real process over HTTP, SQLite).

TestClient tests cover every credential path in detail (tests/api/test_response_credentials.py);
this one checks the same replies survive the real stack: uvicorn, the middleware order, the
rate limiter's per-address counting and the database it shares with the CLI.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from tests.support.factories import complete_answers, link_token, new_client_id, seed_minimal
from tests.support.live import running_server, server_env

pytestmark = pytest.mark.e2e

LIMIT = 60  # per address and minute, low enough for a 200-post flood to pass it
URL = "/api/v1/responses"


def _stored(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT COUNT(*) FROM response")).scalar_one())


def _set_mode(engine: object, mode: str) -> None:
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("UPDATE wave SET access_mode = :m WHERE code = 'W1'"), {"m": mode})


def test_credentials_and_the_flood_limit_on_a_running_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_minimal(engine)
    env = server_env(url, MEIHAO_SUBMIT_RATE_PER_MINUTE=str(LIMIT))
    with running_server(env, log=tmp_path / "server.log") as server, server.client() as http:
        answers = complete_answers()

        anonymous = http.post(URL, json={"client_id": new_client_id(), "answers": answers})
        assert anonymous.status_code == 401 and "credential" in anonymous.json()["detail"]

        good = link_token()
        tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")  # signature broken
        forged = http.post(
            URL, json={"link": tampered, "client_id": new_client_id(), "answers": answers}
        )
        assert forged.status_code == 401

        other = http.post(
            URL,
            json={
                "link": link_token(community="C2"),
                "community": "C1",  # the body names another community than the link
                "client_id": new_client_id(),
                "answers": answers,
            },
        )
        assert other.status_code == 422 and "community" in other.text

        _set_mode(engine, "invitation")
        closed_to_links = http.post(
            URL, json={"link": link_token(), "client_id": new_client_id(), "answers": answers}
        )
        assert closed_to_links.status_code == 403
        _set_mode(engine, "open")
        assert _stored(engine) == 0  # none of the refused posts left a row

        # A flood of 200 posts from one address: 201 up to the limit, then 429. Kept inside one
        # minute window of the sliding limit, where capacity does not come back mid-flood.
        if time.time() % 60 > 40:
            time.sleep(60 - time.time() % 60 + 0.1)
        statuses = [
            http.post(
                URL, json={"link": link_token(), "client_id": new_client_id(), "answers": answers}
            ).status_code
            for _ in range(200)
        ]
        assert set(statuses) == {201, 429}
        first_refusal = statuses.index(429)
        assert set(statuses[first_refusal:]) == {429}  # never accepted again once refused
        # The refused attempts above count against the address too, so at most LIMIT pass.
        assert 0 < statuses.count(201) <= LIMIT
        assert _stored(engine) == statuses.count(201)
    engine.dispose()
