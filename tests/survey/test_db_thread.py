"""The database threads of the submit path (survey/storage/db_thread.py): results and errors
reach the caller, PostgreSQL's reads overlap, and a connection the server dropped is replaced."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey.storage.db import make_engine
from survey.storage.db_thread import THREADS, DatabaseThread
from survey.storage.migrate import upgrade
from survey.storage.registry import get_wave
from tests.support.factories import seed_minimal


def test_a_job_reads_and_its_error_reaches_the_caller(engine: Engine) -> None:
    seed_minimal(engine)
    jobs = DatabaseThread(engine)

    def wave_code(session: Session) -> str:
        return get_wave(session=session, code="W1").code

    def missing(session: Session) -> str:
        return get_wave(session=session, code="nope").code

    assert asyncio.run(jobs.run(wave_code)) == "W1"
    with pytest.raises(Exception, match="no survey wave with code 'nope'"):
        asyncio.run(jobs.run(missing))
    assert jobs.submit(wave_code).result(timeout=10) == "W1"  # the thread survived the error


def test_jobs_never_run_on_the_callers_thread(engine: Engine) -> None:
    caller = threading.get_ident()
    ran_on = DatabaseThread(engine).submit(lambda _session: threading.get_ident()).result(10)
    assert ran_on != caller


@pytest.mark.postgres
def test_postgresql_reads_overlap_and_survive_a_dropped_connection(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    jobs = DatabaseThread(engine)
    size = THREADS["postgresql"]
    together = threading.Barrier(size, timeout=10)

    def meet(session: Session) -> int:
        together.wait()  # passes only when `size` jobs run at once
        return int(session.exec(text("SELECT pg_backend_pid()")).one()[0])  # type: ignore[call-overload]

    pids = [f.result(timeout=20) for f in [jobs.submit(meet) for _ in range(size)]]
    assert len(set(pids)) == size  # each thread on a connection of its own
    with engine.connect() as admin:
        for pid in pids:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    after = [f.result(timeout=20) for f in [jobs.submit(meet) for _ in range(size)]]
    assert not set(after) & set(pids)  # new connections, and no job failed
    engine.dispose()
