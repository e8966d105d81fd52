"""Scoring jobs: one worker per job, retries after a crash, never two snapshots for one job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import api.services.jobs as jobs
from survey.storage.db import make_engine
from survey.storage.migrate import upgrade
from survey.storage.models import ScoreJob, ScoreSnapshot, Wave, utcnow
from survey.synthetic import generate_district
from survey.synthetic.seed import seed_database

REPO = Path(__file__).resolve().parents[2]


def seeded(engine: Engine, *, communities: int = 6, respondents: int = 40) -> str:
    district = generate_district(
        seed=11,
        n_streets=2,
        n_communities=communities,
        respondents_per_community=respondents,
        waves=("2026Q2",),
    )
    seed_database(engine, district)
    return "2026Q2"


def queue(engine: Engine, wave_code: str, bootstrap: int = 20) -> int:
    with Session(engine) as session:
        wave = session.exec(select(Wave).where(Wave.code == wave_code)).one()
        job = jobs.enqueue(
            session=session,
            kind="snapshot",
            wave=wave,
            model_name=None,
            bootstrap=bootstrap,
            actor="tester",
        )
        session.commit()
        assert job.id is not None
        return job.id


def job_row(engine: Engine, job_id: int) -> ScoreJob:
    with Session(engine) as session:
        job = session.get(ScoreJob, job_id)
        assert job is not None
        return job


def snapshots(engine: Engine) -> list[ScoreSnapshot]:
    with Session(engine) as session:
        return list(session.exec(select(ScoreSnapshot)).all())


def expire_lease(engine: Engine, job_id: int) -> None:
    with Session(engine) as session:
        session.execute(
            update(ScoreJob)
            .where(col(ScoreJob.id) == job_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def test_a_job_is_claimed_once_and_done_once(engine: Engine) -> None:
    job_id = queue(engine, seeded(engine))
    first = jobs.claim(engine, lease_s=60)
    assert first is not None and first.job_id == job_id
    assert jobs.claim(engine, lease_s=60) is None  # held: nobody else gets it
    assert jobs.run_job(engine, first, lease_s=60) == "done"
    job = job_row(engine, job_id)
    assert (job.status, job.attempts) == ("done", 1)
    [snapshot] = snapshots(engine)
    assert snapshot.job_id == job_id and job.snapshot_id == snapshot.id
    assert jobs.claim(engine, lease_s=60) is None


def test_a_worker_that_lost_its_lease_cannot_store_a_second_snapshot(engine: Engine) -> None:
    job_id = queue(engine, seeded(engine))
    slow = jobs.claim(engine, lease_s=60)
    assert slow is not None
    expire_lease(engine, job_id)  # as if the slow worker had stalled past its lease
    fast = jobs.claim(engine, lease_s=60)
    assert fast is not None and fast.token != slow.token
    assert jobs.run_job(engine, fast, lease_s=60) == "done"
    assert jobs.run_job(engine, slow, lease_s=60) == "lost"
    assert [s.job_id for s in snapshots(engine)] == [job_id]
    assert job_row(engine, job_id).attempts == 2


def test_a_transient_failure_is_retried_and_a_data_problem_is_not(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    wave = seeded(engine)
    real = jobs.score_results
    calls: list[int] = []

    def flaky(**kw: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(**kw)

    monkeypatch.setattr(jobs, "score_results", flaky)
    job_id = queue(engine, wave)
    assert jobs.run_pending(engine, lease_s=60, job_id=job_id) == 2
    job = job_row(engine, job_id)
    assert (job.status, job.attempts) == ("done", 2) and "went away" in job.error
    assert len(snapshots(engine)) == 1

    monkeypatch.setattr(
        jobs, "score_results", lambda **_: (_ for _ in ()).throw(ValueError("too few"))
    )
    bad = queue(engine, wave)
    assert jobs.run_pending(engine, lease_s=60, job_id=bad) == 1
    dead = job_row(engine, bad)
    assert (dead.status, dead.attempts) == ("dead", 1) and "too few" in dead.error
    assert len(snapshots(engine)) == 1


def test_a_job_whose_worker_died_on_every_attempt_goes_dead(engine: Engine) -> None:
    job_id = queue(engine, seeded(engine))
    for _ in range(3):
        assert jobs.claim(engine, lease_s=60) is not None
        expire_lease(engine, job_id)
    assert jobs.claim(engine, lease_s=60) is None
    job = job_row(engine, job_id)
    assert job.status == "dead" and "lease expired" in job.error
    assert snapshots(engine) == []


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[tuple[str, Engine]]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield postgres_url, engine
    engine.dispose()


def worker(url: str, *args: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEIHAO_")}
    env |= {"MEIHAO_DATABASE_URL": url, "MEIHAO_SECRET_KEY": "test-secret"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker", "--lease", "2", "--poll", "0.1", *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.postgres
@pytest.mark.e2e
def test_a_worker_killed_mid_job_leaves_it_to_another_and_one_snapshot(
    pg_engine: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = pg_engine
    # Large enough that scoring takes a few seconds, so the kill lands inside it.
    job_id = queue(engine, seeded(engine, communities=30, respondents=150), bootstrap=4000)
    log = tmp_path / "workers.log"
    first = worker(url, log=log)
    try:
        deadline = time.monotonic() + 60
        while job_row(engine, job_id).stage != "scoring":
            assert time.monotonic() < deadline, log.read_text()
            assert first.poll() is None, log.read_text()
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert job_row(engine, job_id).status == "running"  # still leased to the dead worker
    assert snapshots(engine) == []
    time.sleep(2.5)  # the lease runs out
    second = worker(url, "--once", log=log)
    assert second.wait(120) == 0, log.read_text()
    job = job_row(engine, job_id)
    assert (job.status, job.attempts) == ("done", 2), log.read_text()
    assert [s.job_id for s in snapshots(engine)] == [job_id]
