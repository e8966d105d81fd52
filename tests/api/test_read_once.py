"""A burst of first reads builds a snapshot's read model and its derived tables once: the
other requests wait for the first instead of each parsing a city snapshot (~2.5 s) or building
the district's change table at the same time (P7 with wrk, docs in api/services)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import api.services.snapshot_store as store_module
from api.services.read_models import SnapshotRef, parse_results
from api.services.snapshot_store import find_snapshot, load_results
from survey.storage.registry import get_wave
from tests.support.factories import seed_minimal
from tests.support.staff import seed_staff
from tests.support.staff import store_snapshot as store

BURST = 8


def test_a_burst_of_first_reads_parses_the_snapshot_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_minimal(engine)
    seed_staff(engine)
    store(engine)
    parses: list[int] = []

    def slow_parse(ref: SnapshotRef, results: Any) -> Any:
        parses.append(1)
        time.sleep(0.2)  # long enough for every reader of the burst to arrive meanwhile
        return parse_results(ref, results)

    monkeypatch.setattr(store_module, "parse_results", slow_parse)
    store_module._cache.clear()
    start = threading.Barrier(BURST)

    def read(_: int) -> int:
        with Session(engine) as session:
            ref = find_snapshot(
                session=session, wave=get_wave(session=session, code="W1"), model_name=None
            )
            start.wait()
            return id(load_results(session=session, ref=ref))

    with ThreadPoolExecutor(BURST) as pool:
        views = set(pool.map(read, range(BURST)))
    assert parses == [1] and len(views) == 1


def test_a_derived_table_is_built_once_while_others_wait() -> None:
    from api.services.read_models import ResultsView

    view = ResultsView.__new__(ResultsView)  # only the memo's own state is needed here
    object.__setattr__(view, "derived", {})
    object.__setattr__(view, "lock", threading.Lock())
    object.__setattr__(view, "building", {})
    builds: list[int] = []
    start = threading.Barrier(BURST)

    def build() -> dict[str, int]:
        builds.append(1)
        time.sleep(0.2)
        return {"rows": 3000}

    def read(_: int) -> int:
        start.wait()
        return id(view.memo("changes", build))

    with ThreadPoolExecutor(BURST) as pool:
        tables = set(pool.map(read, range(BURST)))
    assert builds == [1] and len(tables) == 1
    assert view.memo("changes", build) == {"rows": 3000} and builds == [1]
    nested = view.memo("outer", lambda: view.memo("inner", lambda: 7) + 1)
    assert nested == 8 and view.derived["inner"] == 7


def test_a_failed_build_is_tried_again_by_the_next_reader() -> None:
    from api.services.read_models import ResultsView

    view = ResultsView.__new__(ResultsView)
    object.__setattr__(view, "derived", {})
    object.__setattr__(view, "lock", threading.Lock())
    object.__setattr__(view, "building", {})

    def broken() -> int:
        raise RuntimeError("the build failed")

    with pytest.raises(RuntimeError):
        view.memo("t", broken)
    assert view.memo("t", lambda: 5) == 5
