"""A community's recent answer vectors, for the near-duplicate check at intake: kept in process
and topped up from the database with only the rows stored since the last look.

Reading the community's last 500 vectors on every submission was most of a submission's cost
under load (P5, 2026-12-04, ``py-spy record --idle`` on the server under 64 clients: 71 % of the
request threads' time in that row fetch). Each commit elsewhere empties every SQLite
connection's page cache, so forty request threads each re-read some hundred table pages per
submission. Here each process remembers, per (wave, community), the vectors it has read with
their ids and times, and asks the database only for ids above the highest one it holds.

Exactness. The answer is the same set the full read gave (the community's newest
``RECENT_LIMIT`` responses of the wave within the window) as long as ids are assigned in commit
order: a row with a lower id cannot appear after one with a higher id was read. SQLite
serialises writers on the database lock and assigns rowids inside the writing transaction, so
there it always holds, across processes too. On PostgreSQL ids come from a sequence, and
concurrent transactions (another worker's group commit, a paper import) may commit a lower id
after a higher one; the top-up there re-reads the last ``POSTGRES_ID_LOOKBACK`` ids (naming
the ones it holds, so that only rows it lacks are sent), which is exact while fewer than that
many submissions are being stored at once across every worker (a 64-client burst keeps
about 64 in flight). Nothing is ever decided from the cache alone: a row that did not exist is
never invented, and a row rolled back is never read.

Memory: at most ``RECENT_LIMIT`` small vectors per community (≈ 70 bytes each), for the
``MAX_COMMUNITIES`` most recently used communities of each engine.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from survey.storage.intake_reads import driver_rows
from survey.storage.models import Response
from survey.storage.per_engine import PerEngine

RECENT_LIMIT = 500
MAX_COMMUNITIES = 4096
POSTGRES_ID_LOOKBACK = 256
_SUBMITTED_AT = Response.__table__.c.submitted_at  # type: ignore[attr-defined]
# Newest first by id: the community's index is walked backwards and stops after RECENT_LIMIT
# rows (the first read of a community, or after a long pause; else few rows are above).
_TOP_UP = (
    "SELECT id, submitted_at, numeric FROM response"
    " WHERE wave_id = ? AND community_id = ? AND submitted_at >= ? AND id > ?"
    " ORDER BY id DESC LIMIT ?"
)
# PostgreSQL's lookback re-reads ids already held; they are named so as not to be sent again
# (psycopg binds the list as an array).
_TOP_UP_SKIPPING = _TOP_UP.replace(" ORDER BY", " AND NOT (id = ANY(?)) ORDER BY")


@dataclass
class _Community:
    """What one process knows of one community's recent responses in one wave, in id order
    (ids above ``high_water`` have not been asked for)."""

    ids: list[int] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    vectors: list[bytes] = field(default_factory=list)
    high_water: int = 0

    def add(self, row_id: int, at: datetime, vector: bytes) -> None:
        if not self.ids or row_id > self.ids[-1]:  # the usual case: a newer row
            self.ids.append(row_id)
            self.times.append(at)
            self.vectors.append(vector)
        else:  # PostgreSQL's lookback: a lower id committed late, or one already held
            k = bisect.bisect_left(self.ids, row_id)
            if k < len(self.ids) and self.ids[k] == row_id:
                return
            self.ids.insert(k, row_id)
            self.times.insert(k, at)
            self.vectors.insert(k, vector)
        self.high_water = max(self.high_water, row_id)

    def keep(self, since: datetime) -> None:
        """Drop what can no longer be among the answer: pushed out by newer rows, or past the
        window. The window's edge is applied in id order, which is submission order to within
        one group commit's milliseconds."""
        cut = max(0, len(self.ids) - RECENT_LIMIT)
        while cut < len(self.ids) and self.times[cut] < since:
            cut += 1
        if cut:
            del self.ids[:cut], self.times[:cut], self.vectors[:cut]


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class RecentVectors:
    """The per-engine cache; :meth:`read` is safe to call from many request threads."""

    def __init__(self, lookback_ids: int) -> None:
        self._lookback = lookback_ids
        self._lock = threading.Lock()
        self._known: OrderedDict[tuple[int, int], _Community] = OrderedDict()

    def read(
        self,
        connection: Connection,
        *,
        wave_id: int,
        community_id: int,
        since: datetime,
    ) -> list[bytes]:
        """The packed vectors of the community's newest ``RECENT_LIMIT`` responses in the wave
        submitted at or after ``since``, oldest first."""
        key = (wave_id, community_id)
        with self._lock:
            known = self._known.get(key)
            start = 0 if known is None else max(0, known.high_water - self._lookback)
            held = (
                known.ids[bisect.bisect_right(known.ids, start) :]
                if known is not None and self._lookback
                else []
            )
        fetched = self._fetch(connection, wave_id, community_id, since, start, held)
        with self._lock:
            known = self._known.get(key)
            if known is None:
                known = self._known[key] = _Community()
            self._known.move_to_end(key)
            while len(self._known) > MAX_COMMUNITIES:
                self._known.popitem(last=False)
            for row_id, submitted_at, vector in reversed(fetched):  # oldest first
                known.add(row_id, _as_utc(submitted_at), vector)
            known.keep(_as_utc(since))
            return list(known.vectors)

    def _fetch(
        self,
        connection: Connection,
        wave_id: int,
        community_id: int,
        since: datetime,
        above: int,
        held: list[int],
    ) -> list[tuple[int, datetime, bytes]]:
        # On the driver's cursor (survey/storage/intake_reads.py), with SQLAlchemy's own
        # conversions of the one datetime each way (SQLite keeps it as text).
        dialect = connection.dialect
        to_db = _SUBMITTED_AT.type._cached_bind_processor(dialect)
        from_db = _SUBMITTED_AT.type._cached_result_processor(dialect, None)
        rows = driver_rows(
            connection,
            _TOP_UP_SKIPPING if held else _TOP_UP,
            (
                wave_id,
                community_id,
                to_db(since) if to_db else since,
                above,
                *((held,) if held else ()),
                RECENT_LIMIT,
            ),
        )
        return [(int(i), from_db(at) if from_db else at, bytes(vector)) for i, at, vector in rows]


recent_vectors_for = PerEngine(
    lambda engine: RecentVectors(POSTGRES_ID_LOOKBACK if engine.dialect.name == "postgresql" else 0)
)


def read_recent_vectors(
    connection: Connection,
    *,
    wave_id: int,
    community_id: int,
    window: timedelta,
    now: datetime | None = None,
) -> list[bytes]:
    since = (now or datetime.now(UTC)) - window
    cache = recent_vectors_for(connection.engine)
    return cache.read(connection, wave_id=wave_id, community_id=community_id, since=since)
