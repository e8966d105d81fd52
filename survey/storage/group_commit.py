"""Group commit: concurrent submissions written together, each acknowledged once durable.

A submission costs one fsynced commit; on SQLite there is one writer, so under load the
requests of a process queue behind each other's fsyncs (PERFORMANCE.md P5). Here the request
threads validate in parallel and hand their finished rows to one writer thread per engine,
which inserts whatever is waiting in one transaction (a core ``INSERT … ON CONFLICT
(client_id) DO NOTHING RETURNING``, no ORM objects) and commits it with the database's normal
durability (SQLite ``synchronous=FULL``, PostgreSQL's fsync). Only then is each waiting request
told its row's id: nothing is acknowledged before it is on disk, and one fsync serves the batch.

A lone submission is not delayed: the writer takes the first row at once and whatever else
arrived while the previous commit ran (at most ``MAX_BATCH`` rows). Only when the last batch
had company (the server is under load) does it wait up to ``GATHER_S`` (2 ms) for more, since
rows from the event loop arrive one at a time and a commit per row or two cost the writer
~0.4 ms a row (P5, 2026-12-04: 4 ms of gathering took the writer from 17 % to 11 % of a core).
A row whose ``client_id`` is already stored comes back as ``None`` (the caller answers it as a
retry, or a 409); if the batch as a whole fails, each row is retried in a transaction of its
own, so one bad row never fails its neighbours.
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from survey.storage.models import Response
from survey.storage.per_engine import PerEngine

MAX_BATCH = 256
GATHER_S = 0.002  # "a few ms at most" (issue 15): 2 ms
IDLE_S = 5.0  # a writer with nothing to do for this long ends; the next insert starts one
_TABLE: Table = Response.__table__  # type: ignore[attr-defined]
# What :meth:`GroupCommitter.insert` takes: a value for every column but the id.
COLUMNS = frozenset(c.name for c in _TABLE.columns if c.name != "id")


class GroupCommitter:
    """One writer thread for one engine; :meth:`insert` blocks until the row is durable."""

    def __init__(self, engine: Engine) -> None:
        # Weak, so that an engine (and its committer) can be dropped: tests make many.
        self._engine = weakref.ref(engine)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], Future[int | None]]] = (
            queue.SimpleQueue()
        )
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._statement = (
            dialect.insert(_TABLE)
            .on_conflict_do_nothing(index_elements=["client_id"])
            .returning(_TABLE.c.id, _TABLE.c.client_id)
        )

    def insert(self, values: dict[str, Any]) -> int | None:
        """Store one response row; its id, or ``None`` when its client id was already stored."""
        return self.insert_later(values).result()

    def insert_later(self, values: dict[str, Any]) -> Future[int | None]:
        """:meth:`insert` without waiting: the future is resolved once the row is durable (an
        ``async`` route awaits it with ``asyncio.wrap_future``, holding no thread)."""
        done: Future[int | None] = Future()
        self._queue.put((values, done))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="group-commit")
                self._thread.start()
        return done

    def _run(self) -> None:
        last = 0
        while True:
            try:
                first = self._queue.get(timeout=IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # checked under the lock insert starts us with
                        self._thread = None
                        return
                continue
            batch = [first]
            # Under load (the last batch had company) wait up to GATHER_S for more: rows
            # arrive one by one from the event loop, and a commit per row or two cost the
            # writer ~0.4 ms a row (P5). A lone submission is never kept waiting.
            deadline = time.monotonic() + GATHER_S if last > 1 else 0.0
            while len(batch) < MAX_BATCH:
                try:
                    left = deadline - time.monotonic()
                    batch.append(
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            last = len(batch)
            self._write(batch)

    def _write(self, batch: list[tuple[dict[str, Any], Future[int | None]]]) -> None:
        # Two rows of one batch may share a client id (identical taps arriving together): the
        # first is inserted, the others come back as retries of it, exactly as across batches.
        try:
            ids = self._insert([values for values, _ in batch])
        except Exception:
            for values, done in batch:  # alone, so that only a bad row fails
                try:
                    done.set_result(self._insert([values]).get(values["client_id"]))
                except Exception as error:
                    done.set_exception(error)
            return
        seen: set[str] = set()
        for values, done in batch:
            client_id = values["client_id"]
            done.set_result(ids.get(client_id) if client_id not in seen else None)
            seen.add(client_id)

    def _insert(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        engine = self._engine()
        if engine is None:  # pragma: no cover - a waiting request holds its engine
            raise RuntimeError("the database engine was closed")
        with engine.begin() as connection:
            result = connection.execute(self._statement, rows)
            return {client_id: int(row_id) for row_id, client_id in result.all()}


committer_for = PerEngine(GroupCommitter)
