"""A few threads per engine that run short database jobs for the event loop, in order of arrival.

The JSON submit route is ``async`` (api/residents/responses_routes.py): a hop into anyio's
thread pool and back cost ~0.4 ms of a loaded server's time per request, more than the
route's own work (P5, 2026-12-04: a do-nothing ``def`` POST route 1,026 /s, the same ``async
def`` 1,686 /s). Its few reads still block, so they run here instead: each job gets a fresh
session, and under load the thread takes job after job without sleeping, so the hand-over is
paid once per wake-up rather than once per request, as group commit does for the writes.

A job must be short (the submission's look-ups, a few driver-level queries): a slow one
delays the jobs queued behind it. Its exceptions reach the caller unchanged.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from survey.storage.per_engine import PerEngine

IDLE_S = 5.0  # a thread with nothing to do for this long ends; the next job starts one
# SQLite answers a read in microseconds, so one thread keeps up and more would only contend for
# the interpreter; a PostgreSQL read waits a network round trip, so several overlap them (P5,
# 2026-12-04: one thread was busy all the time, 90 % of it waiting in psycopg).
THREADS = {"sqlite": 1, "postgresql": 4}
T = TypeVar("T")


class DatabaseThread:
    """A few threads (:data:`THREADS`) taking jobs from one queue, each on a connection of its
    own that it keeps between jobs: no pool check-out (nor PostgreSQL's pre-ping) and no
    transaction to end per job, since each statement commits alone (the jobs only read; the
    rate limiter writes on connections of its own)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._size = THREADS.get(engine.dialect.name, 1)
        self._lock = threading.Lock()
        self._running = 0
        self._jobs: queue.SimpleQueue[tuple[Callable[[Session], Any], Future[Any]]] = (
            queue.SimpleQueue()
        )

    def submit(self, job: Callable[[Session], T]) -> Future[T]:
        """Queue ``job(session)``; its result (or exception) arrives in the returned future."""
        done: Future[T] = Future()
        self._jobs.put((job, done))
        with self._lock:
            if self._running < self._size:
                self._running += 1
                threading.Thread(target=self._run, daemon=True, name="db-jobs").start()
        return done

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run ``job(session)`` on one of these threads and wait for it without blocking the
        loop."""
        return await asyncio.wrap_future(self.submit(job))

    def _run(self) -> None:
        connection: Connection | None = None
        try:
            while True:
                try:
                    job, done = self._jobs.get(timeout=IDLE_S)
                except queue.Empty:
                    with self._lock:
                        if self._jobs.empty():  # checked under the lock submit starts us with
                            self._running -= 1
                            return
                    continue
                if not done.set_running_or_notify_cancel():
                    continue
                try:
                    connection = connection or self._connect()
                    result = self._job(connection, job)
                except DBAPIError as error:
                    # A connection the server dropped (a restart): once more on a new one; the
                    # jobs only read, so running one again changes nothing.
                    if not error.connection_invalidated or connection is None:
                        done.set_exception(error)
                        continue
                    connection.close()
                    connection = None
                    try:
                        connection = self._connect()
                        done.set_result(self._job(connection, job))
                    except BaseException as again:
                        done.set_exception(again)
                except BaseException as error:  # handed to the caller, who raises it
                    done.set_exception(error)
                else:
                    done.set_result(result)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> Connection:
        engine = self._engine()
        if engine is None:  # pragma: no cover - a waiting caller holds its engine
            raise RuntimeError("the database engine was closed")
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    @staticmethod
    def _job(connection: Connection, job: Callable[[Session], T]) -> T:
        with Session(bind=connection, expire_on_commit=False) as session:
            return job(session)


database_thread_for = PerEngine(DatabaseThread)
