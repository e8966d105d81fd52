"""Reading stored snapshots fast: header-only look-ups and a cache of parsed results.

A snapshot is immutable once written (a new computation stores a new row), so its parsed
results can be kept in memory keyed by its id. Every read first asks the database which
snapshot is current (a small query that never touches the big JSON column), so a newly
stored snapshot is picked up at once; only the JSON parsing is skipped. At city scale this
is what makes a scorecard or a ranking read cost about as much as a trivial request (P7).
The cache holds the typed read model (``api/services/read_models.py``), not the JSON.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from api.services.read_models import ResultsView, SnapshotRef, parse_results
from survey.errors import NotFoundError
from survey.storage.models import ScoreSnapshot, Wave

CACHE_SIZE = 12


# Keyed by (database URL, snapshot id): ids repeat across databases (tests, several deployments
# served by one process), snapshots never change within one.
_cache: OrderedDict[tuple[str, int], ResultsView] = OrderedDict()
_cache_lock = threading.Lock()
_parsing: dict[tuple[str, int], threading.Lock] = {}  # the snapshots being parsed now


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# Statements built once: constructing an ORM query costs more than running it on SQLite, and
# every scorecard read asks for the current snapshot of each wave (PERFORMANCE.md P7). None of
# them reads the ``results`` column except _RESULTS: a header is bytes, the JSON megabytes.
_SNAP: Any = ScoreSnapshot.__table__  # type: ignore[attr-defined]
_WAVE: Any = Wave.__table__  # type: ignore[attr-defined]
_HEADER = (
    _SNAP.c.id,
    _SNAP.c.model_name,
    _SNAP.c.model_version,
    _SNAP.c.data_hash,
    _SNAP.c.computed_at,
)
_NEWEST = (_SNAP.c.computed_at.desc(), _SNAP.c.id.desc())
_ONE_LATEST = (
    sa_select(*_HEADER)
    .where(_SNAP.c.wave_id == bindparam("wave_id"), _SNAP.c.model_name == bindparam("model"))
    .order_by(*_NEWEST)
    .limit(1)
)
_LATEST_ID = (
    sa_select(_SNAP.c.id)
    .where(_SNAP.c.wave_id == _WAVE.c.id, _SNAP.c.model_name == bindparam("model"))
    .order_by(*_NEWEST)
    .limit(1)
    .correlate(_WAVE)
    .scalar_subquery()
)
_WAVES_LATEST = sa_select(
    _WAVE.c.id, _WAVE.c.code, _WAVE.c.opens_at, _WAVE.c.default_model, *_HEADER
).select_from(_WAVE.outerjoin(_SNAP, _SNAP.c.id == _LATEST_ID))
_RESULTS = sa_select(_SNAP.c.results).where(_SNAP.c.id == bindparam("id"))


W = TypeVar("W", "WaveInfo", Wave)


@dataclass(frozen=True)
class WaveInfo:
    """The few fields of a wave that trends need."""

    id: int
    code: str
    opens_at: datetime | None
    default_model: str


def _ref(wave_code: str, row: Any) -> SnapshotRef | None:
    if row is None or row[0] is None:
        return None
    return SnapshotRef(row[0], wave_code, row[1], row[2], row[3], row[4])


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
    row = session.connection().execute(_ONE_LATEST, {"wave_id": wave.id, "model": name}).first()
    return _ref(wave.code, row)


def load_results(*, session: Session, ref: SnapshotRef) -> ResultsView:
    key = (str(session.get_bind().engine.url), ref.id)
    with _cache_lock:
        view = _cached(key)
        if view is not None:
            return view
        gate = _parsing.setdefault(key, threading.Lock())
    # One parse per snapshot: a burst of first reads (after a restart or a new snapshot) used
    # to parse it once per request at the same time, and a city snapshot takes ~2.5 s alone
    # (P7 with wrk: 32 concurrent first reads finished none in 7 s). The others wait for it.
    with gate:
        with _cache_lock:
            view = _cached(key)
        if view is not None:
            return view
        try:
            with _collection_paused():
                results = session.connection().execute(_RESULTS, {"id": ref.id}).scalar_one()
                view = parse_results(ref, results)  # the cache keeps the read model
            with _cache_lock:
                _cache[key] = view
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
        finally:
            with _cache_lock:
                _parsing.pop(key, None)
    return view


def _cached(key: tuple[str, int]) -> ResultsView | None:
    """The cached read model (called under ``_cache_lock``)."""
    view = _cache.get(key)
    if view is not None:
        _cache.move_to_end(key)
    return view


# How many parses are running, and whether the collector was on before the first began.
_pause = {"parses": 0, "was_enabled": True}
_pause_lock = threading.Lock()


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Defer the cyclic garbage collector while a snapshot is decoded and parsed.

    A city snapshot is ~10⁶ small objects (JSON, then the read model); every young-generation
    collection on the way would walk the growing graph, which doubles the time of a first read
    (bench/p7_reads.py). Nothing here creates reference cycles, so the deferred collection has
    nothing extra to free. The collector comes back when the last concurrent parse ends.
    """
    with _pause_lock:
        if _pause["parses"] == 0:
            _pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _pause["parses"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["parses"] -= 1
            if _pause["parses"] == 0 and _pause["was_enabled"]:
                gc.enable()


def wave_results(*, session: Session, wave: Wave, model_name: str | None) -> ResultsView:
    return load_results(
        session=session, ref=find_snapshot(session=session, wave=wave, model_name=model_name)
    )


def _survey_order(waves: list[W]) -> list[W]:
    """Waves in survey order: by opening date when every wave has one, else by code.

    Codes such as ``2025Q2`` sort in time order; opening dates win when they exist because
    an administrator may name waves freely.
    """
    if waves and all(w.opens_at is not None for w in waves):
        return sorted(waves, key=lambda w: (w.opens_at, w.code))
    return sorted(waves, key=lambda w: w.code)


def ordered_waves(*, session: Session) -> list[Wave]:
    """Every wave (the table rows) in survey order."""
    return _survey_order(list(session.exec(select(Wave)).all()))


def waves_with_snapshots(
    *, session: Session, model_name: str
) -> list[tuple[WaveInfo, SnapshotRef | None]]:
    """Every wave in survey order with its latest snapshot for the model (one query)."""
    rows = session.connection().execute(_WAVES_LATEST, {"model": model_name}).all()
    found = {r[0]: r for r in rows}
    ordered = _survey_order([WaveInfo(r[0], r[1], r[2], r[3]) for r in rows])
    return [(w, _ref(w.code, found[w.id][4:])) for w in ordered]
