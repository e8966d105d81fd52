"""The whole path through the real server process: submit over HTTP, score, read the ranking."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.factories import complete_answers, link_token, new_client_id
from tests.support.jobs import scored_snapshot
from tests.support.live import meihao, running_server, server_env

pytestmark = pytest.mark.e2e


def test_submit_score_and_rank_through_the_real_server(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path}/e2e.db")
    meihao("seed", "--streets", "2", "--communities", "4", "--respondents", "35", env=env)
    meihao(
        "user",
        "create",
        "--username",
        "admin1",
        "--role",
        "admin",
        "--scope-level",
        "district",
        "--password",
        "correct horse battery",
        env=env,
    )
    token = meihao("token", "create", "--username", "admin1", env=env).stdout.split()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    with (
        running_server(env, log=tmp_path / "server.log") as server,
        server.client(headers=auth) as client,
    ):
        home = client.get("/")
        assert home.status_code == 200 and "2026Q2" in home.text
        rankings_url = "/api/v1/waves/2026Q2/rankings"
        assert httpx.get(server.url + rankings_url).status_code == 401
        before = client.get(rankings_url)
        assert before.status_code == 404 and "meihao score" in before.json()["detail"]

        community = client.get("/api/v1/waves/2025Q4/rankings")
        assert community.status_code == 404
        codes = _community_codes(tmp_path)
        target = codes[0]
        posted = []
        for likert in (5, 5, 5, 5, 5):
            payload = {
                "wave": "2026Q2",
                "community": target,
                "client_id": new_client_id(),
                "answers": complete_answers(likert=likert, rating=10),
            }
            response = client.post("/api/v1/responses", json=payload)
            assert response.status_code == 201, response.text
            posted.append(response.json()["id"])
        assert len(set(posted)) == 5

        scored_snapshot(client, client.post("/api/v1/waves/2026Q2/snapshots"))
        ranking = client.get(rankings_url).json()
        rows = ranking["communities"]
        assert [r["community"] for r in rows if r["community"] in codes] and len(rows) == 4
        ranks = [r["rank"] for r in rows if r["rank"] is not None]
        assert ranks == sorted(ranks)
        scores = [r["score"] for r in rows if r["score"] is not None]
        assert scores == sorted(scores, reverse=True)
        by_code = {r["community"]: r for r in rows}
        assert by_code[target]["n"] >= 35 + 5 - 5  # exclusions may drop a few synthetic rows
        assert set(by_code[target]["dimensions"]) == {f"D{k}" for k in range(1, 7)}


def _community_codes(tmp_path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(tmp_path / "e2e.db") as conn:
        return [row[0] for row in conn.execute("SELECT code FROM community ORDER BY code")]


def test_bad_requests_through_the_real_server(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path}/e2e.db")
    meihao("seed", "--streets", "1", "--communities", "2", "--respondents", "5", env=env)
    with running_server(env) as server, server.client() as client:
        code = _community_codes(tmp_path)[0]
        good = {
            "link": link_token("2026Q2", code),
            "wave": "2026Q2",
            "community": code,
            "client_id": new_client_id(),
            "answers": complete_answers(),
        }
        anonymous = {k: v for k, v in good.items() if k != "link"}
        assert client.post("/api/v1/responses", json=anonymous).status_code == 401
        gone = {**good, "link": link_token("1990Q1", code), "wave": "1990Q1"}
        assert client.post("/api/v1/responses", json=gone).status_code == 401
        assert client.post("/api/v1/responses", json={**good, "wave": "1990Q1"}).status_code == 422
        closed = {**good, "link": link_token("2025Q2", code), "wave": "2025Q2"}
        assert client.post("/api/v1/responses", json=closed).status_code == 409
        bad = client.post(
            "/api/v1/responses", json={**good, "answers": {**good["answers"], "D1.1": 0}}
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "D1.1"
        with pytest.raises(httpx.HTTPStatusError):
            client.get("/api/v1/waves/nope/rankings").raise_for_status()
