"""Rate-limit hits counted in memory per process and merged into the shared table in batches.

Counting every hit with its own database transaction made the limiter the submit path's
bottleneck (README, P5: on SQLite each hit was one more serialised, fsynced write beside the
answers themselves). Here a process counts its hits in memory (``pending``) and a background
thread adds them to ``rate_counter`` every ``MERGE_S`` seconds, all buckets in one transaction:
``hits = hits + pending RETURNING hits``. That statement also tells the process the shared
total every process has merged so far (``seen``), so the decision for a hit is taken on
``seen + pending`` (this process's own hits exactly, the others' as of the last merge).

The others' hits since then are unknown, so a burst spread over N processes can get past the
limit. To bound that, no process keeps a ``batch_of(limit)``-th hit of one bucket unmerged:
the hit that reaches the batch merges at once (inline, in the request) and is decided on the
fresh shared total. Each hit is accepted only when ``seen + pending ≤ limit``, where ``seen`` is
exact at the process's last merge; so at any moment, with k the process that merged last (its
``seen`` is every merged hit), the accepted hits are at most the merged ones, plus k's own
since (≤ limit − seen), plus the other processes' unmerged ones (≤ batch − 1 each)::

    accepted ≤ limit + (N − 1) × (batch_of(limit) − 1),    batch_of(limit) = max(1, limit // 32)

i.e. under 3 % of the limit per extra process (the 120 submissions a minute of the default: 2
more per extra process; the limits are flood guards, docs/access.md), and the bound is reached
by a schedule the tests build. A limit under 64 has a batch of 1: every hit merges inline, as
exact as one transaction per hit, which is what a strict small limit wants. In one process the
count is always exact (no one else adds to the rows). A hit is never refused too early:
``seen`` never exceeds the true shared count.

Windows: the key is ``(bucket, window start)``, so a new window starts from the shared row of
that window (unknown, i.e. 0, until the first merge in it) and the old window's pending hits
are still merged into the old row; the sliding estimate reads the previous window's shared
count at each merge (plus this process's own unmerged hits of it). Refused hits are counted
too (a flood that keeps going stays refused).

Lost on a crash: the hits of the last ``MERGE_S`` seconds of a killed process (a limit counts
a little less for a moment; answers are never involved).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from survey.storage.models import RateCounter

log = logging.getLogger(__name__)

WINDOW_S = 60
MERGE_S = 0.1  # how often the background thread merges (a process's count lags by this much)
IDLE_S = 5.0  # a merger with nothing to merge for this long ends; the next hit starts one
# Rows older than this are deleted now and then (and by `meihao retention`).
KEEP_S = 3600
_CLEANUP_CHANCE = 0.01  # per merge (a merge covers many hits)

_TABLE = RateCounter.__table__  # type: ignore[attr-defined]

Key = tuple[str, int]  # (bucket, window start)


def batch_of(limit: int) -> int:
    """Most hits of one bucket a process keeps unmerged (the overshoot per extra process)."""
    return max(1, limit // 32)


def overshoot_bound(limit: int, processes: int) -> int:
    """Most hits more than ``limit`` that ``processes`` processes can accept in one window."""
    return (processes - 1) * (batch_of(limit) - 1)


def window_of(now: float) -> int:
    return int(now) // WINDOW_S * WINDOW_S


class LocalCounts:
    """One process's view of the shared counters of one database, and its unmerged hits.

    ``interval_s=None`` starts no background merger (tests call :meth:`merge` themselves).
    """

    def __init__(self, engine: Engine, interval_s: float | None = MERGE_S) -> None:
        # Weak, so that an engine (and its counts) can be dropped: tests make many.
        self._engine = weakref.ref(engine)
        self._interval = interval_s
        self._lock = threading.Lock()
        self._pending: dict[Key, int] = {}
        self._seen: dict[Key, int] = {}
        self._thread: threading.Thread | None = None
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._dialect = dialect

    # -- counting ---------------------------------------------------------------------------

    def count(
        self,
        bucket: str,
        limit: int,
        now: float,
        release: Callable[[], None] | None = None,
    ) -> tuple[int, int]:
        """Count one hit; ``(current, previous)``: this window's hits as far as this process
        knows (this one included) and the previous window's.

        ``release`` is called before an inline merge needs a connection of its own (a request
        must not hold one pooled connection while waiting for another).
        """
        key = (bucket, window_of(now))
        previous_key = (bucket, key[1] - WINDOW_S)
        with self._lock:
            pending = self._pending.get(key, 0) + 1
            self._pending[key] = pending
            inline = pending >= batch_of(limit)
            if not inline:
                self._start_merger()
                return pending + self._seen.get(key, 0), self._known(previous_key)
        if release is not None:
            release()
        self.merge()
        with self._lock:
            return self._known(key), self._known(previous_key)

    def _known(self, key: Key) -> int:
        # Called under the lock: the shared total seen, and this process's hits since.
        return self._seen.get(key, 0) + self._pending.get(key, 0)

    # -- merging ----------------------------------------------------------------------------

    def merge(self) -> int:
        """Add every pending hit to the shared rows in one transaction; the buckets merged."""
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        try:
            totals = self._write(batch)
        except Exception:
            with self._lock:  # keep the hits for the next merge: a limit must not forget them
                for key, hits in batch.items():
                    self._pending[key] = self._pending.get(key, 0) + hits
            raise
        with self._lock:
            for key, total in totals.items():
                # Two merges can finish out of order; shared counts only grow.
                self._seen[key] = max(total, self._seen.get(key, 0))
            oldest = max(window for _, window in batch) - WINDOW_S
            for key in [k for k in self._seen if k[1] < oldest]:
                del self._seen[key]
        return len(batch)

    def _write(self, batch: dict[Key, int]) -> dict[Key, int]:
        statement = self._dialect.insert(_TABLE)
        upsert = statement.on_conflict_do_update(
            index_elements=["bucket", "window"],
            set_={"hits": _TABLE.c.hits + statement.excluded.hits},
        ).returning(_TABLE.c.hits)
        totals: dict[Key, int] = {}
        # Sorted, so that two processes lock shared rows in one order (PostgreSQL: no deadlock).
        keys = sorted(batch)
        engine = self._engine()
        if engine is None:  # pragma: no cover - a request counting holds its engine
            raise RuntimeError("the database engine was closed")
        with engine.begin() as connection:
            for key in keys:
                bucket, window = key
                row = {"bucket": bucket, "window": window, "hits": batch[key]}
                totals[key] = int(connection.execute(upsert, row).scalar_one())
            totals.update(self._previous(connection, keys))
            if random.random() < _CLEANUP_CHANCE:
                oldest = min(window for _, window in keys) - KEEP_S
                connection.execute(delete(_TABLE).where(_TABLE.c.window < oldest))
        return totals

    @staticmethod
    def _previous(connection: Connection, keys: list[Key]) -> dict[Key, int]:
        wanted = {(bucket, window - WINDOW_S) for bucket, window in keys} - set(keys)
        if not wanted:
            return {}
        rows = connection.execute(
            select(_TABLE.c.bucket, _TABLE.c.window, _TABLE.c.hits).where(
                tuple_(_TABLE.c.bucket, _TABLE.c.window).in_(sorted(wanted))
            )
        ).all()
        return {(bucket, int(window)): int(hits) for bucket, window, hits in rows}

    # -- the background merger --------------------------------------------------------------

    def _start_merger(self) -> None:
        # Called under the lock.
        if self._interval is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, daemon=True, name="rate-merge")
        self._thread.start()

    def _run(self) -> None:
        assert self._interval is not None
        idle_since = time.monotonic()
        failing = False
        while True:
            time.sleep(self._interval)
            if self._engine() is None:  # the engine was dropped: nobody will ask again
                with self._lock:
                    self._pending.clear()
                    self._thread = None
                return
            try:
                merged = self.merge()
            except Exception:  # the database is away for a moment: the hits stay pending
                if not failing:  # once per streak, not every interval
                    log.exception("merging rate-limit counts failed; retrying")
                failing, merged = True, 0
            else:
                failing = False
            now = time.monotonic()
            if merged:
                idle_since = now
                continue
            if now - idle_since >= IDLE_S:
                with self._lock:
                    # Ends when idle, or after failing this long (the next hit starts another).
                    if failing or not self._pending:
                        self._thread = None
                        return


def shared_counts(engine: Engine, **kwargs: Any) -> LocalCounts:
    """The one :class:`LocalCounts` of ``engine`` in this process."""
    with _REGISTRY_LOCK:
        counts = _REGISTRY.get(engine)
        if counts is None:
            counts = _REGISTRY[engine] = LocalCounts(engine, **kwargs)
        return counts


_REGISTRY: weakref.WeakKeyDictionary[Engine, LocalCounts] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()
