"""Two server processes on two ports, one PostgreSQL: nothing a request needs lives in only one
process. A resident's draft started on one continues on the other, a staff session and a token
work on both, a new snapshot is served by both at once, and a revoked token fails on both: at
once on the process that revoked it, and on the other as soon as PostgreSQL's NOTIFY reaches it
(well within the credential cache's TTL, which alone would take 30 s)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from api.services.jobs import run_pending
from api.services.snapshots import compute_snapshot
from api.settings import Settings
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import ApiToken
from survey.storage.responses import submit_response
from tests.support.factories import complete_answers, new_client_id, seed_minimal
from tests.support.jobs import job_url
from tests.support.live import LiveServer, server_env, start_server, stop_server
from tests.support.staff import bearer, seed_staff, session_cookie
from tests.support.survey_form import fill_until, open_path, read

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

AUTH_TTL_S = 30.0  # how long each server remembers a credential (survey/storage/credential_cache)
BROADCAST_S = 3.0  # what the other server may take to hear of a revocation (LISTEN/NOTIFY)


@pytest.fixture
def two_servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, LiveServer, LiveServer]]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    seed_minimal(engine)
    seed_staff(engine)
    rng = random.Random(3)
    with Session(engine) as session:
        for i in range(80):
            answers = complete_answers(likert=rng.randint(2, 5), rating=rng.randint(3, 9))
            # cells that have a population in tests.support.factories.MARGINS, so raking works
            answers["age_band"], answers["gender"] = (("60-69", "female"), ("30-44", "male"))[i % 2]
            submit_response(
                session=session,
                wave_code="W1",
                community_code=("C1", "C2")[i % 2],
                client_id=new_client_id(),
                answers=answers,
            )
        compute_snapshot(session=session, wave_code="W1", model_name=None, bootstrap=20, actor="t")
    engine.dispose()
    # Jobs are left to workers (PostgreSQL's default): this test plays the worker.
    env = server_env(
        postgres_url, MEIHAO_BOOTSTRAP_REPLICATES="20", MEIHAO_AUTH_CACHE_SECONDS=str(AUTH_TTL_S)
    )
    a = start_server(env, log=tmp_path / "a.log")
    b = start_server(env, log=tmp_path / "b.log")
    try:
        yield postgres_url, a, b
    finally:
        stop_server(a)
        stop_server(b)


def test_two_processes_share_everything_through_the_database(
    two_servers: tuple[str, LiveServer, LiveServer],
) -> None:
    url, a, b = two_servers
    engine = make_engine(url)
    with a.client(follow_redirects=True) as on_a, b.client(follow_redirects=True) as on_b:
        # A resident's draft, begun on A, continues on B (another process, no shared memory).
        answers = complete_answers()
        path = open_path()
        form = fill_until(on_a, path, answers, pages=2)  # type: ignore[arg-type]
        assert form.page == 2
        resumed = read(on_b.get(f"{path}?cid={form.client_id}"))
        assert resumed.client_id == form.client_id and resumed.page == 2

        # A staff session and a bearer token are accepted by both.
        settings = Settings(database_url=url, secret_key=a.env["MEIHAO_SECRET_KEY"])
        cookie = session_cookie(engine, settings, "admin")
        token = bearer(engine, "researcher")
        for server in (a, b):
            with server.client(cookies=cookie) as signed_in:
                assert signed_in.get("/api/v1/me").json()["username"] == "admin"
        for on in (on_a, on_b):
            assert on.get("/api/v1/me", headers=token).status_code == 200

        # A snapshot asked for on A, computed by a worker, is what both serve at once.
        before = on_b.get("/api/v1/waves/W1/rankings", headers=token).json()["computed_at"]
        accepted = on_a.post("/api/v1/waves/W1/snapshots", headers=token)
        assert on_b.get(job_url(accepted), headers=token).json()["status"] == "queued"
        assert run_pending(engine) == 1
        job = on_b.get(job_url(accepted), headers=token).json()
        assert job["status"] == "done"
        served = {
            s.get("/api/v1/waves/W1/rankings", headers=token).json()["computed_at"]
            for s in (on_a, on_b)
        }
        assert len(served) == 1 and before not in served  # both switched to the new one

        # Revoking the token on B takes effect on B at once (its cache forgets the token) and on
        # A, which has just cached it, when B's NOTIFY arrives: long before A's entry ages out.
        with Session(engine) as session:
            token_id = session.exec(select(ApiToken.id).order_by(ApiToken.id.desc())).first()  # type: ignore[union-attr]
        assert on_a.get("/api/v1/me", headers=token).status_code == 200
        assert on_b.delete(f"/api/v1/tokens/{token_id}", headers=token).status_code == 204
        revoked_at = time.monotonic()
        assert on_b.get("/api/v1/me", headers=token).status_code == 401
        while on_a.get("/api/v1/me", headers=token).status_code != 401:
            assert time.monotonic() - revoked_at < BROADCAST_S, "A still accepts the token"
            time.sleep(0.05)
    engine.dispose()


def test_workers_need_a_configured_secret_key(postgres_url: str) -> None:
    from api.cli.main import main

    env_key = "MEIHAO_SECRET_KEY"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(env_key, raising=False)
        mp.setenv("MEIHAO_DATABASE_URL", postgres_url)
        assert main(["serve", "--workers", "2", "--port", "1"]) == 2
