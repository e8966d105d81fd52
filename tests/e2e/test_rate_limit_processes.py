"""Two real server processes on one PostgreSQL database hold one rate limit together."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from tests.support.factories import complete_answers, link_token, new_client_id, seed_minimal
from tests.support.live import running_server, server_env

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

LIMIT = 40


def test_two_processes_share_the_limit(postgres_url: str, tmp_path: Path) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    seed_minimal(engine)
    env = server_env(postgres_url, MEIHAO_SUBMIT_RATE_PER_MINUTE=str(LIMIT))
    with (
        running_server(env, log=tmp_path / "a.log") as first,
        running_server(env, log=tmp_path / "b.log") as second,
        first.client() as a,
        second.client() as b,
    ):
        if time.time() % 60 > 45:  # keep the burst inside one minute window
            time.sleep(60 - time.time() % 60 + 0.1)
        statuses: dict[str, list[int]] = {"a": [], "b": []}
        for k in range(100):  # alternating: each process alone would accept 40
            name, client = ("a", a) if k % 2 == 0 else ("b", b)
            body = {
                "link": link_token(),
                "client_id": new_client_id(),
                "answers": complete_answers(),
            }
            statuses[name].append(client.post("/api/v1/responses", json=body).status_code)
    accepted = sum(s == 201 for v in statuses.values() for s in v)
    assert accepted == LIMIT, statuses
    assert statuses["a"].count(201) < LIMIT and statuses["b"].count(201) < LIMIT
    assert {s for v in statuses.values() for s in v} == {201, 429}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM response")).scalar() == LIMIT
    engine.dispose()
