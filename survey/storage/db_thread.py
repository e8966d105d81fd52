"""One thread per engine that runs short database jobs for the event loop, one after another.

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

from sqlalchemy.engine import Engine
from sqlmodel import Session

IDLE_S = 5.0  # a thread with nothing to do for this long ends; the next job starts one
T = TypeVar("T")


class DatabaseThread:
    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._jobs: queue.SimpleQueue[tuple[Callable[[Session], Any], Future[Any]]] = (
            queue.SimpleQueue()
        )

    def submit(self, job: Callable[[Session], T]) -> Future[T]:
        """Queue ``job(session)``; its result (or exception) arrives in the returned future."""
        done: Future[T] = Future()
        self._jobs.put((job, done))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="db-jobs")
                self._thread.start()
        return done

    async def run(self, job: Callable[[Session], T]) -> T:
        """Run ``job(session)`` on this thread and wait for it without blocking the loop."""
        return await asyncio.wrap_future(self.submit(job))

    def _run(self) -> None:
        while True:
            try:
                job, done = self._jobs.get(timeout=IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():  # checked under the lock submit starts us with
                        self._thread = None
                        return
                continue
            if not done.set_running_or_notify_cancel():
                continue
            engine = self._engine()
            if engine is None:  # pragma: no cover - a waiting caller holds its engine
                done.set_exception(RuntimeError("the database engine was closed"))
                continue
            try:
                with Session(engine, expire_on_commit=False) as session:
                    result = job(session)
            except BaseException as error:  # handed to the caller, who raises it
                done.set_exception(error)
            else:
                done.set_result(result)


_THREADS: weakref.WeakKeyDictionary[Engine, DatabaseThread] = weakref.WeakKeyDictionary()
_THREADS_LOCK = threading.Lock()


def database_thread_for(engine: Engine) -> DatabaseThread:
    with _THREADS_LOCK:
        thread = _THREADS.get(engine)
        if thread is None:
            thread = _THREADS[engine] = DatabaseThread(engine)
        return thread
