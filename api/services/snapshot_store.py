"""Reading stored snapshots fast: header-only look-ups and a cache of parsed results.

A snapshot is immutable once written (a new computation stores a new row), so its parsed
results can be kept in memory keyed by its id. Every read first asks the database which
snapshot is current (a small query that never touches the big JSON column), so a newly
stored snapshot is picked up at once; only the JSON parsing is skipped. At city scale this
is what makes a scorecard or a ranking read cost about as much as a trivial request (P7).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from survey.errors import NotFoundError
from survey.models import ScoreSnapshot, Wave

CACHE_SIZE = 12


@dataclass(frozen=True)
class SnapshotRef:
    id: int
    wave: str
    model_name: str
    model_version: int
    data_hash: str
    computed_at: datetime


@dataclass(eq=False)
class ResultsView:
    """Parsed results of one snapshot with look-ups by community code.

    ``derived`` holds values computed from these results by the services (street means,
    district distribution...), memoised per snapshot because the results never change.
    """

    ref: SnapshotRef
    results: dict[str, Any]
    rows: dict[str, dict[str, Any]]
    meta: dict[str, dict[str, Any]]
    derived: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def provenance(self) -> dict[str, Any]:
        provenance: dict[str, Any] = self.results.get("provenance") or {}
        return provenance

    @property
    def n_ranked(self) -> int:
        return int(self.results.get("n_ranked") or 0)

    def memo(self, key: str, build: Any) -> Any:
        """``derived[key]``, built once per snapshot.

        Built outside the lock (a build may itself call ``memo``, and pages run in a thread
        pool); if two threads race, both results are equal and the first one stored wins.
        """
        with self.lock:
            if key in self.derived:
                return self.derived[key]
        value = build()
        with self.lock:
            return self.derived.setdefault(key, value)


# Keyed by (database URL, snapshot id): ids repeat across databases (tests, several deployments
# served by one process), snapshots never change within one.
_cache: OrderedDict[tuple[str, int], ResultsView] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _header_query() -> Any:
    # Every column but ``results``: the header of a city-scale snapshot is bytes, its JSON
    # is megabytes.
    return sa_select(
        col(ScoreSnapshot.id),
        col(ScoreSnapshot.wave_id),
        col(ScoreSnapshot.model_name),
        col(ScoreSnapshot.model_version),
        col(ScoreSnapshot.data_hash),
        col(ScoreSnapshot.computed_at),
    )


def find_snapshot(*, session: Session, wave: Wave, model_name: str | None) -> SnapshotRef:
    """The latest snapshot of ``wave`` with the model (default: the wave's default model)."""
    ref = find_snapshot_or_none(session=session, wave=wave, model_name=model_name)
    if ref is None:
        name = model_name or wave.default_model
        raise NotFoundError(
            f"wave {wave.code} has not been scored with weight model {name!r} yet; "
            f"run `meihao score --wave {wave.code} --model {name}`"
        )
    return ref


def find_snapshot_or_none(
    *, session: Session, wave: Wave, model_name: str | None
) -> SnapshotRef | None:
    name = model_name or wave.default_model
    row = session.exec(
        _header_query()
        .where(ScoreSnapshot.wave_id == wave.id, ScoreSnapshot.model_name == name)
        .order_by(col(ScoreSnapshot.computed_at).desc(), col(ScoreSnapshot.id).desc())
    ).first()
    if row is None:
        return None
    return SnapshotRef(row[0], wave.code, row[2], row[3], row[4], row[5])


def load_results(*, session: Session, ref: SnapshotRef) -> ResultsView:
    key = (str(session.get_bind().engine.url), ref.id)
    with _cache_lock:
        view = _cache.get(key)
        if view is not None:
            _cache.move_to_end(key)
            return view
    results = dict(
        session.exec(select(ScoreSnapshot.results).where(ScoreSnapshot.id == ref.id)).one()
    )
    view = ResultsView(
        ref=ref,
        results=results,
        rows={r["code"]: r for r in results.get("communities", [])},
        meta={m["code"]: m for m in results.get("community_meta", [])},
    )
    with _cache_lock:
        _cache[key] = view
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return view


def wave_results(*, session: Session, wave: Wave, model_name: str | None) -> ResultsView:
    return load_results(
        session=session, ref=find_snapshot(session=session, wave=wave, model_name=model_name)
    )


def ordered_waves(*, session: Session) -> list[Wave]:
    """Waves in survey order: by opening date when every wave has one, else by code.

    Codes such as ``2025Q2`` sort in time order; opening dates win when they exist because
    an administrator may name waves freely.
    """
    waves = list(session.exec(select(Wave)).all())
    if waves and all(w.opens_at is not None for w in waves):
        return sorted(waves, key=lambda w: (w.opens_at, w.code))
    return sorted(waves, key=lambda w: w.code)
